# Two commands for a new user: `make book` and `make test` (see README.md).
VENV ?= .venv
PY := $(VENV)/bin/python
PROFILE ?= default

.PHONY: book test test-fast lab

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	# torch is pinned in pyproject.toml; installing it in the same command keeps pip on the CPU wheel.
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $@

book: $(VENV)/.installed
	$(VENV)/bin/glioma book --profile $(PROFILE)

test: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/pytest -q

test-fast: $(VENV)/.installed
	$(VENV)/bin/pytest -q -m "not slow"

LAB_SETTINGS := $(VENV)/share/jupyter/lab/settings/overrides.json

lab: $(VENV)/.installed
	$(PY) -m pip install --quiet -e ".[lab]"
	# Open .py notebooks as notebooks (jupytext); notebooks/jupytext.toml keeps them text-only on save.
	mkdir -p $(dir $(LAB_SETTINGS))
	echo '{"@jupyterlab/docmanager-extension:plugin": {"defaultViewers": {"python": "Jupytext Notebook"}}}' > $(LAB_SETTINGS)
	$(VENV)/bin/jupyter lab --notebook-dir=.
