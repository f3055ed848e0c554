"""The training step writes a run's files where RunLayout says, including what inference repeats."""

from __future__ import annotations

import json
import shutil

import pytest

from glioma_lib.core.layout import RunLayout
from glioma_lib.training.config import TrainConfig
from glioma_lib.training.step import preprocess_spec, subtype_training


@pytest.mark.parametrize("batch_trials", [False, True])
def test_a_tiny_run_writes_its_files(phantom_run, tmp_path, batch_trials):
    """One trial at a time or all trials as one stacked model: the same files."""
    layout = RunLayout(tmp_path / "run")
    shutil.copytree(phantom_run.cohort, layout.cohort)
    config = TrainConfig.of_book("idh-t1ce-cnn", updates=2, evaluations=1, trials=2, batch_size=2, bootstrap=10,
                                 device="cpu", batch_trials=batch_trials, shape=[16, 16, 16])  # fmt: skip
    spec = preprocess_spec(config)
    run = subtype_training(layout, config, show_progress=False)
    assert run == layout.run("idh-t1ce-cnn") and layout.finished_runs() == ["idh-t1ce-cnn"]
    for path in (run.config, run.metrics, run.validation_predictions, run.embeddings, run.cache_index, run.patients,
                 run.checkpoint(0, "best"), run.checkpoint(1, "last")):
        assert path.is_file(), path
    assert json.loads(run.preprocessing.read_text()) == json.loads(json.dumps(spec.key_fields()))
