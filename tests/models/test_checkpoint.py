"""A checkpoint rebuilds the model it describes, on the CPU, from its metadata alone."""

from __future__ import annotations

import pytest
import torch

from glioma_lib.core.errors import InputDataError
from glioma_lib.models.checkpoint import load_checkpoint_model, read_checkpoint, save_checkpoint
from glioma_lib.models.espnet import ESPNet3D
from glioma_lib.models.heads import SubtypeModel

SUBTYPE = {"kind": "mtl", "task": "idh", "input_format": "t1ce", "channels": ["t1ce"],
           "classes": ["IDH-wildtype", "IDH-mutant"], "scna_dim": 5, "norm": "group", "pooled_levels": 3}  # fmt: skip
TEACHER = {"kind": "segmentation", "input_format": "all_whole", "channels": ["t1", "t1ce", "t2", "flair"],
           "classes": ["background", "core", "oedema", "enhancing"]}  # fmt: skip


def test_a_subtype_checkpoint_rebuilds_its_model(tmp_path):
    model = SubtypeModel("mtl", 1, 2, scna_dim=5, pooled_levels=3).eval()
    save_checkpoint(tmp_path / "best.pt", model=model.state_dict(), metadata=SUBTYPE)
    loaded = load_checkpoint_model(tmp_path / "best.pt")
    image, scna = torch.randn(2, 1, 16, 16, 16), torch.randn(2, 5)
    with torch.no_grad():
        assert torch.allclose(model(image, scna).logits, loaded(image, scna).logits)


def test_a_teacher_checkpoint_rebuilds_a_segmenter(tmp_path):
    save_checkpoint(tmp_path / "teacher.pt", model=ESPNet3D(4, 4).state_dict(), metadata=TEACHER)
    assert isinstance(load_checkpoint_model(tmp_path / "teacher.pt"), ESPNet3D)


def test_a_checkpoint_saved_on_a_gpu_loads_on_a_cpu_node(tmp_path, monkeypatch):
    """Storages tagged ``cuda:0`` (as a GPU job saves them) load here, where there is no GPU."""
    path = tmp_path / "from_gpu.pt"
    with monkeypatch.context() as patch:
        patch.setattr(torch.serialization, "location_tag", lambda storage: "cuda:0")
        save_checkpoint(path, model=ESPNet3D(4, 4).state_dict(), metadata=TEACHER)
    if not torch.cuda.is_available():
        with pytest.raises(RuntimeError, match="CUDA"):
            torch.load(path, weights_only=True)  # what a load without map_location does on a CPU node
    content = read_checkpoint(path)
    assert {t.device.type for t in content["model"].values()} == {"cpu"}
    assert isinstance(load_checkpoint_model(path), ESPNet3D)


def test_a_checkpoint_without_metadata_is_named(tmp_path):
    save_checkpoint(tmp_path / "old.pt", model=ESPNet3D(4, 4).state_dict())
    with pytest.raises(InputDataError, match=r"no metadata.*old\.pt"):
        load_checkpoint_model(tmp_path / "old.pt")
