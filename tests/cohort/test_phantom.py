"""The simulator: determinism, file layout, and each planted property within a stated tolerance."""

from __future__ import annotations

import hashlib
from dataclasses import replace

import nibabel as nib
import numpy as np
import pandas as pd
import pytest
from lifelines import KaplanMeierFitter
from sklearn.metrics import roc_auc_score

from glioma_lib.cohort import anatomy, brats, tcga
from glioma_lib.cohort.phantom import DEFAULT_PROFILES, PhantomConfig, generate, oracle_auc, simulate_tables
from glioma_lib.core.naming import SUBTYPES

WT, INTACT, CODEL = SUBTYPES


@pytest.fixture(scope="module")
def big_truth():
    """3000 simulated patients (tables only) for the planted-effect statistics."""
    config = PhantomConfig(n_mr=2000, n_scna_only=1000, seed=11)
    return (config, *simulate_tables(config))


def _digest(folder):
    h = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        h.update(path.relative_to(folder).as_posix().encode())
        data = np.asanyarray(nib.load(path).dataobj).tobytes() if path.name.endswith(".nii.gz") else path.read_bytes()
        h.update(data)
    return h.hexdigest()


def test_same_seed_gives_identical_files(tmp_path):
    config = PhantomConfig(n_mr=2, n_scna_only=2, shape=(32, 32, 24), seed=5)
    a = generate(tmp_path / "a", config, progress=False)
    b = generate(tmp_path / "b", config, progress=False)
    c = generate(tmp_path / "c", PhantomConfig(n_mr=2, n_scna_only=2, shape=(32, 32, 24), seed=6), progress=False)
    assert _digest(a) == _digest(b)
    assert _digest(a) != _digest(c)


def test_refuses_to_overwrite_in_one_line(phantom_dir, capsys):
    from glioma_lib.cli import main
    from glioma_lib.core.errors import InputDataError

    with pytest.raises(InputDataError, match="exists; the phantom writes a fresh folder"):
        generate(phantom_dir, PhantomConfig(n_mr=1, n_scna_only=0, shape=(16, 16, 16)))
    assert main(["cohort", "phantom", "--out", str(phantom_dir), "--n-mr", "1"]) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith("error: ") and str(phantom_dir) in error and "\n" not in error


def test_files_look_like_brats_and_tcga(phantom_dir):
    truth = pd.read_csv(phantom_dir / "truth.csv")
    mr = truth[truth["has_mr"]]
    for row in mr.itertuples():
        folder = phantom_dir / "brats" / row.brats_id
        paths = brats.subject_paths(row.brats_id, folder)
        brats.validate_subject(row.brats_id, paths)
        assert (paths["seg"] is not None) == row.has_seg
        image = nib.load(paths["t1"])
        assert image.shape == (48, 48, 32) and image.get_data_dtype() == np.int16
        # The grid always spans BraTS's 240 x 240 x 155 mm field of view.
        np.testing.assert_allclose(np.abs(np.diag(image.affine)[:3]) * image.shape, [240, 240, 155])
    mapping = brats.read_name_mapping(phantom_dir / "brats/name_mapping.csv")
    assert set(mapping["brats_id"]) == set(mr["brats_id"])
    clinical, issues = tcga.read_ceccarelli(phantom_dir / "tcga/clinical.csv")
    assert not issues and set(clinical["tcga_id"]) == set(truth["tcga_id"].dropna())
    scna = tcga.read_xena_gistic(phantom_dir / "tcga/scna_thresholded_by_genes.tsv")
    assert set(scna.index) == set(truth.loc[truth["has_scna"], "tcga_id"])
    assert scna.isin([-2, -1, 0, 1, 2]).all().all()


def test_full_brats_geometry_by_default():
    assert PhantomConfig().shape == (240, 240, 155)


def test_masks_hold_brats_labels_and_rings_surround_necrosis(phantom_dir):
    truth = pd.read_csv(phantom_dir / "truth.csv")
    for row in truth[truth["has_seg"]].itertuples():
        labels = np.asarray(nib.load(phantom_dir / "brats" / row.brats_id / f"{row.brats_id}_seg.nii.gz").dataobj)
        assert set(np.unique(labels)) <= {0, 1, 2, 4}
        assert (labels > 0).any()
        if row.ring_enhancing:
            assert (labels == 4).sum() > 0 and (labels == 1).sum() > 0


def test_contrasts_enhancing_tumour_brighter_on_t1ce(tmp_path):
    config = PhantomConfig(n_mr=1, n_scna_only=0, shape=(64, 64, 48), seed=1, seg_fraction=1.0,
                           profiles={s: DEFAULT_PROFILES[WT] for s in SUBTYPES})
    root = generate(tmp_path / "c", config, progress=False)
    subject = next(p for p in (root / "brats").iterdir() if p.is_dir())
    vol = {m: nib.load(subject / f"{subject.name}_{m}.nii.gz").get_fdata() for m in ("t1", "t1ce", "flair")}
    labels = np.asarray(nib.load(subject / f"{subject.name}_seg.nii.gz").dataobj)
    brain = vol["t1"] > 0
    norm = {m: v / np.median(v[brain]) for m, v in vol.items()}
    enh, oed, normal = labels == 4, labels == 2, brain & (labels == 0)
    assert enh.any() and oed.any()
    assert norm["t1ce"][enh].mean() > 1.3 * norm["t1"][enh].mean()
    assert norm["flair"][oed].mean() > 1.3 * norm["flair"][normal].mean()


def test_planted_imaging_phenotypes(big_truth):
    _, truth, _, _ = big_truth
    rate = truth.groupby("subtype")[["ring_enhancing", "frontal", "t2_flair_mismatch", "patchy_enhancing"]].mean()
    assert rate.loc[WT, "ring_enhancing"] > 0.55 > 0.2 > rate.loc[INTACT, "ring_enhancing"]
    assert rate.loc[CODEL, "ring_enhancing"] < 0.1
    assert rate.loc[CODEL, "frontal"] == pytest.approx(0.65, abs=0.06)
    assert rate.loc[INTACT, "t2_flair_mismatch"] > 0.25 > 0.05 > rate.loc[WT, "t2_flair_mismatch"]
    assert rate.loc[CODEL, "patchy_enhancing"] > 0.4
    # Overlap: some of every subtype break the majority pattern.
    assert 0 < rate.loc[WT, "ring_enhancing"] < 1 and rate.loc[INTACT, "ring_enhancing"] > 0
    age = truth.groupby("subtype")["age"].mean()
    assert age[WT] > age[CODEL] > age[INTACT]
    grade4 = truth.groupby("subtype")["grade"].apply(lambda g: (g == 4).mean())
    assert grade4[WT] > 0.7 and grade4[CODEL] == 0


@pytest.mark.parametrize("cue", ["heterogeneity", "margin_irregularity", "core_radius_mm", "oedema_margin_mm"])
def test_continuous_cues_are_drawn_per_patient_from_overlapping_distributions(big_truth, cue):
    """No per-subtype constants: each cue varies within every subtype, and every subtype's middle
    80% overlaps every other's, so no single cue separates the subtypes."""
    _, truth, _, _ = big_truth
    truth = truth[truth["has_mr"]]
    ranges = truth.groupby("subtype")[cue].quantile([0.1, 0.9]).unstack()
    assert (truth.groupby("subtype")[cue].std() > 0).all()
    assert ranges[0.1].max() < ranges[0.9].min()
    for target in ("idh_mutant", "codeleted"):
        auc = roc_auc_score(truth[target], truth[cue])
        assert max(auc, 1 - auc) < 0.85, (cue, target, auc)


def test_co_deleted_tumours_are_more_heterogeneous_with_less_defined_margins(big_truth):
    _, truth, _, _ = big_truth
    mean = truth.groupby("subtype")[["heterogeneity", "margin_irregularity"]].mean()
    assert (mean.loc[CODEL] > mean.loc[INTACT] + 0.05).all() and (mean.loc[CODEL] > mean.loc[WT] + 0.05).all()


def test_oracle_auc_is_high_but_clearly_below_one():
    ceiling = oracle_auc(PhantomConfig(seed=2), n=8000)
    assert 0.8 < ceiling["idh"] < 0.95 and 0.8 < ceiling["codel"] < 0.95


def test_oracle_is_chance_without_cues_and_perfect_with_a_constant_cue():
    same = PhantomConfig(profiles={s: DEFAULT_PROFILES[WT] for s in SUBTYPES}, seed=3)
    assert all(abs(v - 0.5) < 0.05 for v in oracle_auc(same, n=4000).values())
    perfect = dict(DEFAULT_PROFILES)
    perfect[WT] = replace(DEFAULT_PROFILES[WT], heterogeneity=(0.40, 0.0))  # a per-subtype constant
    assert oracle_auc(PhantomConfig(profiles=perfect, seed=3), n=4000)["idh"] > 0.99


def test_parallel_rendering_writes_the_same_files(tmp_path):
    config = PhantomConfig(n_mr=3, n_scna_only=1, shape=(32, 32, 24), seed=5)
    serial = generate(tmp_path / "serial", config, progress=False)
    parallel = generate(tmp_path / "parallel", config, progress=False, workers=2)
    assert _digest(serial) == _digest(parallel)


def test_planted_survival(big_truth):
    _, truth, _, _ = big_truth
    for subtype, target in [(WT, 14.0), (INTACT, 75.0), (CODEL, 116.0)]:
        part = truth[truth["subtype"] == subtype]
        km = KaplanMeierFitter().fit(part["os_months"], part["os_event"])
        median = km.median_survival_time_
        # Censoring and the within-subtype risk spread move the median; 35% either way.
        assert target * 0.65 < median < target * 1.35 or (np.isinf(median) and subtype == CODEL)
    assert 0.3 < 1 - truth["os_event"].mean() < 0.65  # a third to a half censored
    # Within a subtype, higher latent risk means shorter survival.
    wt = truth[(truth["subtype"] == WT)]
    assert np.corrcoef(wt["latent_risk"], np.log(wt["os_months"]))[0, 1] < -0.1


def test_planted_scna(big_truth):
    _, truth, scna, genes = big_truth
    arms = tcga.genes_to_arms(scna.T.rename(index=tcga.patient_of_barcode),
                                 genes.set_index(genes["Gene Symbol"].str.split("|").str[0])["chr_arm"])
    subtype = truth.set_index("tcga_id").loc[arms.index, "subtype"]
    mean = arms.groupby(subtype.to_numpy()).mean()
    assert mean.loc[CODEL, "1p"] < -0.85 and mean.loc[CODEL, "19q"] < -0.85
    assert mean.loc[WT, "1p"] > -0.2 and mean.loc[INTACT, "19q"] > -0.2
    assert mean.loc[WT, "7p"] > 0.6 and mean.loc[WT, "10q"] < -0.6
    assert abs(mean.loc[INTACT, "7p"]) < 0.2
    calls = scna.T.rename(index=tcga.patient_of_barcode)
    homdel = (calls["CDKN2A"] == -2).groupby(subtype.to_numpy()).mean()
    amp = (calls["EGFR"] == 2).groupby(subtype.to_numpy()).mean()
    assert homdel[WT] > 0.35 > 0.2 > homdel[INTACT] and amp[WT] > 0.3 > 0.05 > amp[CODEL]
    # Focal noise: most patients carry changes outside the planted events.
    assert (calls.abs().sum(axis=1) > 0).mean() > 0.9
    # Genes per arm follow arm length (times density): 1q has more genes than 21q.
    per_arm = genes["chr_arm"].value_counts()
    assert per_arm["1q"] > per_arm["21q"] and per_arm["2q"] > per_arm["18p"]


def test_planted_label_availability(big_truth):
    config, truth, _, _ = big_truth
    mr = truth[truth["has_mr"]]
    assert mr["labelled"].mean() == pytest.approx(config.labelled_fraction, abs=0.04)
    assert mr["has_seg"].mean() == pytest.approx(0.5, abs=0.04)
    labelled = truth[truth["labelled"]]
    assert 1 - labelled["idh_reported"].mean() == pytest.approx(1 / 3, abs=0.04)
    assert (truth.loc[~truth["has_mr"], "has_scna"]).all()  # SCNA-only patients
    assert not mr.loc[~mr["labelled"], "has_scna"].any()  # unlabelled MR: no TCGA record


def test_grid_affine_is_centred():
    affine = anatomy.grid_affine((96, 96, 64))
    corner = affine @ [0, 0, 0, 1]
    far = affine @ [95, 95, 63, 1]
    np.testing.assert_allclose(corner[:3], -far[:3])


def test_ceilings_cover_imaging_scna_and_both():
    """The SCNA events decide 1p/19q almost alone (arm loss in 97% of co-deleted tumours); adding
    the imaging cues cannot lower a cross-validated ceiling by more than fitting noise."""
    from glioma_lib.cohort.phantom import ceilings

    table = ceilings(PhantomConfig(seed=2), n=6000).set_index("planted cues")
    assert list(table.index) == ["imaging", "SCNA", "imaging + SCNA"]
    assert list(table.columns) == ["idh", "codel", "who2021"]
    # the three-class ceiling: a multinomial regression's macro one-vs-rest AUC, between the two binary ones here
    assert table["who2021"].between(table[["idh", "codel"]].min(axis=1) - 0.05, 1).all()
    assert table.loc["SCNA", "codel"] > 0.95 > table.loc["imaging", "codel"]
    both = table.loc["imaging + SCNA"]
    assert (both >= table.loc[["imaging", "SCNA"]].max() - 0.01).all() and (both < 1).all()
