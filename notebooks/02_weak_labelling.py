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
# ground-truth masks (holding some out to measure it), unless a checkpoint is given. The
# teacher's weights are also where the MTL models start from.

# %% tags=["parameters"]
run_dir = "runs/default"
teacher_epochs = 40
teacher_lr = 2e-3
shape = [64, 64, 64]
checkpoint = None  # path to a four-channel, four-class 3D-ESPNet state dict, or None to train one
held_out_fraction = 0.25
seed = 0
device = "auto"  # CUDA when there is one

# %% tags=["hide-input"]
import matplotlib.pyplot as plt
import nibabel as nib
import pandas as pd
from IPython.display import display

from glioma_lib.cohort.manifest import read_manifest
from glioma_lib.cohort.readers import read_mask
from glioma_lib.core.display import set_book_display
from glioma_lib.core.figures import LABEL_COLOURS, axial, tumour_slice
from glioma_lib.core.layout import RunLayout, weak_mask_file
from glioma_lib.inputs.preprocess import PreprocessSpec
from glioma_lib.weak_labels.step import weak_labelling
from glioma_lib.weak_labels.teacher import PUBLISHED_WT_DICE

set_book_display()

layout = RunLayout(run_dir)
result = weak_labelling(layout, PreprocessSpec(shape=tuple(shape)), teacher_epochs, checkpoint,
                        held_out_fraction, seed, teacher_lr, device=device)
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

# %% mystnb={"figure": {"caption": "The teacher's four-class prediction over FLAIR for the best- and the worst-scoring patient.", "name": "fig-weak-masks"}}
manifest = read_manifest(layout.manifest).set_index("patient_id")
ranked = quality.sort_values("dice_WT")
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
