# Entry points. `make demo` and `make test` set up everything they need.
SHELL := /bin/bash
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

export ANSIBLE_CONFIG := $(CURDIR)/ansible.cfg
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: help venv deps demo down test lint unit molecule integration clean

help:
	@echo "make demo         lab up (6 hosts), legacy PHP app, then Django side by side on dev, stage, prod; URLs printed"
	@echo "make test         lint, unit tests, molecule test (full lab in CI)"
	@echo "make down         remove the demo lab"
	@echo "make integration  the integration tests against the running demo lab"

# One virtualenv with the pinned controller toolchain and this package.
$(STAMP): requirements.txt pyproject.toml requirements.yml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	$(BIN)/pip install --quiet --no-deps -e .
	$(BIN)/ansible-galaxy collection install -r requirements.yml
	touch $@

venv: $(STAMP)

deps:
	scripts/lab deps

demo: venv deps
	scripts/lab up
	$(BIN)/ansible-playbook playbooks/deploy-sidebyside.yml
	scripts/lab urls

down: venv
	scripts/lab down

lint: venv
	$(BIN)/yamllint -s .
	$(BIN)/ansible-lint
	$(BIN)/ansible-playbook --syntax-check playbooks/*.yml

unit: venv deps
	$(BIN)/pytest tests/unit

molecule: venv deps
	scripts/lab engine
	$(BIN)/molecule test

integration: venv
	$(BIN)/pytest -m integration tests/integration

test: lint unit molecule
