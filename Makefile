# make demo: set up .venv if needed and run the main job.  make test: set up and run every check.
SHELL  := /bin/bash
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
JOBS   ?= 2

MATHJAX := docs/vendor/mathjax/tex-svg.js

.PHONY: demo test lint typecheck bench docs images clean

$(STAMP): pyproject.toml requirements/dev.txt requirements/constraints.txt requirements/nodeps.txt
	@echo "==> creating $(VENV) (once; 'make clean' removes it)"
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip setuptools wheel
	@echo "==> installing the development stack into $(VENV): the CPU build of torch, jax, keras, tensorflow,"
	@echo "    ray, transformers, the docs tools... (about 3.7 GB; minutes the first time, seconds afterwards)"
	set -o pipefail; $(PY) -m pip install --progress-bar off -r requirements/dev.txt -c requirements/constraints.txt \
		| { grep -E --line-buffered '^(Collecting|Successfully installed|ERROR)' || true; }
	$(PY) -m pip install --quiet --no-deps -r requirements/nodeps.txt
	@echo "==> installing lrplan itself (editable)"
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)
	@echo "==> $(VENV) is ready"

demo: $(STAMP)
	$(PY) -m lrplan demo --out out
	$(PY) -m lrplan lab demo

lint: $(STAMP)
	$(PY) -m ruff check src tests benchmarks
	$(PY) -m ruff format --check src tests benchmarks

typecheck: $(STAMP)
	$(PY) -m mypy

test: $(STAMP) lint typecheck docs
	$(PY) -m pytest -n $(JOBS) -q

bench: $(STAMP)
	for f in benchmarks/*.py; do echo "== $$f"; $(PY) $$f || exit 1; done

# The docs site (mkdocs-material + mkdocstrings), built in strict mode: a warning, a broken link or a missing
# reference fails. MathJax is served from the site itself (fetched once from the npm registry), so pages
# render with no network.
$(MATHJAX):
	mkdir -p build/npm $(dir $(MATHJAX))
	cd build/npm && npm pack --silent mathjax@3.2.2 >/dev/null
	tar -xzf build/npm/mathjax-3.2.2.tgz -C build/npm package/es5/tex-svg.js
	cp build/npm/package/es5/tex-svg.js $@

docs: $(STAMP) $(MATHJAX)
	NO_MKDOCS_2_WARNING=1 $(PY) -m mkdocs build --strict

# Redraw the gallery pictures and the API pages after adding a schedule (and the PBT picture: Ray, ~30 s).
images: $(STAMP)
	$(PY) docs/build_images.py
	$(PY) docs/build_api_pages.py
	$(PY) docs/build_pbt_image.py

clean:
	rm -rf $(VENV) build dist .pytest_cache .mypy_cache .ruff_cache
