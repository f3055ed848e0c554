"""The SCNA PCA: never fitted on validation patients, and records what it was fitted on."""

from __future__ import annotations

import numpy as np
import pandas as pd

from glioma_lib.inputs.scna import ScnaPCA


def test_pca_never_fitted_on_validation(phantom_dir, phantom_manifest, tmp_path):
    from glioma_lib.cohort.manifest import load_scna
    from glioma_lib.cohort.sources import CohortSources

    scna = load_scna(CohortSources.phantom(phantom_dir))
    manifest = phantom_manifest.copy()
    with_scna = manifest[manifest["has_scna"]].index
    manifest.loc[with_scna[:3], "split"] = "validation"
    validation = set(manifest.loc[with_scna[:3], "patient_id"])
    pca = ScnaPCA.fit(scna, manifest, n_components=5)
    assert not validation & set(pca.fitted_patients)
    perturbed = scna.copy()
    perturbed.loc[list(validation)] = 2  # changing validation patients changes nothing
    np.testing.assert_allclose(ScnaPCA.fit(perturbed, manifest, 5).components, pca.components)
    scores = pca.transform(scna)
    assert scores.shape == (len(scna), 5) and set(validation) <= set(scores.index)
    loaded = ScnaPCA.load(pca.save(tmp_path / "pca.npz"))
    pd.testing.assert_frame_equal(loaded.transform(scna), scores)


def test_pca_records_what_it_was_fitted_on(phantom_dir, phantom_manifest):
    from glioma_lib.cohort.manifest import load_scna
    from glioma_lib.cohort.sources import CohortSources

    scna = load_scna(CohortSources.phantom(phantom_dir))
    five, also_five, four = (ScnaPCA.fit(scna, phantom_manifest, k) for k in (5, 5, 4))
    assert five.same_as(also_five) and not five.same_as(four)
