"""Figures shared by several notebooks: modality panels, mask overlays and forest plots."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.colors import ListedColormap

from glioma_lib.core.naming import MODALITIES

# Internal labels 1 necrosis/NET, 2 oedema, 3 enhancing.
LABEL_COLOURS = ListedColormap([(0, 0, 0, 0), (0.9, 0.2, 0.2, 0.6), (0.2, 0.8, 0.2, 0.45), (1.0, 0.9, 0.1, 0.7)])
LABEL_NAMES = {1: "necrosis / non-enhancing core", 2: "oedema", 3: "enhancing tumour"}


def tumour_slice(mask: np.ndarray) -> int:
    """Axial slice with the most tumour (the middle slice when the mask is empty)."""
    counts = (mask > 0).sum(axis=(0, 1))
    return int(np.argmax(counts)) if counts.any() else mask.shape[2] // 2


def axial(volume: np.ndarray, k: int) -> np.ndarray:
    """Axial slice in radiological display orientation (anterior up)."""
    return np.rot90(volume[:, :, k])


def mask_overlay(ax: plt.Axes, volume: np.ndarray, labels: np.ndarray, k: int,
                 outlines: dict[str, np.ndarray | None] | None = None) -> None:
    """Axial slice ``k`` of ``volume`` with the internal labels coloured over it and each mask of
    ``outlines`` (colour -> mask, None skipped) drawn as a contour."""
    ax.imshow(axial(volume, k), cmap="gray")
    ax.imshow(np.ma.masked_equal(axial(labels, k), 0), cmap=LABEL_COLOURS, vmin=0, vmax=3, alpha=0.5,
              interpolation="nearest")  # fmt: skip
    for colour, mask in (outlines or {}).items():
        if mask is not None and axial(mask, k).any():
            ax.contour(axial(mask > 0, k), levels=[0.5], colors=colour, linewidths=0.8)
    ax.axis("off")


def modality_panel(images: dict[str, np.ndarray], mask: np.ndarray | None, title: str = "") -> plt.Figure:
    """The four modalities of one subject and the mask over FLAIR (the paper's Fig. 1A/B)."""
    k = tumour_slice(mask) if mask is not None else images["flair"].shape[2] // 2
    fig, axes = plt.subplots(1, 5, figsize=(15, 3.4))
    for ax, modality in zip(axes, MODALITIES, strict=False):
        ax.imshow(axial(images[modality], k), cmap="gray")
        ax.set_title(modality.upper() if modality != "t1ce" else "T1ce")
    axes[4].imshow(axial(images["flair"], k), cmap="gray")
    if mask is not None:
        axes[4].imshow(axial(mask, k), cmap=LABEL_COLOURS, vmin=0, vmax=3, interpolation="nearest")
    axes[4].set_title("mask on FLAIR" if mask is not None else "FLAIR (no mask)")
    for ax in axes:
        ax.axis("off")
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def interval_rows(values: pd.Series, lows: pd.Series, highs: pd.Series, labels: pd.Series, reference: float,
                  xlabel: str, colours: list[str] | None = None) -> plt.Figure:
    """A forest plot: one row per estimate with its interval, and a dotted line at ``reference``."""
    n = len(values)
    fig, ax = plt.subplots(figsize=(8.5, 0.38 * n + 1.5))
    for i, (value, low, high) in enumerate(zip(values, lows, highs, strict=True)):
        ax.errorbar(value, i, xerr=[[value - low], [high - value]], fmt="o", capsize=3,
                    color=None if colours is None else colours[i])  # fmt: skip
    ax.axvline(reference, ls=":", color="k")
    ax.set_yticks(range(n), labels, fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel(xlabel)
    fig.tight_layout()
    return fig


def slice_figure(images: dict[str, np.ndarray], labels: np.ndarray | None, modality: str, k: int) -> plt.Figure:
    """One axial slice of one modality with the mask over it (what the slice viewer draws)."""
    fig, ax = plt.subplots(figsize=(4.6, 4.6))
    mask_overlay(ax, images[modality], np.zeros(images[modality].shape, np.uint8) if labels is None else labels, k)
    ax.set_title(f"{modality}, axial slice {k}", fontsize=9)
    fig.tight_layout()
    return fig


def slice_viewer(images: dict[str, np.ndarray], labels: np.ndarray | None = None):
    """An interactive viewer for JupyterLab (ipywidgets): a modality menu and a slider over the
    axial slices, starting at the slice with most tumour, the mask over the image. The rendered
    book keeps the static figure beside it (widgets need a live kernel).

    Example:
        >>> slice_viewer({"flair": flair, "t1ce": t1ce}, mask)  # doctest: +SKIP
    """
    import ipywidgets as widgets
    from IPython.display import display

    depth = next(iter(images.values())).shape[2]
    start = tumour_slice(labels) if labels is not None else depth // 2
    menu = widgets.Dropdown(options=list(images), value="flair" if "flair" in images else next(iter(images)),
                            description="image")  # fmt: skip
    slider = widgets.IntSlider(value=start, min=0, max=depth - 1, description="axial slice", continuous_update=False)
    output = widgets.Output()

    def draw(*_) -> None:
        with output:
            output.clear_output(wait=True)
            figure = slice_figure(images, labels, menu.value, slider.value)
            display(figure)
            plt.close(figure)

    menu.observe(draw, "value")
    slider.observe(draw, "value")
    draw()
    return widgets.VBox([widgets.HBox([menu, slider]), output])
