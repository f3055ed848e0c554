"""What each step of a run cost: Snakemake's ``benchmark:`` records (one TSV per job, wall time,
peak memory, I/O), gathered into one table and one figure for the book's appendix."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd

from glioma_lib.core.layout import RunLayout

COST_COLUMNS = ["step", "seconds", "peak_memory_mb", "cpu_seconds", "read_mb", "written_mb"]


def step_costs(layout: RunLayout) -> pd.DataFrame:
    """One row per job that recorded a benchmark: wall seconds, peak resident memory (MB), CPU
    seconds and I/O; the longest first. Snakemake writes ``NA`` where a value was not measurable."""
    rows = []
    for path in sorted(layout.benchmarks.glob(f"*{layout.step_benchmark('').suffix}")):
        record = pd.read_csv(path, sep="\t", na_values=["NA", "-"]).iloc[-1]  # the last attempt's
        rows.append({"step": path.stem, "seconds": record["s"], "peak_memory_mb": record["max_rss"],
                     "cpu_seconds": record.get("cpu_time"), "read_mb": record.get("io_in"),
                     "written_mb": record.get("io_out")})  # fmt: skip
    table = pd.DataFrame(rows, columns=COST_COLUMNS)
    return table.sort_values("seconds", ascending=False, ignore_index=True)


def cost_figure(costs: pd.DataFrame) -> plt.Figure:
    """Wall time and peak memory of every step, side by side, the longest at the top."""
    shown = costs.iloc[::-1]
    fig, axes = plt.subplots(1, 2, figsize=(11, 0.28 * len(shown) + 1.2), sharey=True)
    axes[0].barh(shown["step"], shown["seconds"] / 60, color="tab:blue")
    axes[0].set_xlabel("wall time (min)")
    axes[1].barh(shown["step"], shown["peak_memory_mb"] / 1024, color="tab:orange")
    axes[1].set_xlabel("peak resident memory (GB)")
    for ax in axes:
        ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    return fig
