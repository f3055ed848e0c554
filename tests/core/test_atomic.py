"""Atomic outputs: nothing half-written is ever visible, and published outputs follow the umask."""

import os
import stat

import pytest

from glioma_lib.core.atomic import atomic_dir, atomic_path, umask_mode, write_json


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_published_file_and_folder_are_group_readable_under_umask_022(tmp_path, umask_022):
    write_json({"a": 1}, tmp_path / "out.json")
    with atomic_dir(tmp_path / "entry") as folder:
        (folder / "image.npy").write_bytes(b"x")
    assert stat.S_IMODE((tmp_path / "out.json").stat().st_mode) == 0o644
    assert stat.S_IMODE((tmp_path / "entry").stat().st_mode) == 0o755
    assert umask_mode(0o666) == 0o644


def test_failed_write_leaves_neither_target_nor_temporary(tmp_path):
    with pytest.raises(RuntimeError), atomic_path(tmp_path / "table.csv") as tmp:
        tmp.write_text("half")
        raise RuntimeError("killed")
    assert list(tmp_path.iterdir()) == []


def test_first_writer_of_a_folder_wins(tmp_path):
    for content in (b"first", b"second"):
        with atomic_dir(tmp_path / "entry") as folder:
            (folder / "data").write_bytes(content)
    assert (tmp_path / "entry" / "data").read_bytes() == b"first"
    assert [p.name for p in tmp_path.iterdir()] == ["entry"]


def test_remove_unlisted_keeps_exactly_the_listed_outputs(tmp_path):
    from glioma_lib.core.atomic import remove_unlisted

    for name in ("a.npz", "b.npz", "c.npz", "attributions.csv"):
        (tmp_path / name).write_text("x")
    removed = remove_unlisted(tmp_path, "*.npz", {tmp_path / "b.npz"})
    assert [p.name for p in removed] == ["a.npz", "c.npz"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["attributions.csv", "b.npz"]
