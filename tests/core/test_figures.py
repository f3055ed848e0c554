"""Shared figure helpers: the slice with most tumour, axial orientation, panels and forest rows."""

from __future__ import annotations

import matplotlib
import numpy as np
import pandas as pd

from glioma_lib.core.figures import axial, interval_rows, mask_overlay, modality_panel, tumour_slice

matplotlib.use("Agg")


def test_tumour_slice_is_the_one_with_most_tumour():
    mask = np.zeros((8, 8, 6), dtype=np.uint8)
    mask[2:4, 2:4, 1] = 1
    mask[1:6, 1:6, 4] = 2
    assert tumour_slice(mask) == 4


def test_axial_is_the_rotated_z_slice():
    volume = np.arange(4 * 3 * 2).reshape(4, 3, 2)
    np.testing.assert_array_equal(axial(volume, 1), np.rot90(volume[:, :, 1]))


def test_modality_panel_draws_one_axis_per_modality():
    images = {m: np.random.default_rng(0).random((8, 8, 6)) for m in ("t1", "t1ce", "t2", "flair")}
    mask = np.zeros((8, 8, 6), dtype=np.uint8)
    mask[3:5, 3:5, 2] = 3
    assert len([ax for ax in modality_panel(images, mask, "x").axes if ax.has_data()]) >= 4


def test_interval_rows_draw_every_estimate_with_its_label():
    labels = pd.Series(["a", "b", "c"])
    figure = interval_rows(pd.Series([0.6, 0.7, 0.5]), pd.Series([0.5, 0.6, 0.4]), pd.Series([0.7, 0.8, 0.6]),
                           labels, 0.5, "AUC")  # fmt: skip
    axis = figure.axes[0]
    assert len(axis.containers) == 3 and [t.get_text() for t in axis.get_yticklabels()] == list(labels)


def test_mask_overlay_outlines_only_masks_present_on_the_slice():
    import matplotlib.pyplot as plt

    labels = np.zeros((8, 8, 6), dtype=np.uint8)
    labels[2:6, 2:6, 3] = 2
    elsewhere = np.zeros_like(labels)
    elsewhere[2:6, 2:6, 0] = 1  # on another slice: nothing to outline on slice 3
    fig, ax = plt.subplots()
    mask_overlay(ax, np.ones((8, 8, 6)), labels, 3, {"yellow": labels, "cyan": None, "red": elsewhere})
    assert len(ax.images) == 2 and len(ax.collections) == 1  # the volume, the labels; one contour
    plt.close(fig)


def test_the_slice_viewer_starts_at_the_tumour_and_redraws_on_every_change(monkeypatch):
    from glioma_lib.core import figures

    volume = np.random.default_rng(0).normal(size=(12, 12, 9)).astype(np.float32)
    labels = np.zeros((12, 12, 9), np.uint8)
    labels[4:8, 4:8, 6] = 2
    drawn = []
    real = figures.slice_figure
    monkeypatch.setattr(figures, "slice_figure", lambda *a: drawn.append(a[2:]) or real(*a))
    viewer = figures.slice_viewer({"t1ce": volume, "flair": volume * 2}, labels)
    menu, slider = viewer.children[0].children
    assert (slider.min, slider.max, slider.value) == (0, 8, 6) and menu.value == "flair"
    slider.value = 3
    menu.value = "t1ce"
    assert drawn == [("flair", 6), ("flair", 3), ("t1ce", 3)]
    assert figures.slice_figure({"flair": volume}, None, "flair", 2).axes[0].get_title() == "flair, axial slice 2"
