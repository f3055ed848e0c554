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
from glioma_lib.pipeline.bundle import export_bundle, load_model
from glioma_lib.training.run import TrainConfig
from glioma_lib.training.step import subtype_training
from glioma_lib.weak_labels.teacher import TEACHER_METADATA


@pytest.fixture(scope="module")
def trained_run(phantom_run, tmp_path_factory):
    layout = RunLayout(tmp_path_factory.mktemp("bundle") / "run")
    shutil.copytree(phantom_run.cohort, layout.cohort)
    save_checkpoint(layout.teacher_checkpoint, model=ESPNet3D(4, 4).state_dict(), metadata=TEACHER_METADATA)
    write_json({"spec": PreprocessSpec(shape=(16, 16, 16)).key_fields()}, layout.teacher_settings)
    config = TrainConfig(model="cnn", updates=2, evaluations=1, trials=2, batch_size=2, bootstrap=10, device="cpu")
    return subtype_training(layout, config, PreprocessSpec(shape=(16, 16, 16), empty_mask_policy="centre"),
                            progress=False)  # fmt: skip


def test_the_bundle_describes_its_inputs_and_loads_alone(trained_run, tmp_path):
    bundle = export_bundle(trained_run.folder, tmp_path / "bundle")
    metadata = json.loads((bundle / "metadata.json").read_text())
    assert metadata["inputs"]["channels"] == ["t1ce"] and metadata["inputs"]["preprocessing"]["shape"] == [16, 16, 16]
    assert metadata["outputs"]["classes"] == ["IDH-wildtype", "IDH-mutant"] and metadata["outputs"]["trials"] == 2
    assert "honest_auc_ci95" in json.dumps(metadata) and "not for diagnosis" in (bundle / "README.md").read_text()
    from_run, from_bundle = load_model(trained_run.folder), load_model(bundle)
    image = torch.randn(1, 1, 16, 16, 16)
    with torch.no_grad():
        for a, b in zip(from_run.trials, from_bundle.trials, strict=True):
            assert torch.equal(a(image, segment=False).logits, b(image, segment=False).logits)


def test_export_never_overwrites(trained_run, tmp_path):
    (tmp_path / "taken").mkdir()
    with pytest.raises(InputDataError, match="exists"):
        export_bundle(trained_run.folder, tmp_path / "taken")
