"""The benchmarks' plumbing at tiny shapes (their figures belong in the README, never in tests)."""

from __future__ import annotations

import argparse
import json

import pytest
import torch

from glioma_lib.cli import main
from glioma_lib.pipeline import bench


def test_benchmarks_run_at_tiny_shapes():
    args = argparse.Namespace(shape=[[16, 16, 16]], steps=1, compile=False, batched=0, concurrent=0)
    train = bench.bench_train(args)
    weak = bench.bench_weak(args)
    assert train[0]["samples_per_s"] > 0 and train[0]["variant"] == "fp32 eager, one trial"
    assert weak[0]["volumes_per_s"] > 0 and "machine" in weak[0]


@pytest.mark.slow  # several seconds: the fast lane stays under 3 minutes
def test_the_training_benchmark_has_every_row_in_one_run_and_writes_json(tmp_path):
    """fp32 eager, the default path, K batched trials and K processes, measured in one run."""
    out = tmp_path / "bench.json"
    assert main(["bench", "train", "--shape", "16", "16", "16", "--steps", "1", "--batched", "2", "--concurrent", "2",
                 "--out", str(out)]) == 0  # fmt: skip
    rows = json.loads(out.read_text())
    assert [row["variant"] for row in rows] == [
        "fp32 eager, one trial", "default path (on a CPU: fp32 eager), one trial",
        "2 trials batched in one model (aggregate)", "2 processes (aggregate)"]  # fmt: skip
    assert all(row["samples_per_s"] > 0 and row["shape"] == "16x16x16" and row["machine"] for row in rows)


@pytest.mark.slow
def test_the_accuracy_check_compares_the_fast_path_with_fp32_eager_on_the_same_patients():
    result = bench.accuracy_check(device="cpu", n_mr=40, updates=8, trials=2)
    assert result["settings"] == {"fp32 eager": {"mixed_precision": False, "batch_trials": False},
                                  "fast path": {"mixed_precision": True, "batch_trials": True}}
    assert 0 <= result["fast_path_auc"] <= 1 and result["ci95"][0] <= result["difference"] <= result["ci95"][1]
    # on a CPU the fast path is batched fp32 trials: the same numbers to rounding
    assert abs(result["difference"]) < 0.02 and result["same_within_ci"]


def test_the_gpu_check_says_it_needs_a_gpu(capsys):
    if torch.cuda.is_available():
        pytest.skip("a GPU is here: the check would run")
    with pytest.raises(SystemExit, match="gpu-check needs a CUDA device"):
        main(["bench", "gpu-check"])


@pytest.mark.cuda
def test_on_a_gpu_each_training_row_has_its_own_peak_memory():
    """Peak GPU memory is measured per row (reset between rows), the processes' summed."""
    args = argparse.Namespace(shape=[[32, 32, 32]], steps=1, compile=False, batched=2, concurrent=2)
    peaks = {row["variant"].split(",")[0].split(" (")[0]: row["peak_gpu_memory_gb"] for row in bench.bench_train(args)}
    assert all(peak > 0 for peak in peaks.values())
    assert peaks["2 trials batched in one model"] > peaks["fp32 eager"] / 2  # not a leftover of the previous row
    assert peaks["default path"] < peaks["fp32 eager"]  # bf16 activations
