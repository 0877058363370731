# One virtualenv for everything: the Pulumi program (Pulumi.yaml points at .venv), the CLI and the tests.
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: demo sandbox test lint install clean

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed

## demo: the whole flow offline (Okta sandbox + Talend stand-in, provisioning, verify, drift), then exit.
demo: install
	$(PY) -m talend_okta.sandbox.demo

## sandbox: leave both local servers running and print the variables that point pulumi and talend-okta at them.
sandbox: install
	$(PY) -m talend_okta.sandbox.demo --serve

## lint: ruff and mypy.
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

## test: lint, then the whole test suite.
test: lint
	$(PY) -m pytest -q

clean:
	rm -rf $(VENV) .sandbox .pytest_cache .mypy_cache .ruff_cache
