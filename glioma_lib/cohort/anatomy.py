"""Synthetic MR anatomy: MNI152 tissue maps, a planted tumour, and the four BraTS contrasts.

Everything is computed on the requested grid, which always covers BraTS's 240x240x155 mm field
of view: a smaller shape means coarser voxels, exactly as resampling a real case would.
Axes are (x: left-right, y: posterior-anterior, z: inferior-superior), RAS.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy import ndimage

from glioma_lib.core.naming import MODALITIES

BRATS_SHAPE = (240, 240, 155)
BRATS_FOV_MM = np.array(BRATS_SHAPE, dtype=float)  # 1 mm isotropic

# Internal compartments of the planted tumour (BraTS label in brackets).
NECROSIS, OEDEMA, ENHANCING, NON_ENHANCING = 1, 2, 3, 5  # necrosis [1], oedema [2], ET [4], NET [1]

# Tissue contrasts relative to white matter on T1 (documented in the book's data chapter):
# T1 and T1ce differ only in enhancing tumour; FLAIR suppresses free fluid (CSF, necrosis).
CONTRAST = {
    #         WM    GM    CSF   necr  oedema enh   NET
    "t1":    (1.00, 0.70, 0.25, 0.35, 0.70, 0.65, 0.55),
    "t1ce":  (1.00, 0.70, 0.25, 0.35, 0.72, 1.60, 0.55),
    "t2":    (0.45, 0.65, 1.40, 1.30, 1.00, 0.85, 1.05),
    "flair": (0.45, 0.60, 0.10, 0.60, 1.15, 0.90, 1.00),
}  # fmt: skip
FLAIR_MISMATCH_NET = 0.55  # non-enhancing tumour dark on FLAIR but bright on T2 (T2-FLAIR mismatch)


def grid_affine(shape: tuple[int, int, int]) -> np.ndarray:
    """RAS affine of a grid covering the BraTS field of view, centred on the origin."""
    spacing = BRATS_FOV_MM / np.asarray(shape, dtype=float)
    affine = np.diag([*spacing, 1.0])
    affine[:3, 3] = -BRATS_FOV_MM / 2 + spacing / 2
    return affine


def voxel_world(shape: tuple[int, int, int]) -> np.ndarray:
    """World coordinates (mm) of every voxel centre, shape (3, X, Y, Z)."""
    affine = grid_affine(shape)
    idx = np.indices(shape, dtype=np.float32)
    return np.einsum("ij,j...->i...", affine[:3, :3], idx) + affine[:3, 3, None, None, None]


@lru_cache(maxsize=2)
def _mni_tissue_maps() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """GM, WM and brain-mask maps of nilearn's MNI152 (2009) template at 1 mm, with its affine."""
    from nilearn import datasets

    gm = datasets.load_mni152_gm_template(resolution=1)
    wm = datasets.load_mni152_wm_template(resolution=1)
    mask = datasets.load_mni152_brain_mask(resolution=1)
    return (
        np.asarray(gm.get_fdata(), dtype=np.float32),
        np.asarray(wm.get_fdata(), dtype=np.float32),
        np.asarray(mask.get_fdata(), dtype=np.float32),
        np.asarray(gm.affine, dtype=float),
    )


# Centre of the MNI brain (mm), put at the centre of the BraTS field of view.
MNI_BRAIN_CENTRE = np.array([0.0, -18.0, 12.0])


@dataclass(frozen=True)
class HeadPose:
    """Per-subject variation of brain size and position (scanner and anatomy)."""

    scale: float = 1.0
    shift_mm: tuple[float, float, float] = (0.0, 0.0, 0.0)
    yaw_deg: float = 0.0


def tissue_maps(shape: tuple[int, int, int], pose: HeadPose) -> dict[str, np.ndarray]:
    """GM, WM and CSF probabilities and the brain mask on the grid, for one subject's pose."""
    gm, wm, mask, mni_affine = _mni_tissue_maps()
    world = voxel_world(shape).reshape(3, -1)
    yaw = np.deg2rad(pose.yaw_deg)
    rot = np.array([[np.cos(yaw), -np.sin(yaw), 0], [np.sin(yaw), np.cos(yaw), 0], [0, 0, 1]])
    mni_world = rot @ ((world - np.asarray(pose.shift_mm)[:, None]) / pose.scale)
    mni_world += MNI_BRAIN_CENTRE[:, None]
    inv = np.linalg.inv(mni_affine)
    coords = inv[:3, :3] @ mni_world + inv[:3, 3, None]

    def sample(volume: np.ndarray) -> np.ndarray:
        out = ndimage.map_coordinates(volume, coords, order=1, mode="constant", cval=0.0)
        return out.reshape(shape).astype(np.float32)

    brain = sample(mask) > 0.5
    p_gm, p_wm = sample(gm) * brain, sample(wm) * brain
    total = np.clip(p_gm + p_wm, 0, 1)
    p_gm, p_wm = p_gm / np.maximum(p_gm + p_wm, 1), p_wm / np.maximum(p_gm + p_wm, 1)
    p_csf = np.where(brain, 1.0 - total, 0.0).astype(np.float32)
    return {"gm": p_gm, "wm": p_wm, "csf": p_csf, "brain": brain}


def smooth_noise(rng: np.random.Generator, shape: tuple[int, int, int], coarse: int = 6) -> np.ndarray:
    """A smooth random field in about [-1, 1]: coarse Gaussian noise upsampled to ``shape``."""
    low = rng.standard_normal((coarse, coarse, coarse)).astype(np.float32)
    field = ndimage.zoom(low, np.asarray(shape) / coarse, order=1, mode="nearest", grid_mode=True)
    field = field[: shape[0], : shape[1], : shape[2]]
    return np.clip(field / 2.0, -1.5, 1.5)


@dataclass(frozen=True)
class TumourSpec:
    """The planted tumour of one subject, in millimetres."""

    centre_mm: tuple[float, float, float]
    core_radius_mm: float
    oedema_margin_mm: float
    ring: bool  # enhancing rim around necrosis
    patchy: bool  # scattered, mild enhancement inside a non-enhancing core
    flair_mismatch: bool
    heterogeneity: float  # texture amplitude inside the core
    margin_irregularity: float = 0.22  # amplitude of the core boundary's smooth deformation


def tumour_compartments(
    shape: tuple[int, int, int], spec: TumourSpec, brain: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Internal compartment map (0, NECROSIS, OEDEMA, ENHANCING, NON_ENHANCING)."""
    world = voxel_world(shape)
    stretch = rng.uniform(0.8, 1.25, size=3)
    rel = (world - np.asarray(spec.centre_mm)[:, None, None, None]) / stretch[:, None, None, None]
    radius = np.sqrt((rel**2).sum(axis=0))
    core_d = radius / spec.core_radius_mm * (1 + spec.margin_irregularity * smooth_noise(rng, shape))
    oedema_d = radius / (spec.core_radius_mm + spec.oedema_margin_mm)
    oedema_d = oedema_d * (1 + 0.3 * smooth_noise(rng, shape))

    comp = np.zeros(shape, dtype=np.uint8)
    comp[oedema_d < 1] = OEDEMA
    core = core_d < 1
    comp[core] = NON_ENHANCING
    if spec.ring:
        rim = rng.uniform(0.55, 0.75)
        comp[core & (core_d >= rim)] = ENHANCING
        comp[core_d < rim] = NECROSIS
    elif spec.patchy:
        patches = smooth_noise(rng, shape, coarse=12) > 0.55
        comp[core & patches] = ENHANCING
    comp[~brain] = 0
    return comp


def render_modalities(
    tissue: dict[str, np.ndarray],
    comp: np.ndarray,
    spec: TumourSpec,
    rng: np.random.Generator,
    noise_sd: float,
    bias_strength: float,
) -> dict[str, np.ndarray]:
    """The four contrasts as int16 volumes with partial volume, bias field, scale and Rician noise."""
    shape = comp.shape
    spacing = BRATS_FOV_MM / np.asarray(shape)
    blur = 0.7 / spacing  # about 0.7 mm partial-volume blur, in voxels
    weights = {k: ndimage.gaussian_filter((comp == k).astype(np.float32), blur)
               for k in (NECROSIS, OEDEMA, ENHANCING, NON_ENHANCING)}  # fmt: skip
    tumour_weight = np.clip(sum(weights.values()), 0, 1)
    texture = 1 + spec.heterogeneity * smooth_noise(rng, shape, coarse=16)
    bias_shared = smooth_noise(rng, shape, coarse=3)
    out = {}
    for modality in MODALITIES:
        wm_c, gm_c, csf_c, necr_c, oed_c, enh_c, net_c = CONTRAST[modality]
        if modality == "flair" and spec.flair_mismatch:
            net_c = FLAIR_MISMATCH_NET
        normal = wm_c * tissue["wm"] + gm_c * tissue["gm"] + csf_c * tissue["csf"]
        tumour = (necr_c * weights[NECROSIS] + oed_c * weights[OEDEMA]
                  + texture * (enh_c * weights[ENHANCING] + net_c * weights[NON_ENHANCING]))  # fmt: skip
        image = (1 - tumour_weight) * normal + tumour
        bias = np.exp(bias_strength * (0.7 * bias_shared + 0.3 * smooth_noise(rng, shape, coarse=3)))
        scale = 1000.0 * rng.uniform(0.7, 1.4)
        image = image * bias * scale
        sigma = noise_sd * scale
        noisy = np.sqrt((image + rng.normal(0, sigma, shape)) ** 2 + rng.normal(0, sigma, shape) ** 2)
        noisy[~tissue["brain"]] = 0  # skull-stripped, as BraTS distributes it
        out[modality] = np.clip(np.round(noisy), 0, np.iinfo(np.int16).max).astype(np.int16)
    return out


def to_brats_labels(comp: np.ndarray) -> np.ndarray:
    """Compartments to BraTS 2018 labels: necrosis and non-enhancing core 1, oedema 2, enhancing 4."""
    labels = np.zeros(comp.shape, dtype=np.uint8)
    labels[(comp == NECROSIS) | (comp == NON_ENHANCING)] = 1
    labels[comp == OEDEMA] = 2
    labels[comp == ENHANCING] = 4
    return labels
