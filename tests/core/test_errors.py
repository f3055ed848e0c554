"""Input errors name the patient and the file."""

from __future__ import annotations

from glioma_lib.core.errors import InputDataError


def test_message_names_patient_and_file():
    error = InputDataError("missing t1ce", patient="TCGA-02-0001", path="/data/TCGA-02-0001")
    assert str(error) == "missing t1ce (patient TCGA-02-0001, file /data/TCGA-02-0001)"
    assert (error.patient, error.path) == ("TCGA-02-0001", "/data/TCGA-02-0001")
    assert str(InputDataError("no source")) == "no source"
