# make demo: set up .venv if needed and run the main job.  make test: set up and run every check.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
JOBS   ?= 2

.PHONY: demo test lint typecheck bench docs clean

$(STAMP): pyproject.toml requirements/dev.txt requirements/constraints.txt requirements/nodeps.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip setuptools wheel
	$(PY) -m pip install --quiet -r requirements/dev.txt -c requirements/constraints.txt
	$(PY) -m pip install --quiet --no-deps -r requirements/nodeps.txt
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

demo: $(STAMP)
	$(PY) -m lrplan demo --out out
	$(PY) -m lrplan lab demo

lint: $(STAMP)
	$(PY) -m ruff check src tests benchmarks
	$(PY) -m ruff format --check src tests benchmarks

typecheck: $(STAMP)
	$(PY) -m mypy

test: $(STAMP) lint typecheck
	$(PY) -m pytest -n $(JOBS) -q

bench: $(STAMP)
	for f in benchmarks/*.py; do echo "== $$f"; $(PY) $$f || exit 1; done

docs: $(STAMP)
	$(PY) docs/build_images.py

clean:
	rm -rf $(VENV) build dist .pytest_cache .mypy_cache .ruff_cache
