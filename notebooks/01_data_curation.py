# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Data curation
#
# Every later chapter reads one table: the cohort manifest, one row per patient, with the
# patient's identifiers, which data exist (MR, ground-truth mask, SCNA), the molecular labels,
# survival, and the split. This chapter builds it, shows one subject as the paper's Fig. 1 does,
# counts who brings what (Fig. 1C), and lists every value that curation set aside.
#
# With the default parameters the cohort is **synthetic** (see the data chapter): a simulator
# writes BraTS-style folders and TCGA-style tables, and the manifest is built from those files
# exactly as from real ones.

# %% tags=["parameters"]
run_dir = "runs/default"
settings = {}  # the cohort section (glioma_lib.config.schema.CohortSettings); what is not given: config/config.yaml

# %% tags=["hide-input"]

import matplotlib.pyplot as plt
import nibabel as nib
import pandas as pd
import seaborn as sns
from IPython.display import display

from glioma_lib.cohort import summary
from glioma_lib.cohort.manifest import read_manifest
from glioma_lib.cohort.step import prepare_cohort
from glioma_lib.config.load import work_in_project_root
from glioma_lib.config.steps import notebook_settings
from glioma_lib.core import nifti
from glioma_lib.core.display import set_book_display
from glioma_lib.core.figures import modality_panel, slice_viewer
from glioma_lib.core.layout import RunLayout
from glioma_lib.core.naming import DAYS_PER_MONTH, MODALITIES, TASK_LABELS

work_in_project_root()  # JupyterLab starts a kernel in notebooks/: paths are relative to the project root
set_book_display()

cohort = notebook_settings("01_data_curation", settings)
layout = RunLayout(run_dir)
manifest = read_manifest(prepare_cohort(cohort, layout))
print(f"{len(manifest)} patients in the manifest ({layout.manifest})")

# %% [markdown]
# ## One subject (Fig. 1A/B)
# The four MR modalities of a labelled subject with a ground-truth mask, on the axial slice with
# the most tumour; the mask (red: necrosis / non-enhancing core, green: oedema, yellow: enhancing
# tumour) over FLAIR.

# %% mystnb={"figure": {"caption": "The four MR modalities of one subject on the axial slice with the most tumour, and its mask over FLAIR (red: necrosis and non-enhancing core, green: oedema, yellow: enhancing tumour), as in the paper's Fig. 1A-B.", "name": "fig-subject"}}
with_mask = manifest[manifest["has_seg_gt"]]
if len(with_mask):
    row = with_mask.sort_values(["split", "patient_id"]).iloc[0]
    images = {m: nib.load(row[f"path_{m}"]).get_fdata() for m in MODALITIES}
    mask = nifti.read_mask(row["path_seg"], row["patient_id"])
    subtype = row["subtype"] if pd.notna(row["subtype"]) else "subtype unknown"
    fig = modality_panel(images, mask, f"{row['patient_id']} ({subtype})")
    plt.show()
else:
    print("No subject in this cohort has MR images with a ground-truth mask on disk.")

# %% [markdown] tags=["remove-cell"]
# In JupyterLab, the same subject in an interactive viewer (choose the image, slide through the
# axial slices); the rendered book keeps the static figure above.

# %% tags=["remove-cell"]
if len(with_mask):
    display(slice_viewer(images, mask))

# %% [markdown]
# ## Who brings what (Fig. 1C)
# Train and validation hold the labelled patients that have what the split needs (MR by default;
# the `split_requires` parameter); the other MR patients teach the encoder only through
# segmentation; SCNA-only patients have no MR and serve the SCNA models; clinical-only patients
# have neither. Every count is of what is on disk.

# %%
display(summary.availability_table(manifest))

# %% mystnb={"figure": {"caption": "Label availability (the paper's Fig. 1C): what each group of patients brings, with counts.", "name": "fig-availability"}}
summary.availability_figure(manifest)
plt.show()

# %% [markdown]
# ## Power: labelled validation patients per task
# The validation split is large on purpose: a comparison of two AUCs on tens of patients cannot
# decide anything (its 95% CI spans about +-0.2). Inference is cheap next to training, so the
# default profile puts more than half of the labelled MR patients here.

# %%
display(summary.validation_power(manifest))

# %% [markdown]
# ## The simulator's ceiling
# On the synthetic cohort, the best AUC any model can reach is bounded by what the simulator
# planted. Imaging cues: ring enhancement, patchy enhancement, T2-FLAIR mismatch, frontal
# location, core size, oedema margin, texture heterogeneity and margin irregularity, each drawn
# per patient from distributions that overlap between subtypes. Copy-number events: chr7 gain
# with chr10 loss, EGFR amplification, CDKN2A deletion and 1p/19q arm loss. The oracle is a
# cross-validated logistic regression on those cues *seen exactly* (no image, no noise, no PCA)
# for 20,000 simulated patients of this run's simulator: on the imaging cues (the ceiling of MR
# models), the SCNA events, and both (the ceiling of MR+SCNA models); WHO 2021, the three-class
# call, as the macro one-vs-rest AUC of a multinomial regression. The paper's numbers play no part
# in setting them.

# %%
if layout.ceilings.exists():
    display(pd.read_csv(layout.ceilings).set_index("planted cues").rename(columns=TASK_LABELS)
            .round(3))
else:
    print("Real data: there is no planted truth, so no ceiling to compute.")

# %% [markdown]
# ## Label distributions

# %%
display(summary.label_distribution(manifest))

# %% mystnb={"figure": {"caption": "WHO grade of the labelled MR patients, and follow-up by subtype (died or censored).", "name": "fig-labels"}}
labelled = manifest[manifest["split"].isin(["train", "validation"])]
fig, axes = plt.subplots(1, 2, figsize=(11, 3.5))
labelled["grade"].astype("string").fillna("unknown").value_counts().sort_index().plot.bar(ax=axes[0])
axes[0].set_title("WHO grade, labelled MR patients")
survival = labelled.dropna(subset=["os_days"]).assign(
    months=lambda d: d["os_days"] / DAYS_PER_MONTH, subtype=lambda d: d["subtype"].fillna("unknown"),
    status=lambda d: d["os_event"].map({1: "died", 0: "censored"}))
sns.stripplot(survival, x="months", y="subtype", hue="status", ax=axes[1])
axes[1].set_title("Follow-up (months) by subtype")
fig.tight_layout()
plt.show()

# %% [markdown]
# ## Curation report
# Values that are present but invalid (survival of zero or negative months, unknown status
# strings, out-of-range ages) are set missing and listed here, never used silently.

# %%
report = pd.read_csv(layout.curation_report)
print(f"{len(report)} values set aside")
display(report)
