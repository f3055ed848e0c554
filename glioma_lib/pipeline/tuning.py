"""``glioma tune``: choose training settings on a development cohort, never on the reported one.

The default book's tuned settings (``TUNED``) were first chosen by looking at runs of the book's
own cohort. This command re-derives them where such choices belong: on the ``development``
profile's phantom (other phantom and split seeds, so other patients and another validation set).
It runs that profile's workflow up to the teacher, then trains one run (by default
``idh-t1ce-mtl``) with the profile's settings and with each alternative value of one setting at a
time, and writes one row per variant: the honest validation AUC with its bootstrap CI, the spread
of validation probabilities (a collapsed model has almost none) and the mean per-trial AUC. Per
setting the chosen value is the one with the highest honest AUC among variants whose predictions
spread (``MIN_SPREAD``); the book's limitations chapter reports what came out.
"""

from __future__ import annotations

import difflib
import json

import pandas as pd
from pydantic import ValidationError

from glioma_lib.config.load import ConfigError, load_config
from glioma_lib.config.schema import AnalysisConfig, RunSettings
from glioma_lib.core.atomic import write_table
from glioma_lib.core.layout import RunLayout
from glioma_lib.training.step import subtype_training

# The settings chosen for the default book, with the values compared (the book's first).
TUNED = {"pooled_levels": [3, 1], "head_lr_factor": [3.0, 1.0], "unlabelled_per_batch": [4, 0],
         "evaluate_from": [0.5, 0.0]}  # fmt: skip
MIN_SPREAD = 0.02  # validation probabilities' standard deviation below which a variant counts as collapsed
COLUMNS = ["setting", "value", "is_base", "honest_auc", "ci_low", "ci_high", "probability_sd", "mean_trial_auc",
           "n_validation", "eligible", "chosen", "folder"]  # fmt: skip


def variant_settings(base: RunSettings, variations: dict[str, list]) -> dict[str, RunSettings]:
    """The base run and, one setting at a time, each other value (named ``setting=value``)."""
    known = set(RunSettings.model_fields)
    variants = {"base": base}
    for setting, values in variations.items():
        if setting not in known:
            close = difflib.get_close_matches(setting, sorted(known), n=1)
            raise ConfigError(f"glioma tune: no training setting {setting!r}" +
                              (f"; did you mean {close[0]!r}?" if close else ""))  # fmt: skip
        for value in values:
            try:
                changed = RunSettings.model_validate({**base.model_dump(), setting: value})
            except ValidationError as error:
                reason = error.errors()[0]["msg"]
                raise ConfigError(f"glioma tune: {setting}={value!r} is not a valid value ({reason})") from None
            if changed != base:
                variants[f"{setting}={value}"] = changed
    return variants


def tuning_table(layout: RunLayout, base: RunSettings, variations: dict[str, list]) -> pd.DataFrame:
    """One row per (setting, value) from the variants' ``auc.json`` (the base run serves every
    setting's base value), eligibility (predictions spread) and the chosen value per setting."""
    rows = []
    for setting, values in variations.items():
        for value in values:
            changed = RunSettings.model_validate({**base.model_dump(), setting: value})
            folder = layout.tuning_run("base" if changed == base else f"{setting}={value}")
            honest = json.loads(folder.auc.read_text())["honest"]
            rows.append({"setting": setting, "value": value, "is_base": changed == base, "honest_auc": honest["auc"],
                         "ci_low": honest["ci95"][0], "ci_high": honest["ci95"][1],
                         "probability_sd": honest["probability_sd"],
                         "mean_trial_auc": float(pd.Series(honest["per_trial"]).mean()),
                         "n_validation": honest["n_validation"], "folder": str(folder.folder)})  # fmt: skip
    table = pd.DataFrame(rows)
    table["eligible"] = table["probability_sd"] >= MIN_SPREAD
    ranked = table[table["eligible"]].sort_values(["setting", "honest_auc"], ascending=[True, False])
    table["chosen"] = table.index.isin(ranked.groupby("setting").head(1).index)
    return table[COLUMNS]


def tune(profile: str = "development", run: str = "idh-t1ce-mtl", variations: dict[str, list] | None = None,
         cores: int = 2, show_progress: bool = True) -> pd.DataFrame:
    """Re-derive tuned settings on ``profile``'s cohort; writes and returns ``<run_dir>/tuning/tuning.csv``.

    Args:
        profile: a profile whose cohort is not the book's (other phantom or split seed, or real data).
        run: the training run whose settings are varied.
        variations: setting -> values compared (default ``TUNED``).
        cores: for the workflow that makes the cohort and the teacher.
        show_progress: training progress.

    Example:
        >>> tune("development")  # doctest: +SKIP  (about 20 minutes on 2 cores)
    """
    from glioma_lib.pipeline.workflow import run as run_workflow

    variations = variations or TUNED
    config, book = AnalysisConfig.model_validate(load_config(profile)), AnalysisConfig.model_validate(load_config(
        "default"))  # fmt: skip
    cohort, reported = config.cohort, book.cohort
    if cohort.source == "phantom" and (cohort.phantom_seed, cohort.split_seed) == (reported.phantom_seed,
                                                                                    reported.split_seed):
        raise ConfigError(f"glioma tune: profile {profile!r} draws the book's own cohort (phantom seed "
                          f"{cohort.phantom_seed}, split seed {cohort.split_seed}); tune on a development cohort "
                          "(`--profile development`), never on the one the book reports")  # fmt: skip
    if run not in config.training.runs():
        raise ConfigError(f"glioma tune: {run!r} is not a run of profile {profile!r}: {config.training.runs()}")
    base = config.training.for_run(run)
    variants = variant_settings(base, variations)
    run_workflow(profile, cores, extra=["--until", "weak_labels"])  # the cohort and the teacher
    layout = RunLayout(config.run_dir)
    for name, settings in variants.items():
        if show_progress:
            print(f"tuning {run}: {name}", flush=True)
        subtype_training(layout, settings, show_progress, restart=True, into=layout.tuning_run(name))
    table = tuning_table(layout, base, variations)
    write_table(table, layout.tuning_table)
    return table
