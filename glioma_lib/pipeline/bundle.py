"""A self-describing model, as a MONAI bundle is: weights, ``metadata.json`` and a model card.

A bundle holds everything needed to repeat a training run's inference on a new patient, and
nothing else: each trial's selected weights, the weak-label teacher that finds the tumour a
cropped format is cut around, the preprocessing (format, channels in order, shape, margin,
normalisation), what the outputs mean, what the model was trained on and how well it did (with
CIs), and the package versions. :func:`load_trained_model` reads a bundle, or a training run folder
directly, into the same :class:`TrainedModel`, so ``glioma predict`` gives the same numbers from
either. Checkpoints load with ``weights_only=True``.

Example:
    >>> model = load_trained_model("runs/default/train/idh-t1ce-mtl")  # doctest: +SKIP
    >>> export_bundle("runs/default/train/idh-t1ce-mtl", "bundles/idh-t1ce-mtl")  # doctest: +SKIP
"""

from __future__ import annotations

import datetime
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import torch

from glioma_lib.core.atomic import atomic_dir, write_json
from glioma_lib.core.errors import InputDataError
from glioma_lib.core.layout import BundleFolder, TrainingRun
from glioma_lib.core.naming import TASK_CLASSES, parse_run_name
from glioma_lib.inputs.formats import InputFormat, get_format
from glioma_lib.inputs.preprocess import PreprocessSpec
from glioma_lib.models.checkpoint import load_checkpoint_model
from glioma_lib.models.heads import SubtypeModel
from glioma_lib.pipeline.provenance import package_versions
from glioma_lib.weak_labels.teacher import TEACHER_FORMAT, load_teacher

BUNDLE_FORMAT = 3  # 2: the teacher moved into weights/; 3: train_config is the schema's RunSettings
# A train_config of format 2 and earlier: keys no longer read, and the values it left implicit.
FORMAT_2_DROPPED = ("extra", "teacher_checkpoint")
FORMAT_2_IMPLICIT = {"selection_fraction": 0.2, "augment": True, "mixed_precision": True}


@dataclass
class TrainedModel:
    """A trained run ready for inference: its trials' models, the teacher, and their preprocessing."""

    name: str
    settings: dict  # the run's settings as trained (its config.json: the schema's RunSettings)
    spec: PreprocessSpec
    trials: list[SubtypeModel]
    teacher: torch.nn.Module
    teacher_spec: PreprocessSpec
    metadata: dict

    @property
    def task(self) -> str:
        return self.settings["task"]

    @property
    def fmt(self) -> InputFormat:
        return get_format(self.settings["input_format"])


def _spec(fields: dict) -> PreprocessSpec:
    """The recorded preprocessing; records older than the float16 cache were trained on float32."""
    return PreprocessSpec(**{"stored_dtype": "float32", **fields, "shape": tuple(fields["shape"])})


def recorded_settings(metadata: dict) -> dict:
    """The run's settings recorded in ``metadata``; a format-2 record (or a run folder trained
    before format 3) is completed from its preprocessing and the values it left implicit."""
    recorded = {k: v for k, v in metadata["model"]["train_config"].items() if k not in FORMAT_2_DROPPED}
    spec = metadata["inputs"]["preprocessing"]
    preprocessing = {"shape": spec["shape"], "margin": spec["margin"], "empty_mask_policy": spec["empty_mask_policy"]}
    return {**FORMAT_2_IMPLICIT, **preprocessing, **recorded}


def run_metadata(run_dir: str | Path) -> dict:
    """The ``metadata.json`` of a training run: inputs, outputs, training data, metrics, versions."""
    run = TrainingRun(run_dir)
    layout = run.layout
    config = json.loads(run.config.read_text())
    if len(TASK_CLASSES[config["task"]]) != 2:
        raise InputDataError(f"{run.name}: a {len(TASK_CLASSES[config['task']])}-class model; export and "
                             "`glioma predict` handle the binary models (IDH, 1p/19q) only so far", path=run_dir)
    spec = json.loads(run.preprocessing.read_text())
    auc = json.loads(run.auc.read_text())
    teacher = json.loads(layout.teacher_settings.read_text())
    tumour_range = layout.teacher_tumour_range
    fmt = get_format(config["input_format"])
    synthetic = layout.synthetic.exists()
    return {
        "bundle_format": BUNDLE_FORMAT, "name": run.name,
        "created": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "task": config["task"],
        "inputs": {"modalities": ["t1", "t1ce", "t2", "flair"], "format": fmt.name, "channels": list(fmt.channels),
                   "cropped": fmt.cropped, "crop": "tumour box of the teacher's mask" if fmt.cropped else "brain box",
                   "preprocessing": spec,
                   "expects": "BraTS-preprocessed MR: skull-stripped, co-registered, about 1 mm isotropic"},
        "outputs": {"probability": f"P({TASK_CLASSES[config['task']][1]}), softmax of the classifier's logits, "
                                   "averaged over trials", "classes": TASK_CLASSES[config["task"]],
                    "trials": config["trials"],
                    "mask": "whole-tumour mask of the teacher, in the patient's own geometry"},
        "model": {"kind": config["model"], "norm": config["norm"],
                  "pooled_levels": config.get("pooled_levels", 1), "use_scna": config["use_scna"],
                  "train_config": config},
        "teacher": {"format": TEACHER_FORMAT.name, "channels": list(TEACHER_FORMAT.channels),
                    "preprocessing": teacher.get("spec"), "settings": teacher,
                    "tumour_brain_fraction": json.loads(tumour_range.read_text())["brain_fraction"]
                    if tumour_range.exists() else None},
        "training_data": {"cohort": "synthetic (the project's simulator)" if synthetic else "real",
                          "n_train": auc["n_train"], "n_train_labelled": auc["n_train_labelled"],
                          "n_selection": auc["n_selection"], "n_validation": auc["honest"]["n_validation"],
                          "n_validation_positive": auc["honest"]["n_positive"]},
        "metrics": {"honest_auc": auc["honest"]["auc"], "honest_auc_ci95": auc["honest"]["ci95"],
                    "validation_probability_sd": auc["honest"]["probability_sd"],
                    "paper_style_auc": auc["paper_max_over_evaluations"]["mean"],
                    "note": "honest: checkpoint chosen on an inner training split, scored once on validation; "
                            "paper-style: maximum over evaluations on validation (optimistic)"},
        "packages": package_versions(),
    }  # fmt: skip


def model_card(metadata: dict) -> str:
    """The bundle's ``README.md``: intended use and its limits."""
    metrics, data, inputs = metadata["metrics"], metadata["training_data"], metadata["inputs"]
    low, high = metrics["honest_auc_ci95"]
    return "\n".join([
        f"# Model card: {metadata['name']}", "",
        f"Predicts {metadata['outputs']['classes'][1]} vs {metadata['outputs']['classes'][0]} from "
        f"{', '.join(inputs['channels'])} MR ({inputs['format']}, {inputs['crop']}), as in Nuechterlein et al., "
        "ICPR 2020. A research model: not for diagnosis or any clinical decision.", "",
        "## Intended use",
        "Radiogenomics research on BraTS-preprocessed scans (skull-stripped, co-registered to a common "
        "template, about 1 mm isotropic), for example to compare methods or to screen hypotheses.", "",
        "## Limits",
        f"- Trained on {data['cohort']} data: {data['n_train_labelled']} labelled training patients "
        f"({data['n_train']} scans in all). A model trained on the simulator says nothing about real gliomas.",
        f"- Honest validation AUC {metrics['honest_auc']:.3f} [{low:.3f}, {high:.3f}] on "
        f"{data['n_validation']} patients ({data['n_validation_positive']} positive).",
        "- Cropped formats are cut around the teacher's whole-tumour mask; a wrong mask gives a wrong crop, "
        "and no mask gives no probability (status `no tumour found`). Scans given with their `_seg` masks "
        "get the teacher's Dice against them: check it on your data first.",
        "- Scans that are not skull-stripped, or not on a common grid, are refused by `glioma predict`.", "",
        "## Files",
        "- `metadata.json`: inputs, outputs, preprocessing, training data, metrics, package versions.",
        f"- `weights/trial<k>.pt`: each trial's selected state dict; `weights/{BundleFolder('.').teacher.name}`: the "
        "weak-label teacher.",
        "- Load with `glioma_lib.pipeline.bundle.load_trained_model(BUNDLE)`, or run "
        "`glioma predict -i SCANS -o OUT --model BUNDLE`.",
        ""])  # fmt: skip


def export_bundle(run_dir: str | Path, out: str | Path) -> Path:
    """Write the bundle of a finished training run to ``out`` (a new folder)."""
    run_dir, out = Path(run_dir), Path(out)
    if out.exists():
        raise InputDataError(f"{out} exists; export writes a new bundle folder", path=out)
    model = load_trained_model(run_dir)  # validates the run before anything is written
    metadata = run_metadata(run_dir)
    run = TrainingRun(run_dir)
    with atomic_dir(out) as tmp:
        files = BundleFolder(tmp)
        files.weights.mkdir()
        for trial in range(model.settings["trials"]):
            shutil.copyfile(run.checkpoint(trial, "best"), files.trial_weights(trial))
        shutil.copyfile(run.layout.teacher_checkpoint, files.teacher)
        write_json(metadata, files.metadata)
        files.model_card.write_text(model_card(metadata))
    return out


def load_trained_model(path: str | Path) -> TrainedModel:
    """A bundle (``metadata.json`` inside) or a finished training run folder, ready for inference."""
    path = Path(path)
    bundle = BundleFolder(path)
    if bundle.metadata.exists():
        metadata = json.loads(bundle.metadata.read_text())
        weights = sorted(bundle.weights.glob(bundle.trial_weights("*").name), key=BundleFolder.trial_of)
        teacher_path = bundle.teacher
    elif TrainingRun(path).auc.exists():
        run = TrainingRun(path)
        parse_run_name(run.name)
        if not run.preprocessing.exists():
            raise InputDataError(f"the run has no {run.preprocessing.name} (it predates exports); re-run its "
                                 "training step to write it", path=path)  # fmt: skip
        metadata = run_metadata(path)
        weights = [run.checkpoint(t, "best") for t in range(metadata["outputs"]["trials"])]
        teacher_path = run.layout.teacher_checkpoint
    else:
        raise InputDataError("not a model: expected a bundle (metadata.json) or a finished training run "
                             "(auc.json)", path=path)  # fmt: skip
    settings = recorded_settings(metadata)
    if settings["use_scna"]:
        raise InputDataError("this model needs SCNA as input; `glioma predict` reads MR only", path=path)
    trials = [load_checkpoint_model(w) for w in weights]
    return TrainedModel(name=metadata["name"], settings=settings, spec=_spec(metadata["inputs"]["preprocessing"]),
                        trials=trials, teacher=load_teacher(teacher_path).eval(),
                        teacher_spec=_spec(metadata["teacher"]["preprocessing"]), metadata=metadata)  # fmt: skip
