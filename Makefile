# mscreport: bare `make` prints this help.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
CONSTRAINTS := requirements/constraints.txt

.DEFAULT_GOAL := help
.PHONY: help bytecode report test test-fast test-pythons bench bench-omop browser-deps notebooks workbooks clean

help: ## Show this help
	@echo "mscreport - make targets:"
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml $(CONSTRAINTS)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade "pip==26.3"
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c $(CONSTRAINTS) setuptools -e ".[test]"
	$(MAKE) --no-print-directory bytecode
	touch $(STAMP)

# The editable install leaves lib/ without compiled bytecode, and with PYTHONDONTWRITEBYTECODE
# set (as on our CI machines) Python would compile every module of ours again in every process
# and every chapter: compile them once, as pip does for installed packages.
bytecode:
	$(BIN)/python -m compileall -q lib/mscreport

report: $(STAMP) bytecode ## Build every report from the bundled cohort into reports/
	$(BIN)/mscreport build

test: $(STAMP) bytecode browser-deps ## Run the whole test suite (pytest on lib/, nbval on notebooks, end-to-end, browser); prints the 30 slowest tests
	$(BIN)/python -m pytest --durations=30

test-fast: $(STAMP) bytecode ## Unit tests only (no notebook execution, no browser)
	$(BIN)/python -m pytest -m "not slow and not browser"

test-pythons: ## Fast tests on Python 3.12 and 3.13 too, each in .venv-3.X with the same pins (skipped, with the reason, where not installed)
	bash .ci/pythons.sh

bench: $(STAMP) bytecode ## Print build-time, memory and size figures (medians of several runs)
	$(BIN)/python scripts/bench.py

bench-omop: $(STAMP) bytecode ## Time an OMOP CDM of 1e7 HbA1c rows (1e6 persons x 10): extraction and load (issue 25)
	$(BIN)/python scripts/bench_omop.py

notebooks: $(STAMP) ## Regenerate the .ipynb twins paired with the py:percent sources (for contributors; a class uses make workbooks)
	$(BIN)/jupytext --sync notebooks/[0-9][0-9]_*.py

workbooks: $(STAMP) ## Student workbooks (unpaired .ipynb, with and without answers) into workbooks/, and the `mscreport` Jupyter kernel
	$(BIN)/python -m ipykernel install --prefix $(VENV) --name mscreport --display-name "Python (mscreport)"
	$(BIN)/mscreport workbooks --output workbooks

browser-deps: ## Install headless Chromium and pdftotext (poppler-utils) for the browser test where possible (apt-get); never fails
	@missing=""; command -v chromium >/dev/null 2>&1 || missing="chromium"; \
	command -v pdftotext >/dev/null 2>&1 || missing="$$missing poppler-utils"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing$$missing for the browser test (apt-get)"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null) \
	      || echo "$$missing could not be installed: the browser tests that need it will be skipped"; \
	  else echo "$$missing not available and not root: the browser tests that need it will be skipped"; fi; fi

clean: ## Remove the virtual environment and rendered reports
	rm -rf $(VENV) .venv-3.* workbooks reports/*.html reports/results.json reports/teaching reports/.cache
