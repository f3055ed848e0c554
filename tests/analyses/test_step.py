"""The analyses step: ring flags from the masks there are, UMAP tables where RunLayout says."""

from __future__ import annotations

import shutil

import pandas as pd

from glioma_lib.analyses.step import arm_level_scna, ring_table, umap_analysis
from glioma_lib.cohort.manifest import read_manifest
from glioma_lib.core.layout import RunLayout


def test_ring_table_uses_ground_truth_and_skips_patients_without_a_mask(phantom_run):
    table = ring_table(phantom_run, threshold=0.5, min_necrosis=0.1)
    manifest = read_manifest(phantom_run.manifest)
    assert set(table["patient_id"]) == set(manifest.loc[manifest["has_seg_gt"], "patient_id"])  # no weak masks yet
    assert (table["mask_source"] == "ground truth").all() and table["ring_score"].between(0, 1).all()


def test_umap_tables_go_where_the_layout_says(phantom_run, tmp_path):
    layout = RunLayout(tmp_path / "run")
    shutil.copytree(phantom_run.cohort, layout.cohort)
    manifest = read_manifest(layout.manifest).dropna(subset=["tcga_id"]).set_index("tcga_id")
    arms = arm_level_scna(layout)
    arms = arms[arms.index.isin(manifest.index)]
    umap_analysis(layout, "cohort", arms, manifest.loc[arms.index, "subtype"], seed=0)
    coordinates = pd.read_csv(layout.umap_table("cohort"))
    assert len(coordinates) == len(arms) and layout.separation_table("cohort").is_file()
