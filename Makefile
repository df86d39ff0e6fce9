# insight — the README's commands.  `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV    ?= .venv
PY      := $(VENV)/bin/python
STAMP   := $(VENV)/.installed
DATA    ?= data/sample
JOBS    ?= 2
# Python 3.12 (or 3.13): PATH first, then pyenv's versions.
PYTHON_312 ?= $(shell for p in python3.12 python3.13 $$HOME/.pyenv/versions/3.12*/bin/python3.12 $$HOME/.pyenv/versions/3.13*/bin/python3.13; do \
	  if command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(not (3,12) <= sys.version_info[:2] < (3,14))' 2>/dev/null; then command -v $$p; break; fi; done)

.PHONY: help setup report test lab bench sample validate clean distclean lock

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml requirements.lock
	@if [ -z "$(PYTHON_312)" ]; then \
	  echo "insight needs Python 3.12 or 3.13 and found neither on PATH nor under pyenv."; \
	  echo "Install it with:  pyenv install 3.12   (or your OS package: python3.12 python3.12-venv)"; \
	  echo "or point to it:   make PYTHON_312=/path/to/python3.12 ..."; exit 2; fi
	@echo ">> creating $(VENV) with $(PYTHON_312)"
	@test -x $(PY) || $(PYTHON_312) -m venv $(VENV)
	@$(PY) -m pip install -q --upgrade pip >/dev/null
	@$(PY) -m pip install -q -c requirements.lock -e '.[test]'
	@$(PY) -m ipykernel install --sys-prefix --name insight --display-name "Python 3 (insight)" >/dev/null
	@touch $(STAMP)
	@echo ">> environment ready"

setup: $(STAMP) ## create .venv and install insight (once; again only when pyproject/lock change)

$(DATA)/orders.csv: | $(STAMP)
	$(VENV)/bin/insight sample --out $(DATA) --customers 3000 --seed 7

sample: $(DATA)/orders.csv ## generate the built-in sample data into data/sample (if absent)

report: $(STAMP) $(DATA)/orders.csv ## run every report on the sample; writes reports/<run>/index.html
	$(VENV)/bin/insight run --data $(DATA) --out reports --jobs $(JOBS)
	@echo ">> open reports/latest/index.html"

validate: $(STAMP) $(DATA)/orders.csv ## validate the sample data (counts in = kept + quarantined)
	$(VENV)/bin/insight validate $(DATA)

test: $(STAMP) ## run the test suite
	$(PY) -m pytest -q -n $(JOBS) --dist loadfile

lab: $(STAMP) $(DATA)/orders.csv ## open JupyterLab on notebooks/ with the project kernel
	cd notebooks && ../$(VENV)/bin/jupyter lab

bench: $(STAMP) ## benchmarks at 10k..1M order lines (installs the bench extra)
	$(PY) -m pip install -q -c requirements.lock -e '.[test,bench]'
	$(PY) benchmarks/run.py

lock: ## re-resolve dependencies and rewrite requirements.lock
	$(PY) -m pip freeze --exclude-editable | grep -v '^-e' > requirements.lock

clean: ## remove generated reports and sample data
	rm -rf reports/* $(DATA)

distclean: clean ## also remove the virtual environment
	rm -rf $(VENV)
