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
# have no subtype label, through segmentation (Eq. 1); the CNN cannot.
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
task = "idh"  # "idh" or "codel"
input_format = "t1ce"
model = "mtl"  # "mtl" or "cnn"
use_scna = False
labelled_limit = None  # keep only this many labelled training patients (label-efficiency runs)
updates = 1400  # optimiser steps per trial, the same for every model
evaluations = 50  # checkpoints scored per trial
evaluate_from = 0.0  # fraction of the updates before the first candidate checkpoint
trials = 10
seed = 0
batch_size = 4  # labelled patients per update (MTL: with unlabelled_per_batch > 0)
unlabelled_per_batch = 0  # MTL: unlabelled scans added to each batch; 0: mixed batches, as in the paper
lr = 1e-4
head_lr_factor = 1.0  # the classification branch learns at lr x this (the same for CNN and MTL)
norm = "group"  # "group" or "batch" (the paper's)
pooled_levels = 1  # encoder levels pooled into the classification branch (1: the deepest, the paper's)
init_from_teacher = False  # start from the weak-label teacher's segmentation weights
device = "auto"
batch_trials = False  # train the trials as one stacked model (the same numbers; faster on a GPU)
restart = False  # discard checkpoints made with other settings instead of stopping on them
shape = [64, 64, 64]
margin = 2
empty_mask_policy = "centre"
pca_dim = 50
bootstrap = 1000

# %% tags=["hide-input"]
import json

import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import display

from glioma_lib.config.load import work_in_project_root
from glioma_lib.core.display import set_book_display
from glioma_lib.core.layout import RunLayout
from glioma_lib.inputs.preprocess import PreprocessSpec
from glioma_lib.training.figures import learning_curves, roc_figure
from glioma_lib.training.run import TrainConfig
from glioma_lib.training.step import subtype_training

work_in_project_root()  # JupyterLab starts a kernel in notebooks/: paths are relative to the project root
set_book_display()

config = TrainConfig(task=task, input_format=input_format, model=model, use_scna=use_scna, updates=updates,
                     evaluations=evaluations, evaluate_from=evaluate_from, trials=trials, seed=seed, batch_size=batch_size,
                     unlabelled_per_batch=unlabelled_per_batch, lr=lr, head_lr_factor=head_lr_factor, norm=norm,
                     pooled_levels=pooled_levels,
                     labelled_limit=labelled_limit, init_from_teacher=init_from_teacher, device=device,
                     bootstrap=bootstrap, batch_trials=batch_trials)
spec = PreprocessSpec(shape=tuple(shape), margin=margin, empty_mask_policy=empty_mask_policy)
run = subtype_training(RunLayout(run_dir), config, spec, pca_dim=pca_dim, restart=restart)
auc = json.loads(run.auc.read_text())
metrics = pd.read_parquet(run.metrics)

# %% [markdown]
# ## AUCs

# %%
honest = auc["honest"]
low, high = honest["ci95"]
table = pd.DataFrame({
    "AUC": [f"{honest['auc']:.3f}", f"{auc['paper_max_over_evaluations']['mean']:.3f}"],
    "95% CI": [f"[{low:.3f}, {high:.3f}] (half-width {(high - low) / 2:.3f})", "not defined (selected on validation)"],
}, index=["honest: checkpoint chosen on the inner split", "paper: max over evaluations of validation AUC"])
display(table)
print(f"validation patients: {honest['n_validation']} ({honest['n_positive']} positive); "
      f"spread (SD) of their averaged probabilities: {honest['probability_sd']:.3f}; "
      f"training patients: {auc['n_train']} ({auc['n_train_labelled']} labelled; selection split: "
      f"{auc['n_selection']}); {auc['updates']} updates = {auc['passes_over_training_data']:.1f} passes")

# %% [markdown]
# ## Learning curves
# Training loss, the selection AUC that picks the checkpoint, and the validation AUC (never used
# for selection) at each evaluation, per trial.

# %% mystnb={"figure": {"caption": "Training loss, selection AUC (inner split, used to choose the checkpoint) and validation AUC (never used for selection) against optimiser updates, per trial."}}
learning_curves(metrics)
plt.show()

# %% [markdown]
# ## ROC curves

# %% mystnb={"figure": {"caption": "Validation ROC curves of each trial's selected checkpoint (grey) and of the trials' averaged probabilities (blue), with the honest AUC and its bootstrap 95% CI."}}
predictions = pd.read_parquet(run.validation_predictions)
roc_figure(predictions, auc)
plt.show()

# %% [markdown]
# ## Crops and fallbacks
# How each patient's volume was cropped (tumour box from the ground-truth or weak mask, or a
# centred box when no usable mask existed).

# %%
index = pd.read_csv(run.cache_index)
display(index.groupby(["mask_kind", "crop"]).size().rename("patients").to_frame())
