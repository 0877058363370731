# One virtualenv for everything: the Pulumi program (Pulumi.yaml points at .venv), the CLI and the tests.
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: demo sandbox test lint install engine clean

# The product (`.`) with its test tools, and the offline sandbox (`sandbox/`, its own package, never in the wheel).
$(VENV)/.installed: pyproject.toml sandbox/pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]' -e ./sandbox
	# Pulumi starts Python dynamic providers (the role mappings) in the program's folder and looks for
	# Pulumi.yaml's `virtualenv: .venv` there, while the program itself finds it next to Pulumi.yaml.
	ln -sfn ../$(VENV) stack/.venv
	touch $@

install: $(VENV)/.installed

## engine: the Pulumi CLI and its Python language host, built from the pinned Go modules in tools/ into .tools/bin/.
## Rebuilt only when a wrapper module changes; see docs/development.md, "Engine".
ENGINE_MODULES := $(wildcard tools/*/go.mod tools/*/go.sum)
.tools/bin/.built: tools/build-engine.sh $(ENGINE_MODULES)
	tools/build-engine.sh
	touch $@

engine: .tools/bin/.built
	@echo "engine: $$(.tools/bin/pulumi version) with pulumi-language-python $$(cd tools/pulumi-language-python && go list -m -f '{{.Version}}' github.com/pulumi/pulumi/sdk/v3) in .tools/bin/"

## demo: the whole flow offline (Okta sandbox + Talend stand-in, provisioning, verify, drift), then exit.
demo: install
	$(PY) -m talend_okta_sandbox.demo

## sandbox: leave both local servers running and print the variables that point pulumi and talend-okta at them.
## Other ports: make sandbox OKTA_PORT=18090 TALEND_PORT=18091; keep the org across restarts: STATE_DIR=.sandbox/kept
sandbox: install
	$(PY) -m talend_okta_sandbox.demo --serve $(if $(OKTA_PORT),--okta-port $(OKTA_PORT)) \
		$(if $(TALEND_PORT),--talend-port $(TALEND_PORT)) $(if $(STATE_DIR),--state-dir $(STATE_DIR))

## lint: ruff and mypy.
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

## test: lint, the engine, then the whole test suite (tests/engine runs the real CLI).
test: lint engine
	$(PY) -m pytest -q

clean:
	rm -rf $(VENV) .tools .sandbox .pytest_cache .mypy_cache .ruff_cache
