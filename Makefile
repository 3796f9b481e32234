# `make run` and `make test` do all set-up on a fresh machine (see README.md).
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export GRADIO_ANALYTICS_ENABLED := False
export ANONYMIZED_TELEMETRY := False
HOST ?= 127.0.0.1
PORT ?= 7860

.PHONY: setup index browser run test eval bench lint clean

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

test: index browser
	$(BIN)/python -m pytest -q
	$(BIN)/policy-assistant eval --gate
	$(BIN)/policy-assistant eval --gate --set evals/heldout.jsonl

eval: index
	$(BIN)/policy-assistant eval

bench: index
	$(BIN)/policy-assistant bench

lint: setup
	$(BIN)/ruff check assistant tests ui.py evals

clean:
	rm -rf $(VENV) index/chroma index/cache index/manifest.json
