"""The command line: one line naming what is wrong, never a traceback, for ordinary mistakes."""

from __future__ import annotations

import errno

import pytest

from glioma_lib import cli


def test_an_unknown_notebook_is_named_with_the_known_ones(tmp_path, capsys):
    assert cli.main(["notebook", "08_nothing", "--out", str(tmp_path / "x.ipynb")]) == 2
    message = capsys.readouterr().err
    assert "no notebook '08_nothing'" in message and "01_data_curation" in message


def test_a_build_without_sources_says_what_to_give(tmp_path, capsys):
    assert cli.main(["cohort", "build", "--out", str(tmp_path / "cohort")]) == 2
    assert "no cohort source: give --phantom DIR" in capsys.readouterr().err


def test_an_unknown_profile_is_named(capsys):
    assert cli.main(["run", "--profile", "nonexistent"]) == 2
    assert "no profile 'nonexistent'" in capsys.readouterr().err


def test_a_full_disk_is_one_line_naming_the_file(monkeypatch, tmp_path, capsys):
    def full(args):
        raise OSError(errno.ENOSPC, "No space left on device", "/runs/x/manifest.parquet")

    monkeypatch.setattr(cli, "_cohort_build", full)
    assert cli.main(["cohort", "build", "--phantom", str(tmp_path), "--out", str(tmp_path / "out")]) == 3
    assert "no space left on the device while writing /runs/x/manifest.parquet" in capsys.readouterr().err


def test_help_lists_every_command(capsys):
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    out = capsys.readouterr().out
    assert all(name in out for name in ("cohort", "notebook", "run", "book", "predict", "export", "bench"))


def test_predict_and_bench_need_no_notebook_tools():
    """`glioma predict` and `glioma bench` import neither papermill, jupytext nor pydantic, so they
    run in a GPU node's own Python with the core packages only."""
    import subprocess
    import sys

    heavy = "('papermill', 'jupytext', 'pydantic', 'nbclient')"
    code = ("import sys, glioma_lib.cli, glioma_lib.pipeline.predict, glioma_lib.pipeline.bench; "
            f"print(sorted(m for m in {heavy} if m in sys.modules))")  # fmt: skip
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout == "[]\n"
