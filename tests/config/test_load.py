"""Profiles are overrides on config/config.yaml; a wrong key, type or value stops with the key and the file."""

from __future__ import annotations

import pytest
import yaml

from glioma_lib.config.load import BASE_CONFIG, ConfigError, known_profiles, load_config, merged


def test_every_shipped_profile_is_valid():
    assert known_profiles() == ["default", "development", "paper", "real", "rehearsal", "smoke"]
    for profile in known_profiles():
        config = load_config(profile)
        assert config["profile"] == profile and config["run_dir"] == f"runs/{profile}"


def test_the_development_cohort_is_drawn_with_other_seeds_and_otherwise_the_books():
    default, development = load_config("default"), load_config("development")
    assert development["cohort"]["phantom_seed"] != default["cohort"]["phantom_seed"]
    assert development["cohort"]["split_seed"] != default["cohort"]["split_seed"]
    for section in ("training", "weak_labels", "survival"):
        assert development[section] == default[section]


def test_a_profile_overrides_only_what_it_names():
    base, smoke = yaml.safe_load(BASE_CONFIG.read_text()), load_config("smoke")
    assert smoke["training"]["updates"] == 4 and smoke["training"]["lr"] == base["training"]["lr"]
    assert smoke["training"]["grid"]["tasks"] == ["idh"]  # lists are replaced, not merged


def test_merge_replaces_lists_and_merges_mappings():
    assert merged({"a": {"x": 1, "y": [1, 2]}, "b": 1}, {"a": {"y": [3]}}) == {"a": {"x": 1, "y": [3]}, "b": 1}


def _override(tmp_path, text: str):
    path = tmp_path / "mine.yaml"
    path.write_text(text)
    return path


def test_a_misspelled_key_is_named_with_its_file_and_the_closest_key(tmp_path):
    path = _override(tmp_path, "training:\n  learning_rate: 0.001\n  lr_head_factor: 2\n")
    with pytest.raises(ConfigError) as error:
        load_config(path)
    message = str(error.value)
    assert f"{path}: training.learning_rate: unknown key" in message
    assert "training.lr_head_factor: unknown key; did you mean 'head_lr_factor'?" in message


@pytest.mark.parametrize(("text", "expected"), [
    ("training: {trials: three}", "training.trials: Input should be a valid integer"),
    ("training: {evaluations: 50, updates: 10}", "evaluations (50) must not exceed updates (10)"),
    ("cohort: {validation_fraction: 1.5}", "cohort.validation_fraction: Input should be less than 1"),
    ("training: {grid: {tasks: [grade]}}", "training.grid.tasks.0: Input should be 'idh', 'codel' or 'who2021'"),
    ("training: {device: gpu}", "training.device: String should match pattern"),
    ("analyses: {ring_run: idh-t1-mtl}", "(top level): Value error, analyses.ring_run 'idh-t1-mtl' is not one of"),
])  # fmt: skip
def test_wrong_types_and_impossible_values_are_named(tmp_path, text, expected):
    path = _override(tmp_path, text)
    with pytest.raises(ConfigError, match="invalid configuration") as error:
        load_config(path)
    assert f"{path}: " in str(error.value) and expected in str(error.value)


def test_an_unknown_profile_lists_the_known_ones():
    known = r"known profiles: \['default', 'development', 'paper'"
    with pytest.raises(ConfigError, match=rf"no profile 'nonexistent'; {known}"):
        load_config("nonexistent")


def test_the_rehearsal_keeps_the_papers_shapes_with_tiny_budgets():
    """What makes the rehearsal one: every shape the paper profile runs at, trials batched as there,
    and budgets a 2-core machine gets through."""
    paper, rehearsal = load_config("paper"), load_config("rehearsal")
    assert rehearsal["cohort"]["shape"] == paper["cohort"]["shape"] == [240, 240, 155]
    assert rehearsal["weak_labels"]["shape"] == paper["weak_labels"]["shape"]
    for key in ("crop_shape", "whole_shape", "batch_size", "batch_trials", "unlabelled_per_batch", "pooled_levels"):
        assert rehearsal["training"][key] == paper["training"][key], key
    assert set(rehearsal["training"]["grid"]["formats"]) <= set(paper["training"]["grid"]["formats"])
    assert "all_whole" in rehearsal["training"]["grid"]["formats"]  # the 144^3 trainings
    assert rehearsal["training"]["updates"] * rehearsal["training"]["trials"] <= 4
    assert rehearsal["weak_labels"]["teacher_epochs"] == 1 and rehearsal["cohort"]["n_mr"] <= 24
