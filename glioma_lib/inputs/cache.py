"""The preprocessing cache: each (patient, format, spec, sources) computed once, read by memory map.

An entry is a folder ``<cache>/<format>/<key>/`` holding ``image.npy`` (the normalised image in
the spec's stored dtype, float16 by default; readers get float32), ``labels.npy`` and
``meta.json``. The key hashes every preprocessing parameter and the identity (path and content
digest) of every source file, so a changed parameter or a new weak mask never reuses a stale entry,
and a cohort regenerated with the same bytes keeps its keys (and the runs that read them).
Entries are written to a temporary folder and renamed, so an interrupted build leaves nothing
that reads as valid; an entry that fails to load, or whose arrays are not the size
recorded when it was written (a truncated file), is rebuilt, and says so.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm import tqdm

from glioma_lib.core.atomic import atomic_dir, retire_dir
from glioma_lib.core.errors import InputDataError
from glioma_lib.core.layout import weak_mask_file
from glioma_lib.core.naming import MODALITIES
from glioma_lib.core.nifti import read_mask
from glioma_lib.inputs.formats import InputFormat
from glioma_lib.inputs.preprocess import PreprocessSpec, preprocess

CACHE_VERSION = 2  # 2: sources identified by content, not modification time


_DIGESTS: dict[tuple, str] = {}  # (path, size, mtime) -> content digest, so a file is read once per process


def content_digest(path: str | Path) -> str:
    """SHA-256 of a file's content (memoised on its path, size and modification time)."""
    stat = os.stat(path)
    key = (str(Path(path).resolve()), stat.st_size, stat.st_mtime_ns)
    if key not in _DIGESTS:
        digest = hashlib.sha256()
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        _DIGESTS[key] = digest.hexdigest()
    return _DIGESTS[key]


def _file_identity(path: str | None) -> list | None:
    """A source file's place and content: a file regenerated with the same bytes keeps its identity."""
    return None if path is None else [str(Path(path).resolve()), content_digest(path)]


def cache_key(patient: str, fmt: InputFormat, spec: PreprocessSpec, paths: dict[str, str | None],
              mask_path: str | None, mask_kind: str) -> str:
    """A hash of everything that determines the entry's content."""
    fields = {
        "version": CACHE_VERSION, "patient": patient, "format": fmt.name, "channels": fmt.channels,
        "spec": spec.key_fields(), "mask_kind": mask_kind, "mask": _file_identity(mask_path),
        "images": {m: _file_identity(paths[m]) for m in MODALITIES},
    }  # fmt: skip
    return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()[:20]


@dataclass(frozen=True)
class CacheEntry:
    folder: Path

    def __post_init__(self) -> None:
        object.__setattr__(self, "folder", Path(self.folder))

    def meta(self) -> dict:
        return json.loads((self.folder / "meta.json").read_text())

    def stored_arrays(self) -> tuple[np.ndarray, np.ndarray | None]:
        """Image (in its stored dtype) and labels (None when the patient has no mask), as
        copy-on-write memory maps: a reader may change them without touching the cache."""
        labels_path = self.folder / "labels.npy"
        labels = np.load(labels_path, mmap_mode="c") if labels_path.exists() else None
        return np.load(self.folder / "image.npy", mmap_mode="c"), labels

    def arrays(self) -> tuple[np.ndarray, np.ndarray | None]:
        """Image as float32 (the float16 cache's values widened, exactly) and labels (None when
        the patient has no mask); a float32 image stays a copy-on-write memory map."""
        image, labels = self.stored_arrays()
        return image.astype(np.float32, copy=False), labels

    def is_valid(self, fmt: InputFormat, spec: PreprocessSpec) -> bool:
        """True when the entry loads and has the expected shapes; anything else means rebuild."""
        try:
            meta = self.meta()
            image, labels = self.stored_arrays()
        except Exception:
            return False
        if meta["has_labels"] != (labels is not None):
            return False
        recorded = meta.get("bytes", {})  # entries written before sizes were recorded are checked by shape only
        if any((self.folder / name).stat().st_size != size for name, size in recorded.items()):
            return False
        expected = (fmt.n_channels, *spec.shape)
        return image.shape == expected and (labels is None or labels.shape == tuple(spec.shape)) and \
            meta.get("channels") == list(fmt.channels) and image.dtype == np.dtype(spec.stored_dtype)


def cache_entries(cache_dir: str | Path) -> list[CacheEntry]:
    """Every published entry under a cache folder (``<format>/<key>/`` with its ``meta.json``), in
    a stable order; an entry still being written (a hidden temporary folder beside it) is left out."""
    metas = sorted(Path(cache_dir).glob("*/*/meta.json"))
    return [CacheEntry(meta.parent) for meta in metas if not meta.parent.name.startswith(".")]


def mask_source(row: pd.Series, weak_dir: str | Path | None) -> tuple[str | None, str]:
    """The mask a patient's targets and crop come from: ("gt" | "weak" | "none")."""
    if pd.notna(row.get("path_seg")):
        return str(row["path_seg"]), "gt"
    if weak_dir is not None:
        weak = weak_mask_file(weak_dir, row["patient_id"])
        if weak.is_file():
            return str(weak), "weak"
    return None, "none"


def build_entry(row: pd.Series, fmt: InputFormat, spec: PreprocessSpec, cache_dir: str | Path,
                weak_dir: str | Path | None = None) -> tuple[CacheEntry, dict]:
    """Return the patient's cache entry, computing it when absent or invalid."""
    patient = str(row["patient_id"])
    paths = {m: str(row[f"path_{m}"]) for m in MODALITIES}
    mask_path, mask_kind = mask_source(row, weak_dir)
    key = cache_key(patient, fmt, spec, paths, mask_path, mask_kind)
    entry = CacheEntry(Path(cache_dir) / fmt.name / key)
    if entry.folder.is_dir():
        if entry.is_valid(fmt, spec):
            return entry, entry.meta()
        print(f"the cache entry of patient {patient} ({entry.folder}) is damaged or incomplete: rebuilt", flush=True)
        retire_dir(entry.folder)
    started = time.perf_counter()
    try:
        labels = read_mask(mask_path, patient) if mask_path else None
    except InputDataError as exc:
        if mask_kind != "weak":
            raise
        raise InputDataError(f"{exc}; this weak mask is written by the weak-labelling step (notebook 02): delete "
                             "it and re-run that step (`glioma run ... -- --forcerun weak_labels`)") from exc
    image, resized, record = preprocess(paths, labels, fmt, spec, patient, mask_path)
    meta = {"patient_id": patient, "format": fmt.name, "channels": list(fmt.channels), "mask_kind": mask_kind,
            "mask_path": mask_path, "has_labels": resized is not None, "spec": spec.key_fields(), **record,
            "build_seconds": round(time.perf_counter() - started, 3)}  # what caching costs (glioma costs)
    with atomic_dir(entry.folder) as tmp:
        np.save(tmp / "image.npy", image.astype(spec.stored_dtype))
        if resized is not None:
            np.save(tmp / "labels.npy", resized)
        meta["bytes"] = {p.name: p.stat().st_size for p in sorted(tmp.glob("*.npy"))}  # a truncation shows
        (tmp / "meta.json").write_text(json.dumps(meta, indent=2))
    return entry, meta


def build_cache(manifest: pd.DataFrame, fmt: InputFormat, spec: PreprocessSpec, cache_dir: str | Path,
                weak_dir: str | Path | None = None, progress: bool = True) -> pd.DataFrame:
    """Cache every MR patient of the manifest; returns patient_id, entry folder, mask kind, fallback."""
    rows = []
    mr = manifest[manifest["has_mr"]]
    for _, row in tqdm(mr.iterrows(), total=len(mr), desc=f"cache {fmt.name}", disable=not progress):
        entry, meta = build_entry(row, fmt, spec, cache_dir, weak_dir)
        rows.append({"patient_id": row["patient_id"], "entry": str(entry.folder), "mask_kind": meta["mask_kind"],
                     "crop": meta["crop"], "fallback": meta["fallback"]})  # fmt: skip
    return pd.DataFrame(rows)
