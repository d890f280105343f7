# The two commands a new user needs: `make demo` (the main job) and `make test`.
# Each creates .venv, installs the CPU build of torch first (anything else pulls CUDA), then the
# package, then pulls the models into the user's cache (PARACITE_CACHE_DIR moves it).

VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: demo test models bench clean

$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

models: $(INSTALLED)
	$(BIN)/paracite models pull

demo: models
	$(BIN)/paracite ingest corpus/*.txt
	$(BIN)/paracite docs
	$(BIN)/paracite show npt-2024-chair-summary 144
	$(BIN)/paracite retrieve "2024年缔约国对扎波罗热核电厂提出了什么要求？" -k 3

test: models
	$(BIN)/python -m pytest -ra

bench: models
	$(BIN)/python benchmarks/ingest.py --keep .bench/synthetic
	$(BIN)/python benchmarks/retrieval.py --misses --synthetic-data .bench/synthetic

clean:
	rm -rf $(VENV)
