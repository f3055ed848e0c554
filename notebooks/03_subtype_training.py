# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Subtype training
#
# One run of the paper's grid: a task (IDH mutation or 1p/19q co-deletion), an MR input format,
# a model (the multi-task 3D-ESPNet, `mtl`, or the encoder-only `cnn` baseline) and, optionally,
# SCNA principal components fed through a small MLP. The MTL model also learns from scans that
# have no subtype label, through segmentation (Eq. 1); the CNN cannot. Two baselines beyond the
# paper: `radiomics` (handcrafted features in the same tumour masks, a penalised logistic
# regression) and `mean_teacher`, a plain semi-supervised learner: the CNN's network trained to
# agree, on the same unlabelled scans and batches as MTL, with an exponential moving average of
# its own weights (Tarvainen & Valpola 2017); the averaged model is the one scored.
#
# CNN and MTL get the same number of optimiser updates (the MTL model also iterates over
# unlabelled scans, so an epoch budget would give it more steps) and the same classification
# head; they differ only in the decoder and the unlabelled scans it lets the MTL model use.
#
# Two AUCs are reported. The paper's (the maximum validation AUC over evaluations, averaged over
# trials) selects on the evaluation set and is shown only for comparison. The honest AUC picks
# each trial's checkpoint on an inner split of the training patients and scores it once on
# the validation split, with a class-stratified bootstrap 95% confidence interval.

# %% tags=["parameters"]
run_dir = "runs/default"
run = "idh-t1ce-mtl"  # task-format-model[-scna][-nN], as in the run folder's train/
settings = {}  # the run's settings (glioma_lib.config.schema.RunSettings); what is not given: config/config.yaml
restart = False  # discard checkpoints made with other settings instead of stopping on them

# %% tags=["hide-input"]
import json

import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import display

from glioma_lib.config.load import work_in_project_root
from glioma_lib.config.steps import notebook_settings
from glioma_lib.core.display import set_book_display
from glioma_lib.core.layout import RunLayout
from glioma_lib.core.naming import TASK_CLASSES
from glioma_lib.training.figures import auc_summary, learning_curves, roc_figure
from glioma_lib.training.step import subtype_training

work_in_project_root()  # JupyterLab starts a kernel in notebooks/: paths are relative to the project root
set_book_display()

run_settings = notebook_settings("03_subtype_training", settings, run=run)
trained = subtype_training(RunLayout(run_dir), run_settings, restart=restart)
auc = json.loads(trained.auc.read_text())
metrics = pd.read_parquet(trained.metrics)

# %% [markdown]
# ## AUCs

# %%
table, line = auc_summary(auc)
display(table)
print(line)

# %% [markdown]
# ## Learning curves
# Training loss, the selection AUC that picks the checkpoint, and the validation AUC (never used
# for selection) at each evaluation, per trial. A radiomics run is one fit: it has none.

# %% mystnb={"figure": {"caption": "Training loss, selection AUC (inner split, used to choose the checkpoint) and validation AUC (never used for selection) against optimiser updates, per trial."}}
learning_curves(metrics)  # none for a radiomics run
plt.show()

# %% [markdown]
# ## ROC curves

# %% mystnb={"figure": {"caption": "Validation ROC curves of each trial's selected checkpoint (grey) and of the trials' averaged probabilities (blue), with the honest AUC and its bootstrap 95% CI."}}
predictions = pd.read_parquet(trained.validation_predictions)
roc_figure(predictions, auc, TASK_CLASSES[run_settings.task])
plt.show()

# %% [markdown]
# ## Crops and fallbacks
# How each patient's volume was cropped (tumour box from the ground-truth or weak mask, or a
# centred box when no usable mask existed).

# %%
index = pd.read_csv(trained.cache_index)
display(index.groupby(["mask_kind", "crop"]).size().rename("patients").to_frame())
