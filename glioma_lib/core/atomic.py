"""Atomic outputs: write to a temporary name beside the target, then rename into place.

An interrupted step therefore never leaves a file that looks finished. Published files and
folders get the permissions the user's umask gives new ones (temporary names are created private),
so a lab group sharing a run folder can read each other's results.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd


def umask_mode(base: int) -> int:
    """``base`` (0o666 for files, 0o777 for folders) less the process's umask."""
    umask = os.umask(0)
    os.umask(umask)
    return base & ~umask


@contextlib.contextmanager
def atomic_path(target: str | Path, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path in the target's folder; rename it onto ``target`` on success."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    suffix = suffix if suffix is not None else "".join(target.suffixes)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=".tmp" + suffix, dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.chmod(tmp_path, umask_mode(0o666))
        os.replace(tmp_path, target)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


@contextlib.contextmanager
def atomic_dir(target: str | Path) -> Iterator[Path]:
    """Yield a temporary folder beside ``target``; on success it is renamed to ``target``.

    Safe with several writers of the same content-addressed folder (e.g. two trainings building
    one cache entry): the first rename wins and later writers discard their copy, so a published
    folder is never removed under a reader. A ``target`` that exists before the rename is kept;
    to replace stale content, :func:`retire_dir` it first.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    try:
        yield tmp
        os.chmod(tmp, umask_mode(0o777))
        try:
            os.rename(tmp, target)  # atomic; fails when another writer published a non-empty folder first
        except OSError as exc:
            if exc.errno not in (errno.ENOTEMPTY, errno.EEXIST) or not any(target.iterdir()):
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)


def retire_dir(target: str | Path) -> None:
    """Move a stale folder out of the way (a unique name, then removed) so a fresh one can be published."""
    target = Path(target)
    graveyard = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".stale", dir=target.parent))
    try:
        os.rename(target, graveyard / target.name)
    except FileNotFoundError:  # another writer retired it already
        pass
    shutil.rmtree(graveyard, ignore_errors=True)


def as_json(obj: Any) -> Any:
    """``obj`` as it reads back from JSON (tuples become lists, paths strings), so a record made
    now compares equal with one loaded from disk."""
    return json.loads(json.dumps(obj, default=str))


def write_json(obj: Any, target: str | Path) -> Path:
    """Write ``obj`` as indented JSON, atomically."""
    with atomic_path(target) as tmp:
        tmp.write_text(json.dumps(obj, indent=2, sort_keys=True, default=str) + "\n")
    return Path(target)


def write_text_if_changed(text: str, path: str | Path) -> Path:
    """Write ``text`` unless ``path`` already holds it, so its modification time (which Snakemake
    compares with its outputs') changes only when the content does."""
    path = Path(path)
    if not path.exists() or path.read_text() != text:
        with atomic_path(path) as tmp:
            tmp.write_text(text)
    return path


def write_json_if_changed(obj: Any, path: str | Path) -> Path:
    """:func:`write_text_if_changed` for ``obj`` as JSON."""
    return write_text_if_changed(json.dumps(obj, indent=2, sort_keys=True, default=str) + "\n", path)


def write_table(df: pd.DataFrame, target: str | Path) -> Path:
    """Write a table as parquet or csv (by suffix), atomically."""
    write_tables({target: df})
    return Path(target)


def write_tables(tables: dict[str | Path, pd.DataFrame]) -> None:
    """Write several tables (parquet or csv, by suffix) as one unit: each goes to a temporary
    name, and none is renamed into place until all are written, so a full disk half-way through
    leaves the previous set (or none), never a mixture."""
    with contextlib.ExitStack() as stack:
        for target, df in tables.items():
            tmp = stack.enter_context(atomic_path(target))
            if tmp.name.endswith(".parquet"):
                df.to_parquet(tmp, index=False)
            elif tmp.name.endswith(".csv"):
                df.to_csv(tmp, index=False)
            else:
                raise ValueError(f"unsupported table suffix: {target}")


def remove_unlisted(folder: str | Path, pattern: str, keep: set[Path]) -> list[Path]:
    """Remove the files of ``folder`` matching ``pattern`` that are not in ``keep``: per-patient
    outputs an earlier setting produced and the current one does not (so none is left looking current)."""
    stale = sorted(p for p in Path(folder).glob(pattern) if p.resolve() not in {k.resolve() for k in keep})
    for path in stale:
        path.unlink()
    return stale
