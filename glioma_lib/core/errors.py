"""The errors the command line turns into messages: bad input (naming the patient and the file,
so the user can fix it) and a failed notebook."""

from __future__ import annotations

from pathlib import Path


class InputDataError(ValueError):
    """A structural fault in the user's inputs; processing stops and nothing is written."""

    def __init__(self, message: str, patient: str | None = None, path: str | Path | None = None):
        self.patient = patient
        self.path = None if path is None else str(path)
        where = []
        if patient is not None:
            where.append(f"patient {patient}")
        if path is not None:
            where.append(f"file {path}")
        super().__init__(f"{message} ({', '.join(where)})" if where else message)


class NotebookFailed(RuntimeError):
    """A notebook raised; the message holds its error and the path of the partial notebook."""
