# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Weak labelling
#
# The paper gives MR scans that have neither subtype labels nor ground-truth masks a weak
# whole-tumour mask from a pretrained BraTS segmenter, so that they can join training through
# the segmentation loss (Eq. 1). No pretrained weights can be downloaded here, so this chapter
# trains its own teacher, a four-class 3D-ESPNet, on the training-split patients that have
# ground-truth masks (holding some out to measure it), unless a checkpoint is given. With
# `init_from_teacher` the MTL models start from the teacher's weights (off in the default book;
# the `paper` profile does it: see the limitations chapter).

# %% tags=["parameters"]
run_dir = "runs/default"
settings = {}  # the weak_labels section (glioma_lib.config.schema.WeakLabelSettings); what is not given: config/config.yaml

# %% tags=["hide-input"]
import matplotlib.pyplot as plt
import nibabel as nib
import pandas as pd
from IPython.display import display

from glioma_lib.cohort.manifest import read_manifest
from glioma_lib.config.load import work_in_project_root
from glioma_lib.config.steps import notebook_settings
from glioma_lib.core.display import set_book_display
from glioma_lib.core.figures import LABEL_COLOURS, axial, slice_viewer, tumour_slice
from glioma_lib.core.layout import RunLayout, weak_mask_file
from glioma_lib.core.nifti import read_mask
from glioma_lib.weak_labels.external import EXTERNAL_REFERENCE, external_figure
from glioma_lib.weak_labels.step import weak_labelling, weak_mask_example
from glioma_lib.weak_labels.teacher import PUBLISHED_WT_DICE

work_in_project_root()  # JupyterLab starts a kernel in notebooks/: paths are relative to the project root
set_book_display()

layout = RunLayout(run_dir)
weak_labels = notebook_settings("02_weak_labelling", settings)
result = weak_labelling(layout, weak_labels)
quality = result["quality"]
print(f"teacher trained on {len(result['teacher_training'])} patients, scored on {len(result['held_out'])} held out")

# %% [markdown]
# ## Training curve

# %% mystnb={"figure": {"caption": "Training loss of the segmentation teacher (weighted cross-entropy).", "name": "fig-teacher-curve"}}
curve_path = layout.teacher_curve
if curve_path.exists():
    curve = pd.read_csv(curve_path)
    ax = curve.plot(x="epoch", y="loss", legend=False, figsize=(5, 3), title="teacher training loss")
    ax.set_ylabel("weighted cross-entropy")
    plt.show()
else:
    print("The teacher came from a checkpoint; no training curve.")

# %% [markdown]
# ## Dice
# Whole tumour (WT), tumour core (TC) and enhancing tumour (ET), against ground truth the
# teacher never saw and, on the synthetic cohort, against the planted mask of every patient.
# An all-background mask scores 0 on WT; the published anchors are for real BraTS 2018 data at
# full resolution and are printed only as a yardstick.

# %%
summary = quality.groupby("reference")[["dice_WT", "dice_TC", "dice_ET", "dice_all_background_WT"]].agg(
    ["mean", "median", "count"])
display(summary)
display(pd.Series(PUBLISHED_WT_DICE, name="published whole-tumour Dice").to_frame())
print("worst cases (whole tumour):")
display(quality.sort_values("dice_WT").head(5))

# %% [markdown]
# ## Weak masks
# Scans without ground truth that got a weak mask, and any whose prediction was empty (flagged,
# not given an empty mask).

# %%
weak = result["weak"]
print(f"{len(weak)} scans without ground truth; {int(weak['empty'].sum())} empty predictions flagged")
display(weak[weak["empty"]])

# %% [markdown]
# ## A good and a bad weak mask
# The teacher's four-class prediction over FLAIR for the best- and worst-scoring patients
# (scored against the planted or held-out mask).

# %% tags=["hide-input"] mystnb={"figure": {"caption": "The teacher's four-class prediction over FLAIR for the best- and the worst-scoring patient.", "name": "fig-weak-masks"}}
manifest = read_manifest(layout.manifest).set_index("patient_id")
ranked = quality[quality["patient_id"].isin(manifest.index)].sort_values("dice_WT")
fig, axes = plt.subplots(1, 2, figsize=(9, 4.5))
for ax, row, title in zip(axes, [ranked.iloc[-1], ranked.iloc[0]], ["best", "worst"], strict=True):
    patient = row["patient_id"]
    flair = nib.load(manifest.loc[patient, "path_flair"]).get_fdata()
    four = weak_mask_file(layout.weak_masks, patient)
    mask_path = four if four.exists() else manifest.loc[patient, "path_seg"]
    mask = read_mask(mask_path, patient)
    k = tumour_slice(mask)
    ax.imshow(axial(flair, k), cmap="gray")
    ax.imshow(axial(mask, k), cmap=LABEL_COLOURS, vmin=0, vmax=3, interpolation="nearest")
    source = "weak mask" if four.exists() else "ground truth"
    ax.set_title(f"{title}: {patient} ({source}), WT Dice {row['dice_WT']:.2f}")
    ax.axis("off")
fig.tight_layout()
plt.show()

# %% [markdown]
# ## On a real scan
# The teacher learnt from synthetic scans only. Scans outside the cohort that ship their masks
# (`external_scans`; in the default book the one real BraTS 2018 case of `../shared/realdata`,
# whose mask is a fusion of automatic BraTS segmentations, not an expert's) show how much of it
# carries over to real anatomy. One case decides nothing; it shows what the simulator does not teach.

# %%
external = quality[quality["reference"] == EXTERNAL_REFERENCE]
if external.empty:
    print(f"No scans outside the cohort were scored (external_scans: {weak_labels.external_scans}: not given, not found here, "
          "or every subject with a mask there is in the cohort).")
else:
    display(external.set_index("patient_id")[["dice_WT", "dice_TC", "dice_ET", "teacher_WT_ml", "mask_WT_ml"]])

# %% tags=["hide-input"] mystnb={"figure": {"caption": "The teacher's four-class mask on scans outside the cohort, over FLAIR, with the scan's own mask outlined in cyan.", "name": "fig-external-scans"}}
if not external.empty:
    external_figure(external, layout.teacher_external_masks)
    plt.show()

# %% [markdown] tags=["remove-cell"]
# ## A weak mask, interactively
# In JupyterLab: the teacher's four-class weak mask of the first patient that has one, over the
# image of your choice, slice by slice (the rendered book shows the static figures above).

# %% tags=["remove-cell"]
example = weak_mask_example(layout)
if example is None:
    print("No patient has a non-empty weak mask in this run.")
else:
    print(f"patient {example[0]}")
    display(slice_viewer(example[1], example[2]))
