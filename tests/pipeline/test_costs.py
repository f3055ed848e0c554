"""Each step's cost, from Snakemake's benchmark records, as a table and a figure."""

from __future__ import annotations

import pandas as pd

from glioma_lib.core.layout import RunLayout
from glioma_lib.pipeline.book import reproducibility_page
from glioma_lib.pipeline.costs import cost_figure, step_costs

# Snakemake's benchmark columns (snakemake.benchmark), one row per job attempt.
HEADER = "s\th:m:s\tmax_rss\tmax_vms\tmax_uss\tmax_pss\tio_in\tio_out\tmean_load\tcpu_time"


def _record(layout: RunLayout, step: str, *rows: str) -> None:
    path = layout.step_benchmark(step)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join([HEADER, *rows]) + "\n")


def test_costs_read_each_jobs_last_attempt_longest_first(tmp_path):
    layout = RunLayout(tmp_path)
    _record(layout, "01_data_curation", "61.2\t0:01:01\t900.5\t1\t1\t1\t10.0\t250.0\t95.0\t58.1")
    _record(layout, "03_subtype_training-idh-t1ce-mtl", "5.0\t0:00:05\t100\t1\t1\t1\t1\t1\t50\t2",
            "300.4\t0:05:00\t1500.2\t1\t1\t1\t20.5\t30.5\t99.0\t290.0")  # a retried job: the last attempt counts
    _record(layout, "07_results", "12.0\t0:00:12\tNA\tNA\tNA\tNA\tNA\tNA\tNA\tNA")  # Snakemake's unmeasured values
    costs = step_costs(layout)
    assert list(costs["step"]) == ["03_subtype_training-idh-t1ce-mtl", "01_data_curation", "07_results"]
    assert costs.loc[0, "seconds"] == 300.4 and costs.loc[0, "peak_memory_mb"] == 1500.2
    assert pd.isna(costs.loc[2, "peak_memory_mb"])
    assert len(cost_figure(costs).axes) == 2
    page = reproducibility_page({"created": "now", "git": {"commit": "abc", "dirty": False}, "profile": "smoke",
                                 "config": {}, "machine": {"platform": "Linux", "python": "3.11"}, "packages": {},
                                 "notebooks": [], "workflow_wall_seconds": 1.0}, costs, "step_costs.png")  # fmt: skip
    assert "```{figure} step_costs.png" in page and "| 03_subtype_training-idh-t1ce-mtl | 300 | 1500 |" in page
    assert "| 07_results | 12 | - | - | - | - |" in page


def test_a_run_without_records_has_an_empty_table(tmp_path):
    assert step_costs(RunLayout(tmp_path)).empty
