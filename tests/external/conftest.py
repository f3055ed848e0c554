"""Fixtures of the external-validation tests: the shipped cohort settings, pointed at the real data."""

from __future__ import annotations

import pytest

from glioma_lib.config.load import load_config

SHIPPED_ROOT = "../shared/realdata"


def _rerooted(value, root: str):
    if isinstance(value, dict):
        return {k: _rerooted(v, root) for k, v in value.items()}
    return value.replace(SHIPPED_ROOT, root, 1) if isinstance(value, str) and value.startswith(SHIPPED_ROOT) else value


@pytest.fixture(scope="session")
def shipped_cohorts(realdata) -> dict:
    """``external.cohorts`` of config/config.yaml (GLASS and Capper), with paths under ``realdata``."""
    return _rerooted(load_config("default")["external"]["cohorts"], str(realdata))


@pytest.fixture(scope="session")
def tcga_tables(realdata) -> tuple[str, str]:
    return (str(realdata / "tcga_scna_arm/arm_level_scna_786.csv"),
            str(realdata / "tcga_scna_arm/clinical_786.csv"))  # fmt: skip
