"""Fixtures of the external-validation tests: the shipped cohort settings, pointed at the real data."""

from __future__ import annotations

import pytest

from glioma_lib.config.load import load_config
from tests.conftest import rerooted


@pytest.fixture(scope="session")
def shipped_cohorts(realdata) -> dict:
    """``external.cohorts`` of config/config.yaml (GLASS and Capper), with paths under ``realdata``."""
    return rerooted(load_config("default")["external"]["cohorts"], realdata)


@pytest.fixture(scope="session")
def tcga_tables(realdata) -> tuple[str, str]:
    return (str(realdata / "tcga_scna_arm/arm_level_scna_786.csv"),
            str(realdata / "tcga_scna_arm/clinical_786.csv"))  # fmt: skip
