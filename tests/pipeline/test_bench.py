"""The benchmarks' plumbing at tiny shapes (their figures belong in the README, never in tests)."""

from __future__ import annotations

import argparse

from glioma_lib.pipeline import bench


def test_benchmarks_run_at_tiny_shapes():
    args = argparse.Namespace(shape=[[16, 16, 16]], steps=1, compile=False)
    train = bench.bench_train(args)
    weak = bench.bench_weak(args)
    assert train[0]["samples_per_s"] > 0 and train[0]["variant"] == "fp32 eager"
    assert weak[0]["volumes_per_s"] > 0 and "machine" in weak[0]


def test_concurrent_trainings_report_an_aggregate_rate():
    args = argparse.Namespace(shape=[[16, 16, 16]], steps=1, compile=False, concurrent=2)
    rows = bench.bench_train(args)
    assert [row["variant"] for row in rows] == ["fp32 eager", "2 concurrent trainings (aggregate)"]
    assert rows[-1]["samples_per_s"] > 0
