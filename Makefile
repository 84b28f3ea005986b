# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.neurobridge-installed

.PHONY: demo test test-fast install toolchain lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[all,dev,ray]"
	touch $(STAMP)

# cmake, a C++ compiler, Boost and libltdl headers for the NESTML-built NEST models: installed with
# apt-get when missing and run as root (CI), otherwise the command is printed and the install goes on.
toolchain: $(STAMP)
	$(BIN)/python backends/nest/nestml/toolchain.py --install

install: $(STAMP) toolchain

demo: $(STAMP)
	$(BIN)/neurobridge demo --output results/demo --overwrite

test: $(STAMP) toolchain
	$(BIN)/python -m pytest

test-fast: $(STAMP) toolchain
	$(BIN)/python -m pytest -m "not slow"

lint: $(STAMP)
	$(BIN)/ruff check neurobridge backends tests benchmarks experiments
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python benchmarks/cuba.py

clean:
	rm -rf $(VENV) results
