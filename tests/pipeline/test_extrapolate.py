"""A finished run's measured unit costs, scaled to the paper's grid by ``glioma costs``."""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest
import yaml

from glioma_lib.config.load import load_config
from glioma_lib.config.schema import AnalysisConfig
from glioma_lib.core.cost_model import REFERENCE_SAMPLES_PER_S, STEP_COST
from glioma_lib.core.errors import InputDataError
from glioma_lib.core.layout import RunLayout
from glioma_lib.pipeline.extrapolate import cost_table, extrapolated_costs, measure_run, summary_lines
from tests.pipeline.test_costs import _record


def _entry(layout: RunLayout, key: str, fmt: str, channels: int, shape: list[int], seconds: float, kind: str) -> None:
    folder = layout.cache / fmt / key
    folder.mkdir(parents=True)
    meta = {"format": fmt, "channels": ["c"] * channels, "mask_kind": kind, "spec": {"shape": shape},
            "build_seconds": seconds, "bytes": {"image.npy": 2 * channels * math.prod(shape),
                                                "labels.npy": math.prod(shape)}}
    (folder / "meta.json").write_text(json.dumps(meta))


@pytest.fixture
def rehearsed(tmp_path) -> RunLayout:
    """A rehearsal-like run: 24 subjects, 120 s of cohort, teacher inputs at 144^3 (3 s each),
    training crops at 64^3 (1 s each), one teacher epoch of 8 volumes in 40 s, a 200 s teacher step."""
    layout = RunLayout(tmp_path / "run")
    layout.root.mkdir()
    layout.resolved_config.write_text(yaml.safe_dump(load_config("rehearsal")))
    _record(layout, "01_data_curation", "120.0\t0:02:00\t900\t1\t1\t1\t1\t1\t90\t100")
    _record(layout, "02_weak_labelling", "200.0\t0:03:20\t9000\t1\t1\t1\t1\t1\t90\t190")
    for i in range(24):
        _entry(layout, f"t{i}", "all_whole", 4, [144] * 3, 3.0, "gt" if i % 2 else "none")
        _entry(layout, f"c{i}", "all_cropped", 4, [64] * 3, 1.0, "weak")
    layout.teacher.mkdir(parents=True)
    pd.DataFrame({"epoch": [0], "loss": [1.0], "volumes": [8], "seconds": [40.0]}).to_csv(layout.teacher_curve)
    return layout


def test_unit_costs_are_read_from_the_runs_own_records(rehearsed):
    measured = measure_run(rehearsed)
    assert measured.subjects == 24 and measured.cohort_seconds_per_subject == 5.0
    assert measured.cache_seconds == {(144, 144, 144): 3.0, (64, 64, 64): 1.0}
    assert measured.image_bytes_per_channel_voxel == 2.0 and measured.label_bytes_per_voxel == 1.0  # float16, int8
    assert measured.teacher_seconds_per_volume == 5.0 and measured.teacher_share == pytest.approx(8 / 24)
    assert measured.weak_seconds_per_subject == pytest.approx((200 - 40 - 24 * 3.0) / 24)


def test_the_paper_grid_is_costed_unit_by_unit(rehearsed, tmp_path):
    paper = AnalysisConfig.model_validate(load_config("paper"))
    table = extrapolated_costs(measure_run(rehearsed), paper, subjects=542).set_index("item")
    assert table.at["cohort (phantom generation)", "total"] == pytest.approx(5.0 * 542 / 3600)
    assert table.at["cache t1ce 64x64x64", "total"] == pytest.approx(1.0 * 542 / 3600)  # as all_cropped's
    assert table.at["cache all_whole 144x144x144 on disk", "total"] == pytest.approx((4 * 2 + 1) * 144**3 * 542 / 1e9)
    assert table.at["cache t1ce 64x64x64 on disk", "total"] == pytest.approx((2 + 1) * 64**3 * 542 / 1e9)  # one channel
    assert table.at["teacher training (100 epochs)", "units"] == pytest.approx(100 * 542 * 8 / 24)
    whole = paper.training.for_run("idh-all_whole-mtl")
    runs_at_144 = [paper.training.for_run(r) for r in paper.training.runs() if "all_whole" in r]
    samples = sum(r.trials * r.updates * r.volumes_per_step * STEP_COST[r.model] for r in runs_at_144)
    gpu = table.loc[table["total_unit"] == "GPU h"]
    assert gpu.loc["training 6 runs at 144x144x144", "total"] == pytest.approx(
        samples / REFERENCE_SAMPLES_PER_S[(144, 144, 144)] / 3600)
    assert samples > whole.trials * whole.updates * 4  # the CNN and SCNA runs too
    check = tmp_path / "gpu_check.json"
    check.write_text(json.dumps([
        {"benchmark": "train", "variant": "4 trials batched in one model (aggregate)", "shape": "64x64x64",
         "samples_per_s": 380.0, "machine": "gpu"},
        {"benchmark": "train", "variant": "4 trials batched in one model (aggregate)", "shape": "144x144x144",
         "samples_per_s": 47.0, "machine": "gpu"}, {"benchmark": "fast-path accuracy"}]))  # fmt: skip
    measured_gpu = extrapolated_costs(measure_run(rehearsed), paper, 542, check).set_index("item")
    assert measured_gpu.at["training 6 runs at 144x144x144", "total"] == pytest.approx(samples / 47.0 / 3600)
    assert "measured" in measured_gpu.at["training 6 runs at 144x144x144", "basis"]
    lines = summary_lines(table.reset_index(), 542)
    assert lines[0] == "Extrapolated to 542 MR subjects:" and lines[-1].startswith("totals: ")
    assert all(kind in lines[-1] for kind in ("CPU h", "GB", "GPU h"))


def test_an_unfinished_run_is_refused_naming_what_is_missing(tmp_path):
    layout = RunLayout(tmp_path / "run")
    layout.root.mkdir()
    layout.resolved_config.write_text(yaml.safe_dump(load_config("rehearsal")))
    with pytest.raises(InputDataError, match="02_weak_labelling.*rehearsal"):
        cost_table(layout.root)
