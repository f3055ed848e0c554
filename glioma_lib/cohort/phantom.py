"""The synthetic cohort: a simulator of BraTS MR folders and TCGA tables with planted biology.

It writes exactly the files a user with real data has (BraTS folders and ``name_mapping.csv``,
a Ceccarelli-style clinical table, a Xena-style gene-level GISTIC2 table and a gene-to-arm map),
plus ``truth.csv`` and ``truth_masks/`` (the planted mask of every subject) for tests and validation
cells only: no model ever reads them.

Every planted effect is a field of :class:`PhantomConfig`. The values come from the glioma
literature (cited in the book's data chapter); they were never tuned to reproduce the paper.
Every imaging cue is drawn per patient from distributions that overlap between subtypes (no
cue is a per-subtype constant), so the best AUC the planted cues allow, :func:`oracle_auc`, is
clearly below 1: that ceiling, not the paper's numbers, is what the simulator is set against.
"""

from __future__ import annotations

import contextlib
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from functools import partial
from pathlib import Path
from types import SimpleNamespace

import nibabel as nib
import numpy as np
import pandas as pd
from tqdm import tqdm

from glioma_lib.cohort import anatomy
from glioma_lib.cohort.genome import synthetic_gene_map
from glioma_lib.core.atomic import atomic_dir, write_json
from glioma_lib.core.errors import InputDataError
from glioma_lib.core.metrics import auc_or_nan
from glioma_lib.core.naming import MODALITIES, SUBTYPES

WT, INTACT, CODEL = SUBTYPES


@dataclass(frozen=True)
class SubtypeProfile:
    """Planted phenotype of one WHO 2016 subtype."""

    prevalence: float
    median_survival_months: float  # TCGA medians (Ceccarelli 2016)
    age_mean: float
    grade_probs: tuple[float, float, float]  # grade II, III, IV
    ring_prob: tuple[float, float]  # P(ring enhancement) for grade II-III, grade IV
    patchy_prob: float  # P(mild patchy enhancement) when not ring-enhancing
    mismatch_prob: float  # P(T2-FLAIR mismatch)
    frontal_prob: float
    core_radius_mm: tuple[float, float]  # mean, sd
    oedema_margin_mm: tuple[float, float]
    heterogeneity: tuple[float, float]  # mean, sd of the core's texture amplitude (calcification-like)
    margin_irregularity: tuple[float, float]  # mean, sd of the core boundary's deformation (ill-defined margins)
    chr7_gain_chr10_loss: float
    egfr_amp: float
    cdkn2a_homdel: float  # at latent risk 0; rises with risk
    arm_1p19q_loss: float


DEFAULT_PROFILES = {
    WT: SubtypeProfile(0.48, 14.0, 59, (0.05, 0.15, 0.80), (0.25, 0.70), 0.45, 0.05, 0.40,
                       (18, 5), (11, 6), (0.13, 0.07), (0.22, 0.08), 0.75, 0.45, 0.50, 0.02),
    INTACT: SubtypeProfile(0.32, 75.0, 38, (0.40, 0.48, 0.12), (0.10, 0.45), 0.20, 0.35, 0.45,
                           (19, 6), (7, 4), (0.12, 0.07), (0.20, 0.08), 0.05, 0.02, 0.12, 0.03),
    CODEL: SubtypeProfile(0.20, 116.0, 45, (0.50, 0.50, 0.00), (0.08, 0.08), 0.55, 0.08, 0.65,
                          (18, 5), (7, 4), (0.20, 0.07), (0.30, 0.08), 0.03, 0.01, 0.05, 0.97),
}  # fmt: skip
# The planted imaging cues, per patient: what an oracle that sees the phenotype exactly could use.
IMAGING_CUES = ("ring_enhancing", "patchy_enhancing", "t2_flair_mismatch", "frontal", "core_radius_mm",
                "oedema_margin_mm", "heterogeneity", "margin_irregularity")
# The planted copy-number events, per patient: what the SCNA input carries (through noise and PCA).
SCNA_CUES = ("chr7_gain_chr10_loss", "egfr_amp", "cdkn2a_homdel", "codel_arms")
CEILING_CUES = {"imaging": IMAGING_CUES, "SCNA": SCNA_CUES, "imaging + SCNA": IMAGING_CUES + SCNA_CUES}


@dataclass(frozen=True)
class PhantomConfig:
    """Parameters of the simulator; each planted effect is one documented field."""

    n_mr: int = 60
    n_scna_only: int = 40
    shape: tuple[int, int, int] = anatomy.BRATS_SHAPE
    seed: int = 0
    profiles: dict[str, SubtypeProfile] = field(default_factory=lambda: dict(DEFAULT_PROFILES))
    labelled_fraction: float = 0.6  # MR patients with a TCGA record (Fig. 1C)
    scna_fraction_of_labelled: float = 0.65  # real BraTS-TCGA: 108 of 167
    idh_missing_fraction: float = 1 / 3  # of labelled patients
    codel_missing_fraction: float = 0.05
    seg_fraction: float = 0.5  # MR patients with a ground-truth mask
    risk_survival_effect: float = 0.6  # log hazard per unit of latent risk, within subtype
    risk_size_effect: float = 0.15  # log tumour size per unit of latent risk
    weibull_shape: float = 1.4
    censor_max_months: float = 150.0  # uniform censoring (follow-up) in months
    n_genes: int = 2000
    focal_events_per_patient: float = 4.0
    random_arm_event_prob: float = 0.04
    noise_sd: float = 0.03  # Rician noise, relative to the intensity scale
    bias_strength: float = 0.2  # log-amplitude of the multiplicative bias field


TRUTH_TABLE = "truth.csv"  # every planted value, per patient: validation only
TRUTH_MASKS = "truth_masks"  # planted masks of every subject: validation only
PHANTOM_CONFIG = "phantom_config.json"


def planted_truth(brats_root: str | Path | None, name: str = TRUTH_TABLE) -> Path | None:
    """A file of the phantom's planted truth (``TRUTH_TABLE`` or ``TRUTH_MASKS``) beside its BraTS
    folder ``brats_root``; None when the cohort is not the phantom."""
    if brats_root is None:
        return None
    path = Path(brats_root).parent / name
    return path if path.exists() else None


def _bool_draw(rng: np.random.Generator, p: float) -> bool:
    return bool(rng.random() < p)


def _patients(config: PhantomConfig, rng: np.random.Generator) -> pd.DataFrame:
    """Planted per-patient truth: subtype, grade, imaging phenotype, genomics flags, survival."""
    n = config.n_mr + config.n_scna_only
    names = list(config.profiles)
    prevalence = np.array([config.profiles[s].prevalence for s in names])
    rows = []
    for i in range(n):
        has_mr = i < config.n_mr
        subtype = names[rng.choice(len(names), p=prevalence / prevalence.sum())]
        prof = config.profiles[subtype]
        risk = float(rng.standard_normal())
        grade = int(rng.choice([2, 3, 4], p=prof.grade_probs))
        ring = _bool_draw(rng, prof.ring_prob[grade == 4])
        rows.append({
            "patient_index": i,
            "has_mr": has_mr,
            "subtype": subtype,
            "grade": grade,
            "age": float(np.clip(rng.normal(prof.age_mean + 3 * risk, 11), 18, 89)),
            "latent_risk": risk,
            "ring_enhancing": ring,
            "patchy_enhancing": (not ring) and _bool_draw(rng, prof.patchy_prob),
            "t2_flair_mismatch": (not ring) and _bool_draw(rng, prof.mismatch_prob),
            "frontal": _bool_draw(rng, prof.frontal_prob),
            "core_radius_mm": float(np.clip(rng.normal(*prof.core_radius_mm), 8, 35)
                                    * np.exp(config.risk_size_effect * risk)),
            "oedema_margin_mm": float(np.clip(rng.normal(*prof.oedema_margin_mm), 1.5, 35)),
            "heterogeneity": float(np.clip(rng.normal(*prof.heterogeneity), 0.02, 0.45)),
            "margin_irregularity": float(np.clip(rng.normal(*prof.margin_irregularity), 0.05, 0.5)),
            "chr7_gain_chr10_loss": _bool_draw(rng, prof.chr7_gain_chr10_loss),
            "egfr_amp": _bool_draw(rng, prof.egfr_amp),
            "cdkn2a_homdel": _bool_draw(rng, min(0.95, prof.cdkn2a_homdel * np.exp(0.5 * risk))),
            "codel_arms": _bool_draw(rng, prof.arm_1p19q_loss),
        })  # fmt: skip
    truth = pd.DataFrame(rows)
    truth["idh_mutant"] = truth["subtype"] != WT
    truth["codeleted"] = truth["subtype"] == CODEL
    # Survival: Weibull whose median is the subtype's TCGA median at risk 0; higher risk, shorter.
    medians = truth["subtype"].map({s: p.median_survival_months for s, p in config.profiles.items()})
    k = config.weibull_shape
    scale = medians / np.log(2) ** (1 / k)
    hazard_ratio = np.exp(config.risk_survival_effect * truth["latent_risk"])
    event_time = scale * (-np.log(rng.random(n)) / hazard_ratio) ** (1 / k)
    censor_time = rng.uniform(1.0, config.censor_max_months, n)
    truth["os_months"] = np.minimum(event_time, censor_time)
    truth["os_event"] = (event_time <= censor_time).astype(int)
    return truth


def _availability(truth: pd.DataFrame, config: PhantomConfig, rng: np.random.Generator) -> None:
    """Label availability as in the paper's Fig. 1C; adds ids and availability columns in place."""
    n = len(truth)
    has_mr = truth["has_mr"].to_numpy()
    labelled = np.where(has_mr, rng.random(n) < config.labelled_fraction, True)
    has_scna = np.where(has_mr, labelled & (rng.random(n) < config.scna_fraction_of_labelled), True)
    truth["labelled"] = labelled
    truth["has_scna"] = has_scna
    truth["has_seg"] = has_mr & (rng.random(n) < config.seg_fraction)
    truth["idh_reported"] = labelled & (rng.random(n) >= config.idh_missing_fraction)
    truth["codel_reported"] = labelled & (rng.random(n) >= config.codel_missing_fraction)
    mr_index = np.cumsum(has_mr) - 1
    truth["brats_id"] = [f"Brats18_SYN_{j:03d}_1" if m else None for j, m in zip(mr_index, has_mr, strict=True)]
    truth["tcga_id"] = [f"TCGA-SY-{i:04d}" if lab else None for i, lab in enumerate(labelled)]


def _scna(truth: pd.DataFrame, genes: pd.DataFrame, config: PhantomConfig, rng: np.random.Generator) -> pd.DataFrame:
    """Gene-level GISTIC2 thresholded calls (-2..2) for every patient with SCNA, genes x samples."""
    arms = genes["chr_arm"].to_numpy()
    symbols = genes["Gene Symbol"].str.split("|").str[0].to_numpy()
    arm_names = list(dict.fromkeys(arms))
    index_of = {s: i for i, s in enumerate(symbols)}
    columns = {}
    for row in truth[truth["has_scna"]].itertuples():
        calls = np.zeros(len(genes), dtype=int)
        # Background aneuploidy grows with latent risk.
        p_arm = config.random_arm_event_prob * np.exp(0.4 * row.latent_risk)
        for arm in arm_names:
            if rng.random() < p_arm:
                calls[arms == arm] = rng.choice([-1, 1])
        if row.chr7_gain_chr10_loss:
            calls[np.isin(arms, ["7p", "7q"])] = 1
            calls[np.isin(arms, ["10p", "10q"])] = -1
        if row.codel_arms:
            calls[np.isin(arms, ["1p", "19q"])] = -1
        # Focal noise: short segments of single-copy changes.
        for _ in range(rng.poisson(config.focal_events_per_patient)):
            start = rng.integers(0, len(genes))
            stop = min(len(genes), start + rng.integers(1, 25))
            same_arm = arms[start:stop] == arms[start]
            calls[start:stop][same_arm] = rng.choice([-1, 1])
        if row.cdkn2a_homdel:
            i = index_of["CDKN2A"]
            calls[max(0, i - rng.integers(2, 8)) : i + rng.integers(3, 8)] = -2
        if row.egfr_amp:
            i = index_of["EGFR"]
            calls[max(0, i - rng.integers(0, 3)) : i + rng.integers(1, 4)] = 2
        columns[f"{row.tcga_id}-01"] = calls
    table = pd.DataFrame(columns, index=genes["Gene Symbol"].str.split("|").str[0])
    table.index.name = "Gene Symbol"
    return table


def _clinical(truth: pd.DataFrame) -> pd.DataFrame:
    """The Ceccarelli 2016 Table S1A columns the book uses, for TCGA-labelled patients."""
    lab = truth[truth["tcga_id"].notna()]
    idh = np.where(lab["idh_reported"], np.where(lab["idh_mutant"], "Mutant", "WT"), None)
    codel = np.where(lab["codel_reported"], np.where(lab["codeleted"], "codel", "non-codel"), None)
    subtype = [
        None if i is None or c is None else ("IDHwt" if i == "WT" else f"IDHmut-{c}")
        for i, c in zip(idh, codel, strict=True)
    ]
    return pd.DataFrame({
        "Case": lab["tcga_id"],
        "Grade": "G" + lab["grade"].astype(str),
        "Age (years at diagnosis)": lab["age"].round(1),
        "Survival (months)": lab["os_months"].round(4),
        "Vital status (1=dead)": lab["os_event"].astype(float),
        "IDH status": idh,
        "1p/19q codeletion": codel,
        "IDH/codel subtype": subtype,
    })  # fmt: skip


def _place_tumour(row, tissue: dict[str, np.ndarray], shape, rng: np.random.Generator) -> tuple[float, float, float]:
    """Tumour centre (mm) in white matter, frontal (anterior third) or elsewhere as planted."""
    world = anatomy.voxel_world(shape)
    deep = tissue["wm"] > 0.6
    deep &= np.abs(world[0]) > 12  # one hemisphere, off the midline
    y = world[1][tissue["brain"]]
    frontal_cut = np.quantile(y, 0.62)
    region = deep & ((world[1] > frontal_cut) == row.frontal)
    candidates = np.argwhere(region) if region.any() else np.argwhere(deep)
    pick = candidates[rng.integers(len(candidates))]
    return tuple(float(world[a][tuple(pick)]) for a in range(3))


def _write_subject(row, rng: np.random.Generator, config: PhantomConfig, folder: Path, truth_masks: Path) -> dict:
    """Render and write one subject's four modalities (and its mask when it has one)."""
    shape = tuple(config.shape)
    pose = anatomy.HeadPose(
        scale=float(rng.uniform(0.93, 1.07)),
        shift_mm=tuple(float(v) for v in rng.normal(0, 3, 3)),
        yaw_deg=float(rng.normal(0, 3)),
    )
    tissue = anatomy.tissue_maps(shape, pose)
    spec = anatomy.TumourSpec(
        centre_mm=_place_tumour(row, tissue, shape, rng),
        core_radius_mm=row.core_radius_mm,
        oedema_margin_mm=row.oedema_margin_mm,
        ring=row.ring_enhancing,
        patchy=row.patchy_enhancing,
        flair_mismatch=row.t2_flair_mismatch,
        heterogeneity=row.heterogeneity,
        margin_irregularity=row.margin_irregularity,
    )
    comp = anatomy.tumour_compartments(shape, spec, tissue["brain"], rng)
    images = anatomy.render_modalities(tissue, comp, spec, rng, config.noise_sd, config.bias_strength)
    affine = anatomy.grid_affine(shape)
    subject = folder / row.brats_id
    subject.mkdir(parents=True)
    for modality in MODALITIES:
        nib.save(nib.Nifti1Image(images[modality], affine), subject / f"{row.brats_id}_{modality}.nii.gz")
    labels = anatomy.to_brats_labels(comp)
    if row.has_seg:
        nib.save(nib.Nifti1Image(labels, affine), subject / f"{row.brats_id}_seg.nii.gz")
    nib.save(nib.Nifti1Image(labels, affine), truth_masks / f"{row.brats_id}_seg.nii.gz")
    voxel_ml = np.prod(anatomy.BRATS_FOV_MM / np.asarray(shape)) / 1000
    return {
        "centre_x_mm": spec.centre_mm[0], "centre_y_mm": spec.centre_mm[1], "centre_z_mm": spec.centre_mm[2],
        "whole_tumour_ml": float((labels > 0).sum() * voxel_ml),
        "enhancing_ml": float((labels == 4).sum() * voxel_ml),
    }  # fmt: skip


def oracle_auc(config: PhantomConfig | None = None, n: int = 20000, folds: int = 5,
               cues: tuple[str, ...] = IMAGING_CUES) -> dict[str, float]:
    """The simulator's ceiling: cross-validated AUC of a logistic regression on planted cues (by
    default the imaging ones, :data:`IMAGING_CUES`, seen exactly, without noise) of ``n`` simulated
    patients, per task (``who2021``: a multinomial regression's macro one-vs-rest AUC).

    A network that sees the images can at best approach these values; the book prints them.

    Example:
        >>> aucs = oracle_auc(n=4000)
        >>> 0.5 < aucs["idh"] < 1 and 0.5 < aucs["codel"] < 1
        True
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    config = replace(config or PhantomConfig(), n_mr=n, n_scna_only=0)
    truth = _patients(config, np.random.default_rng(np.random.SeedSequence(config.seed).spawn(2)[0]))
    features = truth[list(cues)].astype(float).to_numpy()
    idh, codel = truth["idh_mutant"].astype(bool).to_numpy(), truth["codeleted"].astype(bool).to_numpy()
    subtype = np.where(~idh, 0, np.where(codel, 2, 1))  # the order of TASK_CLASSES["who2021"]
    out = {}
    for task, target in (("idh", idh.astype(int)), ("codel", codel.astype(int)), ("who2021", subtype)):
        model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
        splits = StratifiedKFold(folds, shuffle=True, random_state=config.seed)
        scores = cross_val_predict(model, features, target, cv=splits, method="predict_proba")
        out[task] = auc_or_nan(target, scores[:, 1] if scores.shape[1] == 2 else scores)  # who2021: macro OvR
    return out


def ceilings(config: PhantomConfig | None = None, n: int = 20000) -> pd.DataFrame:
    """The oracle AUC per task (columns) for each set of planted cues (rows, :data:`CEILING_CUES`):
    imaging, SCNA and both; an MR model is read against the first, an MR+SCNA model the last."""
    rows = {name: oracle_auc(config, n, cues=cues) for name, cues in CEILING_CUES.items()}
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("planted cues").reset_index()


def simulate_tables(config: PhantomConfig) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The planted truth, the gene-level SCNA table (genes x samples) and the gene map; no images.

    Cheap enough to draw thousands of patients, which is how the planted effects are tested.
    """
    rng_meta, rng_scna = (np.random.default_rng(s) for s in np.random.SeedSequence(config.seed).spawn(2))
    truth = _patients(config, rng_meta)
    _availability(truth, config, rng_meta)
    genes = synthetic_gene_map(config.n_genes)
    return truth, _scna(truth, genes, config, rng_scna), genes


def generate(out: str | Path, config: PhantomConfig | None = None, progress: bool = True, workers: int = 1) -> Path:
    """Write a synthetic cohort to ``out`` (which must not exist yet); same seed, same files.

    ``workers`` processes render subjects in parallel; each subject has its own seed, so the files
    do not depend on the number of workers.
    """
    config = config or PhantomConfig()
    out = Path(out)
    if out.exists():
        raise InputDataError(f"{out} exists; the phantom writes a fresh folder and never overwrites: give a new --out")
    truth, scna, genes = simulate_tables(config)
    rng_img = np.random.default_rng(np.random.SeedSequence(config.seed).spawn(3)[2])

    with atomic_dir(out) as tmp:
        brats = tmp / "brats"
        brats.mkdir()
        truth_masks = tmp / TRUTH_MASKS  # planted masks of every subject: validation only
        truth_masks.mkdir()
        subject_seeds = rng_img.spawn(config.n_mr)
        mr = truth[truth["has_mr"]]
        rows = [SimpleNamespace(**row) for row in mr.to_dict("records")]
        render = partial(_write_subject, config=config, folder=brats, truth_masks=truth_masks)
        with ProcessPoolExecutor(workers) if workers > 1 else contextlib.nullcontext() as pool:
            results = (pool.map(render, rows, subject_seeds, chunksize=4) if pool is not None
                       else map(render, rows, subject_seeds))  # fmt: skip
            extras = list(tqdm(results, total=len(rows), desc="phantom subjects", disable=not progress))
        extra = pd.DataFrame(extras, index=mr.index)
        truth = truth.join(extra)
        mapping = pd.DataFrame({
            "Grade": np.where(mr["grade"] == 4, "HGG", "LGG"),
            "BraTS_2017_subject_ID": mr["brats_id"].str.replace("Brats18", "Brats17"),
            "BraTS_2018_subject_ID": mr["brats_id"],
            "TCGA_TCIA_subject_ID": mr["tcga_id"].fillna("NA"),
            "BraTS_2019_subject_ID": mr["brats_id"].str.replace("Brats18", "BraTS19"),
        })  # fmt: skip
        mapping.to_csv(brats / "name_mapping.csv", index=False)
        tcga = tmp / "tcga"
        tcga.mkdir()
        _clinical(truth).to_csv(tcga / "clinical.csv", index=False)
        scna.to_csv(tcga / "scna_thresholded_by_genes.tsv", sep="\t")
        genes.to_csv(tcga / "gene_to_arm.csv", index=False)
        truth.drop(columns=["patient_index"]).to_csv(tmp / TRUTH_TABLE, index=False)
        settings = asdict(config)
        settings["profiles"] = {k: asdict(v) for k, v in config.profiles.items()}
        write_json(settings, tmp / PHANTOM_CONFIG)
    return out
