# make run  — set up .venv if needed and start the app on http://127.0.0.1:8501
# make test — set up .venv (with test tools) if needed and run the tests
# make bench — latency of the shipped model (figures in docs/speed.md); make bench-app — the page in Chromium
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STREAMLIT_FLAGS := --server.address 127.0.0.1 --browser.gatherUsageStats false

.PHONY: run test bench bench-app data train

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.requirements: requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.requirements-test: requirements-test.txt $(VENV)/.requirements
	$(BIN)/python -m pip install --quiet -r requirements-test.txt
	touch $@

# Inseq beside the venv, for benchmarks/inseq_compare.py (its small mode is a test); see requirements-inseq.txt
.inseq-lib/.installed: requirements-inseq.txt | $(BIN)/python
	rm -rf .inseq-lib
	$(BIN)/python -m pip install --quiet --no-deps --target .inseq-lib -r requirements-inseq.txt
	touch $@

run: $(VENV)/.requirements
	$(BIN)/python -m streamlit run app.py $(STREAMLIT_FLAGS)

test: $(VENV)/.requirements-test .inseq-lib/.installed
	$(BIN)/python -m pytest -q -rs

bench: $(VENV)/.requirements
	$(BIN)/python benchmarks/latency.py

bench-app: $(VENV)/.requirements-test
	$(BIN)/python benchmarks/app.py

data: $(VENV)/.requirements
	$(BIN)/python -m attnviz data

# Retrains the shipped model with the settings it was trained with (see its model card; about 35 minutes).
train: data
	$(BIN)/python -m attnviz train --out pretrained/news-pointer-generator
