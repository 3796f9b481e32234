# `make run` and `make test` do all set-up on a fresh machine (see README.md).
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export GRADIO_ANALYTICS_ENABLED := False
export ANONYMIZED_TELEMETRY := False
PY_SOURCES := assistant evals tests ui.py
HOST ?= 127.0.0.1
PORT ?= 7860

.PHONY: setup index browser run check test eval bench bench-api lint format clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[st,llm,eval,dev]"
	touch $(STAMP)

setup: $(STAMP)

index: setup
	$(BIN)/policy-assistant index

# Debian's Chromium and CJK fonts for the browser tests (CI runs as root; never `playwright install`).
browser:
	@if [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -qi "noto.*cjk"; then \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO="sudo"; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; \
	fi

run: index
	$(BIN)/python ui.py --host $(HOST) --port $(PORT)

# The fast loop (< 90 s): lint, format, import layers, and every test not marked slow.
# .pre-commit-config.yaml runs the same commands.
check: setup
	$(BIN)/ruff check $(PY_SOURCES)
	$(BIN)/ruff format --check $(PY_SOURCES)
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -q -m "not slow" -n 2

# Everything: the fast loop, then the slow tests (servers, browser, torch) and the quality gates.
test: check index browser
	$(BIN)/python -m pytest -q -m slow
	$(BIN)/policy-assistant eval --gate
	$(BIN)/policy-assistant eval --gate --set evals/heldout.jsonl

eval: index
	$(BIN)/policy-assistant eval

bench: index
	$(BIN)/policy-assistant bench

# The HTTP paths under load (16 and 64 clients, 30 s each) and corpora of 10 / 1,000 / 10,000 notices
# (the last takes about 15 minutes): evals/reports/bench-api-<time>/
bench-api: setup
	$(BIN)/python -m evals.bench_api

lint: setup
	$(BIN)/ruff check $(PY_SOURCES)

format: setup
	$(BIN)/ruff format $(PY_SOURCES)
	$(BIN)/ruff check --fix $(PY_SOURCES)

clean:
	rm -rf $(VENV) index/chroma index/cache index/manifest.json
