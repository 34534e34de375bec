# The two commands in the README: `make book` and `make test`. Each creates .venv and
# installs everything it needs on a fresh machine (pinned by constraints.txt).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
NBVAL  := --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg -p tests.nbval_numeric -p no:cacheprovider

.PHONY: install test test-package test-notebooks test-browser book bench lint lab execute sync clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[test,book,lint]"
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (influence-demo)" >/dev/null
	touch $(STAMP)

install: $(STAMP)

## make test: package tests and doctests, nbval over every chapter, and the browser check
test: test-package test-notebooks test-browser

test-package: $(STAMP)
	$(BIN)/python -m pytest -q --doctest-modules influence_demo tests --ignore=tests/browser

# Chapters run with one BLAS thread by default, both when their outputs are stored (make
# execute) and when nbval re-runs them, since two notebooks run at once. No printed number
# depends on it: CI also runs nbval with BLAS_THREADS=2 and under other OpenBLAS kernels
# (OPENBLAS_CORETYPE), and tests/nbval_numeric.py compares numbers to a relative 1e-7.
BLAS_THREADS ?= 1
BLAS_ENV := OPENBLAS_NUM_THREADS=$(BLAS_THREADS) OMP_NUM_THREADS=$(BLAS_THREADS) MKL_NUM_THREADS=$(BLAS_THREADS)

test-notebooks: $(STAMP)
	$(BLAS_ENV) $(BIN)/python -m pytest -q $(NBVAL) -n 2 --dist loadfile book

test-browser: $(STAMP)
	$(BIN)/python -m pytest -q -rs tests/browser

## make book: the HTML book in _build/html, warnings as errors, no stale cache
book: $(STAMP)
	$(BIN)/jupyter-book build --all -W --keep-going .

## make bench: the benchmark tables (influence against its baselines; top-k at scale, block CG;
## top-k in memory, from a memmap and on a dask LocalCluster from 10^5 to 10^7 rows)
bench: $(STAMP)
	$(BIN)/python benchmarks/run.py
	$(BIN)/python benchmarks/scale.py
	$(BIN)/python benchmarks/approximations.py
	$(BIN)/python benchmarks/cluster.py

## make lint: ruff over every Python file (settings in pyproject.toml), then numpydoc
## validation of every public name of the package (tools/check_docstrings.py); both run,
## and the target fails if either finds a problem
lint: $(STAMP)
	$(BIN)/ruff check .; status=$$?; $(BIN)/python tools/check_docstrings.py && exit $$status

## make lab: open the chapters in JupyterLab
lab: $(STAMP)
	$(BIN)/python -m pip install --quiet -c constraints.txt jupyterlab
	$(BIN)/jupyter lab book

## make execute: update every chapter notebook from its py:percent twin (keeping cell ids),
## then run it top to bottom in a fresh kernel and store the outputs
## (one chapter: make execute CHAPTERS=book/solvers.py)
CHAPTERS ?= $(wildcard book/*.py)
execute: $(STAMP)
	for f in $(CHAPTERS); do \
	  $(BIN)/jupytext --to ipynb --set-formats ipynb,py:percent --update $$f || exit 1; \
	  $(BLAS_ENV) $(BIN)/jupytext --to ipynb --execute $${f%.py}.ipynb || exit 1; \
	done

## make sync: after editing a notebook in Jupyter, refresh its py:percent twin (and back)
sync: $(STAMP)
	$(BIN)/jupytext --sync book/*.ipynb

clean:
	rm -rf _build .pytest_cache .hypothesis
