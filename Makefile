# Two commands for a new user: `make book` and `make test` (see README.md).
VENV ?= .venv
PY := $(VENV)/bin/python
PROFILE ?= default

.PHONY: book test lab lint clean-runs

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# torch is pinned in pyproject.toml; installing it in the same command keeps pip on the CPU wheel.
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $@

book: $(VENV)/.installed
	$(VENV)/bin/glioma book --profile $(PROFILE)

test: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/pytest -q

lab: $(VENV)/.installed
	$(PY) -m pip install --quiet -e ".[lab]"
	$(VENV)/bin/jupyter lab --ContentsManager.preferred_jupytext_formats_read=py:percent notebooks/

clean-runs:
	rm -rf runs/smoke
