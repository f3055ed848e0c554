"""A run's settings: what enters a trial's fingerprint, and the evaluation schedule."""

from __future__ import annotations

from tests.training.conftest import planted_data as _data
from tests.training.conftest import small_config as _config


def test_settings_that_do_not_change_a_trial_stay_out_of_its_fingerprint(planted_entries):
    data = _data(planted_entries)
    def fingerprint(config):
        return config.fingerprint(data.identity, None)

    assert fingerprint(_config(bootstrap=10, trials=5, device="cuda", batch_trials=True)) == fingerprint(_config())
    assert fingerprint(_config(norm="batch")) != fingerprint(_config())


def test_evaluations_are_evenly_spaced_after_the_warm_up():
    config = _config(updates=400, evaluations=5, evaluate_from=0.5)
    assert config.evaluation_points() == [240, 280, 320, 360, 400]
    assert _config(updates=7, evaluations=2).evaluation_points() == [4, 7]
    assert _config(model="cnn", unlabelled_per_batch=4).unlabelled_in_batch == 0
    assert _config(model="mtl", unlabelled_per_batch=4).unlabelled_in_batch == 4
