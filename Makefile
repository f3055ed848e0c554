# Two commands for a new user: `make book` and `make test` (see README.md).
VENV ?= .venv
PY := $(VENV)/bin/python
PROFILE ?= default
# The exact versions `make` installs (pip constraints); `make lock` regenerates it from pyproject.toml.
LOCK := requirements.lock
# Open .py notebooks as notebooks in JupyterLab (jupytext); notebooks/jupytext.toml keeps saves text-only.
LAB_SETTINGS := $(VENV)/share/jupyter/lab/settings/overrides.json
# Containers often run as root, where JupyterLab refuses to start without --allow-root.
ALLOW_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root)

.PHONY: book test test-fast lab lock

$(VENV)/.installed: pyproject.toml $(LOCK) .jupyter/overrides.json
	test -x $(PY) || python3 -m venv $(VENV)
	# torch is pinned in pyproject.toml; installing it in the same command keeps pip on the CPU wheel.
	$(PY) -m pip install --quiet -c $(LOCK) -e ".[dev,slurm]"
	mkdir -p $(dir $(LAB_SETTINGS))
	cp .jupyter/overrides.json $(LAB_SETTINGS)
	touch $@

book: $(VENV)/.installed
	$(VENV)/bin/glioma book --profile $(PROFILE)

test: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/pytest -q

test-fast: $(VENV)/.installed
	$(VENV)/bin/pytest -q -m "not slow"

lab: $(VENV)/.installed
	$(PY) -m pip install --quiet -c $(LOCK) -e ".[lab]"
	$(VENV)/bin/jupyter lab --notebook-dir=. $(ALLOW_ROOT)

lock:
	rm -rf .lock-venv && python3 -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet -e ".[dev,lab,slurm]"
	(echo '# Exact versions of every package `make` installs (all extras); regenerate with `make lock`.'; \
	 .lock-venv/bin/python -m pip freeze --exclude-editable) > $(LOCK).tmp && mv $(LOCK).tmp $(LOCK)
	rm -rf .lock-venv
