# One virtualenv for everything: the Pulumi program (Pulumi.yaml points at .venv), the CLI and the tests.
VENV ?= .venv
PY := $(VENV)/bin/python
# Go's usual install folder, for machines whose PATH lacks it (`make engine` needs Go).
export PATH := $(PATH):/usr/local/go/bin

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

## engine: the Pulumi CLI (pinned wrapper module tools/pulumi), the Okta provider plugin and the Python language host
## (built from ../shared/engine-src) into .tools/bin/. Rebuilt only when the wrapper or those sources change;
## without ../shared/engine-src an installed Pulumi CLI and Okta plugin are linked in. See docs/development.md.
ENGINE_INPUTS := tools/build-engine.sh tools/exec-dynamic-host.sh tools/pulumi/go.mod tools/pulumi/go.sum \
	$(wildcard ../shared/engine-src/*)
.tools/bin/.built: $(ENGINE_INPUTS)
	tools/build-engine.sh
	touch $@

engine: .tools/bin/.built
	@echo "engine: $$(.tools/bin/pulumi version) with the Okta plugin and the Python host in .tools/bin/"

# The demo and the sandbox deploy with the real `pulumi up`: build the engine first wherever it can be built (the
# first time takes minutes, once); where it cannot, say why in one line and go on (the demo then deploys over REST).
define engine_if_possible
	@$(MAKE) --no-print-directory engine || echo "$@: going on without the engine (the lines above say why)"
endef

## demo: the whole flow offline (Okta sandbox + Talend stand-in, provisioning, verify, drift), then exit.
demo: install
	$(engine_if_possible)
	$(PY) -m talend_okta_sandbox.demo

## sandbox: leave both local servers running and print the variables that point pulumi and talend-okta at them.
## Other ports: make sandbox OKTA_PORT=18090 TALEND_PORT=18091; keep the org across restarts: STATE_DIR=.sandbox/kept
# One recipe line: make echoes a continued line as it is, a stray `\` and all.
SANDBOX_OPTIONS = $(strip $(if $(OKTA_PORT),--okta-port $(OKTA_PORT)) $(if $(TALEND_PORT),--talend-port \
	$(TALEND_PORT)) $(if $(STATE_DIR),--state-dir $(STATE_DIR)))
sandbox: install
	$(engine_if_possible)
	$(PY) -m talend_okta_sandbox.demo --serve $(SANDBOX_OPTIONS)

## lint: ruff and mypy.
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

## test: lint, the engine, then the whole test suite (tests/engine runs the real CLI), spread over the cores
## (pytest-xdist; worksteal, so the long engine scenarios do not leave a core idle at the end).
test: lint engine
	$(PY) -m pytest -q -n auto --dist worksteal

clean:
	rm -rf $(VENV) .tools .sandbox .pytest_cache .mypy_cache .ruff_cache
