"""Run names are built and parsed in one place."""

from __future__ import annotations

import pytest

from glioma_lib.core.naming import parse_run_name, run_name


@pytest.mark.parametrize("args", [("idh", "t1ce", "mtl", True, None), ("codel", "t1ce_minus_t1", "cnn", False, 20),
                                  ("idh", "all_whole", "mtl", True, 80), ("codel", "flair", "mtl", False, None)])
def test_run_names_round_trip(args):
    name = run_name(*args)
    assert parse_run_name(name) == dict(zip(["task", "input_format", "model", "use_scna", "labelled_limit"], args,
                                            strict=True))


@pytest.mark.parametrize("name", ["idh-t1ce", "idh-t1ce-rnn", "idh-t1ce-mtl-extra", "survival-t1ce-mtl"])
def test_names_that_are_not_runs_are_refused(name):
    with pytest.raises(ValueError):
        parse_run_name(name)
