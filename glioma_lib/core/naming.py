"""Names shared by every step: tasks, input formats, models, subtypes and label conventions."""

from __future__ import annotations

SUBTYPES = ("IDH-wildtype", "IDH-mutant 1p/19q-intact", "1p/19q-codeleted")
TASKS = ("idh", "codel", "who2021")  # who2021: the three subtypes in one call
TASK_CLASSES = {"idh": ["IDH-wildtype", "IDH-mutant"], "codel": ["1p/19q-intact", "1p/19q-codeleted"],  # 0, 1
                "who2021": list(SUBTYPES)}  # 0, 1, 2
TASK_LABELS = {"idh": "IDH", "codel": "1p/19q", "who2021": "WHO 2021"}  # as tables and figures name them
INPUT_FORMATS = ("all_whole", "all_cropped", "t1ce", "flair", "t1", "t2", "t1ce_minus_t1")
# radiomics: handcrafted features and a logistic regression, no network; mean_teacher: the CNN's network
# trained with a consistency loss against an exponential-moving-average copy of itself on unlabelled scans
MODELS = ("cnn", "mtl", "radiomics", "mean_teacher")
SEMI_SUPERVISED = ("mtl", "mean_teacher")  # the models that learn from unlabelled scans
MODALITIES = ("t1", "t1ce", "t2", "flair")
DAYS_PER_MONTH = 30.4375  # 365.25 / 12: survival in months <-> days, everywhere

SPLITS = ("train", "validation", "unlabelled_mr", "scna_only", "clinical_only")

# In memory: 0 background, 1 necrosis/non-enhancing core, 2 oedema, 3 enhancing.
# BraTS 2018 files store enhancing tumour as 4; BraTS 2021+ as 3.
BRATS2018_ENHANCING = 4
INTERNAL_ENHANCING = 3
REGIONS = {"WT": (1, 2, 3), "TC": (1, 3), "ET": (3,)}


def run_name(task: str, input_format: str, model: str, use_scna: bool, labelled_limit: int | None = None) -> str:
    """Folder name of one training run, e.g. ``idh-t1ce-mtl-scna``, or ``idh-t1ce-cnn-n20`` for a run
    restricted to 20 labelled training patients (the label-efficiency runs)."""
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}; expected one of {TASKS}")
    if input_format not in INPUT_FORMATS:
        raise ValueError(f"unknown input format {input_format!r}; expected one of {INPUT_FORMATS}")
    if model not in MODELS:
        raise ValueError(f"unknown model {model!r}; expected one of {MODELS}")
    return (f"{task}-{input_format}-{model}" + ("-scna" if use_scna else "")
            + ("" if labelled_limit is None else f"-n{int(labelled_limit)}"))


def parse_run_name(name: str) -> dict:
    """The inverse of :func:`run_name`.

    Example:
        >>> parse_run_name("codel-t1ce_minus_t1-mtl-scna-n40")
        {'task': 'codel', 'input_format': 't1ce_minus_t1', 'model': 'mtl', 'use_scna': True, 'labelled_limit': 40}
    """
    task, input_format, model, *rest = name.split("-")
    use_scna = "scna" in rest
    limits = [int(r[1:]) for r in rest if r.startswith("n") and r[1:].isdigit()]
    parsed = {"task": task, "input_format": input_format, "model": model, "use_scna": use_scna,
              "labelled_limit": limits[0] if limits else None}
    if run_name(**parsed) != name:
        raise ValueError(f"{name!r} is not a training-run name such as 'idh-t1ce-mtl-scna' or 'idh-t1ce-cnn-n20'")
    return parsed


def subtype_from_markers(idh_mutant: bool | None, codeleted: bool | None) -> str | None:
    """WHO 2016 subtype from IDH and 1p/19q status; None unless both are known.

    Both markers are required, as in Ceccarelli 2016's ``IDH/codel subtype`` column.
    """
    if idh_mutant is None or codeleted is None:
        return None
    if not idh_mutant:
        return SUBTYPES[0]
    return SUBTYPES[2] if codeleted else SUBTYPES[1]
