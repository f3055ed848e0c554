"""The radiomics arm: the penalty chosen on training patients only, scored on the same validation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from glioma_lib.training.radiomics import fit_and_score


def _patients() -> pd.DataFrame:
    roles = ["train"] * 40 + ["selection"] * 10 + ["validation"] * 20 + ["train"] * 5
    labels = [0, 1] * 35 + [-1] * 5  # the last five: no label
    return pd.DataFrame({"patient_id": [f"p{i}" for i in range(75)], "role": roles, "label": labels})


def test_no_validation_patient_reaches_the_fit_or_the_penalty_choice():
    """Validation patients' features are NaN: had any reached the fit (or its inner CV), sklearn
    would refuse them. Unlabelled patients stay out too."""
    patients = _patients()
    rng = np.random.default_rng(0)
    labels = patients.set_index("patient_id")["label"].clip(lower=0)
    features = pd.DataFrame(rng.normal(size=(75, 6)), index=patients["patient_id"])
    features[0] += 2 * labels.to_numpy()  # one informative feature
    fitted = features.copy()
    fitted.loc[patients["role"].eq("validation").to_numpy()] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        fit_and_score(fitted, patients.assign(role="train"), seed=0)  # the check bites
    predictions, fit = fit_and_score(fitted.fillna({c: 0.0 for c in fitted}), patients, seed=0)  # validation as zeros
    assert fit["n_fit"] == 50 and list(predictions["patient_id"]) == [f"p{i}" for i in range(50, 70)]
    predictions, fit = fit_and_score(features, patients, seed=0)
    assert fit["inner_cv_auc"] > 0.8 and predictions["probability"].std() > 0.1
