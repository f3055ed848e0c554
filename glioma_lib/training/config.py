"""A training run's settings (the schema's :class:`RunSettings`) and what training derives from them.

Training is budgeted in optimiser updates. The MTL model also iterates over unlabelled scans, so
an epoch budget would give it several times the CNN's steps; with ``updates`` both models take
the same number of steps, and ``evaluations`` checkpoints, evenly spaced, are scored on the
selection and validation splits (the paper's per-epoch metric at a coarser grain).
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from pydantic import ConfigDict

from glioma_lib.config.load import base_config
from glioma_lib.config.schema import RunSettings, TrainingSettings
from glioma_lib.core.atomic import as_json

# Settings that do not change what a trial computes: they stay out of its fingerprint.
NOT_FINGERPRINTED = ("trials", "bootstrap", "device", "batch_trials", "trial_group_memory_mb")


class TrainConfig(RunSettings):
    """Everything one training run depends on (saved beside its outputs as ``config.json``).

    Example:
        >>> config = TrainConfig.of_book("idh-t1ce-cnn", updates=400, evaluations=5, evaluate_from=0.5)
        >>> config.evaluation_points()
        [240, 280, 320, 360, 400]
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    @classmethod
    def of(cls, settings: RunSettings) -> TrainConfig:
        return cls.model_validate(settings.model_dump())

    @classmethod
    def of_book(cls, run: str, **changes: Any) -> TrainConfig:
        """Run ``run``'s settings in the default book (``config/config.yaml``), with ``changes``."""
        settings = TrainingSettings.model_validate(base_config()["training"]).for_run(run)
        return cls.model_validate({**settings.model_dump(), **changes})

    def evaluation_points(self) -> list[int]:
        """The update counts after which the model is scored: evenly spaced after the warm-up
        (``evaluate_from`` of the budget), the last at ``updates``."""
        first = self.updates * self.evaluate_from
        step = (self.updates - first) / self.evaluations
        return [int(round(first + step * (k + 1))) for k in range(self.evaluations)]

    def trial_seed(self, trial: int) -> int:
        """The seed of a trial's initialisation, data order, augmentation and dropout."""
        return self.seed * 1000 + trial

    def fingerprint(self, data_identity: str, teacher: Path | None) -> dict:
        """What a trial's results depend on: the settings (less NOT_FINGERPRINTED), the data's
        identity and the teacher's content."""
        settings = {k: v for k, v in self.model_dump().items() if k not in NOT_FINGERPRINTED}
        if settings["mean_teacher"] is None:  # a run of another model: as its checkpoints recorded before there was one
            del settings["mean_teacher"]
        settings["data"] = data_identity
        if teacher is not None:
            settings["teacher_checkpoint"] = hashlib.sha256(teacher.read_bytes()).hexdigest()[:16]
        return as_json(settings)
