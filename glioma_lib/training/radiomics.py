"""The radiomics arm: handcrafted features (``inputs.radiomics``) and a penalised logistic regression.

It sees the labelled patients the networks of the same run name see, fitting and selection
splits alike (the networks choose a checkpoint on the selection split; this arm chooses its
penalty by an inner cross-validation over the same patients), and it is scored once on the same
validation patients. It writes the files a network run writes where they mean the same
(``auc.json``, validation predictions, patients, ``config.json``), so results, label efficiency
and paired comparisons read it like any other run. It has no checkpoints: one fit, one
"evaluation", and its paper-style AUC is its honest one.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.feature_selection import VarianceThreshold
from sklearn.linear_model import LogisticRegressionCV
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from glioma_lib.core.atomic import write_json, write_table
from glioma_lib.core.layout import RunLayout, TrainingRun
from glioma_lib.core.metrics import bootstrap_auc, class_probability_columns, prediction_scores, probability_spread
from glioma_lib.core.naming import TASK_CLASSES
from glioma_lib.inputs.formats import get_format
from glioma_lib.inputs.radiomics import radiomics_modalities, radiomics_table
from glioma_lib.training.config import TrainConfig
from glioma_lib.training.data import run_split

PENALTIES = 20  # inverse penalties tried by the inner cross-validation, log-spaced
INNER_FOLDS = 5


def radiomics_model(seed: int, folds: int, n_classes: int = 2) -> Pipeline:
    """Constant features dropped, the rest standardised, an L2 logistic regression (multinomial for
    more than two classes) whose penalty is chosen by ``folds``-fold cross-validated AUC (macro
    one-vs-rest for more than two classes) on the training patients only."""
    inner = StratifiedKFold(folds, shuffle=True, random_state=seed)
    scoring = "roc_auc" if n_classes == 2 else "roc_auc_ovr"
    regression = LogisticRegressionCV(Cs=PENALTIES, cv=inner, scoring=scoring, max_iter=5000, l1_ratios=(0.0,),
                                      use_legacy_attributes=True)  # L2 (l1_ratio 0); C_ and scores_ as documented
    return make_pipeline(VarianceThreshold(), StandardScaler(), regression)


def fit_and_score(features: pd.DataFrame, patients: pd.DataFrame, seed: int,
                  n_classes: int = 2) -> tuple[pd.DataFrame, dict]:  # fmt: skip
    """Fit on the labelled train and selection patients that have features; validation
    probabilities (the columns a network of ``n_classes`` writes), and what the fit chose."""
    usable = patients[(patients["label"] >= 0) & patients["patient_id"].isin(features.index)]
    train = usable[usable["role"].isin(["train", "selection"])]
    validation = usable[usable["role"] == "validation"]
    y = train["label"].to_numpy()
    folds = min(INNER_FOLDS, int(np.bincount(y, minlength=n_classes).min()))
    if folds < 2:
        raise ValueError(f"radiomics: {len(train)} labelled training patients with features, too few of a class "
                         "for an inner cross-validation")
    model = radiomics_model(seed, folds, n_classes).fit(features.loc[train["patient_id"]].to_numpy(), y)
    probabilities = model.predict_proba(features.loc[validation["patient_id"]].to_numpy())
    columns = class_probability_columns(n_classes)
    probabilities = probabilities[:, 1:] if len(columns) == 1 else probabilities  # binary: P(class 1)
    regression = model[-1]
    inner_scores = next(iter(regression.scores_.values()))  # the same for every class of a multinomial fit
    fit = {"n_features": int(model[0].get_support().sum()), "inverse_penalty": float(regression.C_[0]),
           "inner_cv_auc": float(inner_scores.mean(axis=0).max()), "n_fit": len(train)}  # fmt: skip
    predictions = pd.DataFrame({"patient_id": validation["patient_id"].to_numpy(), "label": validation["label"],
                                **dict(zip(columns, probabilities.T, strict=True)), "trial": 0, "evaluation": 0})
    return predictions.reset_index(drop=True), fit


def radiomics_run(layout: RunLayout, manifest: pd.DataFrame, index: pd.DataFrame, config: TrainConfig,
                  files: TrainingRun, show_progress: bool = True) -> dict:
    """The radiomics arm of one run name: features, fit, validation AUC with CI; writes the run's files."""
    patients = run_split(manifest, index, config).patients()  # the networks' splits and label subsets
    modalities = radiomics_modalities(get_format(config.input_format).channels)
    labelled = patients.loc[patients["label"] >= 0, "patient_id"].tolist()  # unlabelled scans teach it nothing
    features, missing = radiomics_table(layout, manifest, modalities, labelled, show_progress)
    n_classes = len(TASK_CLASSES[config.task])
    predictions, fit = fit_and_score(features, patients, config.seed, n_classes)
    auc, low, high = bootstrap_auc(predictions["label"], prediction_scores(predictions), config.bootstrap, config.seed)
    without = patients[(patients["label"] >= 0) & patients["patient_id"].isin(missing.index)]
    if show_progress:
        print(f"radiomics: {fit['n_features']} features, C = {fit['inverse_penalty']:.3g} (inner CV AUC "
              f"{fit['inner_cv_auc']:.3f}); validation AUC {auc:.3f} [{low:.3f}, {high:.3f}]", flush=True)
    with_features = patients[(patients["label"] >= 0) & patients["patient_id"].isin(features.index)]
    summary = {
        "paper_max_over_evaluations": {"mean": auc, "per_trial": [auc], "note": "one fit: no checkpoints to select"},
        "honest": {"auc": auc, "ci95": [low, high], "per_trial": [auc], "selected_evaluations": [0],
                   "probability_sd": probability_spread(predictions),
                   "n_validation": len(predictions), "n_positive": int((predictions["label"] > 0).sum()),
                   "class_counts": np.bincount(predictions["label"], minlength=n_classes).tolist()},
        "optimism_per_trial": [0.0],
        "n_train": fit["n_fit"], "n_train_labelled": int((with_features["role"] == "train").sum()),
        "n_selection": int((with_features["role"] == "selection").sum()), "updates": 0,
        "passes_over_training_data": 0.0,
        "radiomics": {**fit, "labelled_without_features": without.groupby("role").size().to_dict()},
    }  # fmt: skip
    write_json(config.model_dump(), files.config)
    write_table(patients, files.patients)
    write_table(pd.DataFrame([{"trial": 0, "evaluation": 0, "updates": 0, **fit}]), files.metrics)
    write_table(predictions, files.validation_predictions)
    write_json(summary, files.auc)
    return summary
