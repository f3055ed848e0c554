"""A trained run exported as a self-describing bundle loads with nothing else and gives the same model."""

from __future__ import annotations

import json
import shutil

import pytest
import torch

from glioma_lib.core.atomic import write_json
from glioma_lib.core.errors import InputDataError
from glioma_lib.core.layout import RunLayout
from glioma_lib.inputs.preprocess import PreprocessSpec
from glioma_lib.models.checkpoint import save_checkpoint
from glioma_lib.models.espnet import ESPNet3D
from glioma_lib.pipeline.bundle import export_bundle, load_trained_model
from glioma_lib.training.config import TrainConfig
from glioma_lib.training.step import subtype_training
from glioma_lib.weak_labels.teacher import TEACHER_METADATA


@pytest.fixture(scope="module")
def trained_run(phantom_run, tmp_path_factory):
    layout = RunLayout(tmp_path_factory.mktemp("bundle") / "run")
    shutil.copytree(phantom_run.cohort, layout.cohort)
    save_checkpoint(layout.teacher_checkpoint, model=ESPNet3D(4, 4).state_dict(), metadata=TEACHER_METADATA)
    write_json({"spec": PreprocessSpec(shape=(16, 16, 16)).key_fields()}, layout.teacher_settings)
    config = TrainConfig.of_book("idh-t1ce-cnn", updates=2, evaluations=1, trials=2, batch_size=2, bootstrap=10,
                                 device="cpu", shape=[16, 16, 16])  # fmt: skip
    return subtype_training(layout, config, show_progress=False)


def test_the_bundle_describes_its_inputs_and_loads_alone(trained_run, tmp_path):
    bundle = export_bundle(trained_run.folder, tmp_path / "bundle")
    metadata = json.loads((bundle / "metadata.json").read_text())
    assert metadata["inputs"]["channels"] == ["t1ce"] and metadata["inputs"]["preprocessing"]["shape"] == [16, 16, 16]
    assert metadata["outputs"]["classes"] == ["IDH-wildtype", "IDH-mutant"] and metadata["outputs"]["trials"] == 2
    assert "honest_auc_ci95" in json.dumps(metadata) and "not for diagnosis" in (bundle / "README.md").read_text()
    from_run, from_bundle = load_trained_model(trained_run.folder), load_trained_model(bundle)
    image = torch.randn(1, 1, 16, 16, 16)
    with torch.no_grad():
        for a, b in zip(from_run.trials, from_bundle.trials, strict=True):
            assert torch.equal(a(image, segment=False).logits, b(image, segment=False).logits)


def test_export_never_overwrites(trained_run, tmp_path):
    (tmp_path / "taken").mkdir()
    with pytest.raises(InputDataError, match="exists"):
        export_bundle(trained_run.folder, tmp_path / "taken")


def test_a_format_2_bundle_still_loads(trained_run, tmp_path):
    """Bundles written before format 3 carry ``extra`` and ``teacher_checkpoint`` and leave the
    preprocessing and three settings implicit: they load, with those settings completed."""
    bundle = export_bundle(trained_run.folder, tmp_path / "bundle")
    metadata = json.loads((bundle / "metadata.json").read_text())
    recorded = metadata["model"]["train_config"]
    assert metadata["bundle_format"] == 3 and "extra" not in recorded and recorded["margin"] == 2
    old = {k: v for k, v in recorded.items() if k not in ("margin", "empty_mask_policy", "shape", "selection_fraction",
                                                          "augment", "mixed_precision")}  # fmt: skip
    metadata.update(bundle_format=2, model={**metadata["model"], "train_config": {**old, "extra": {},
                                                                                  "teacher_checkpoint": None}})
    (bundle / "metadata.json").write_text(json.dumps(metadata))
    loaded = load_trained_model(bundle)
    assert loaded.settings == recorded  # completed from the preprocessing and format 2's implicit values


def test_a_three_class_run_is_refused_by_export_and_predict_naming_it(trained_run, tmp_path):
    """Export and `glioma predict` report P(class 1) of binary models; a WHO 2021 run is refused
    with its name, not exported with a wrong meaning."""
    run = tmp_path / "train" / "who2021-t1ce-cnn"
    shutil.copytree(trained_run.folder, run)
    config = json.loads((run / "config.json").read_text())
    (run / "config.json").write_text(json.dumps({**config, "task": "who2021"}))
    for action in (lambda: export_bundle(run, tmp_path / "bundle"), lambda: load_trained_model(run)):
        with pytest.raises(InputDataError, match="who2021-t1ce-cnn: a 3-class model"):
            action()
