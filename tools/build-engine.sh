#!/usr/bin/env bash
# `make engine`: the Pulumi engine the project runs, in .tools/bin/:
#   pulumi                          the CLI, built from the pinned wrapper module tools/pulumi (Go module proxy)
#   pulumi-resource-okta            the Okta provider plugin, and
#   pulumi-language-python(-exec)   the Python language host, both built by ../shared/engine-src/build.sh from the
#                                   sources kept there (the proxy refuses their modules)
#   pulumi-resource-pulumi-python   the script that serves Python dynamic providers, from the CLI's sdk module
#                                   (with `exec`: tools/exec-dynamic-host.sh)
# Without ../shared/engine-src (someone else's clone), a Pulumi CLI installed the usual way, with the Okta plugin
# the SDK pin asks for, is linked in as it is. Make calls this only when a wrapper or the sources changed.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=.tools/bin
kit=../shared/engine-src
mkdir -p "$bin"
export CGO_ENABLED=0 GOFLAGS=-mod=readonly

# The Okta plugin must be the version the pulumi-okta SDK pin makes a user's CLI fetch (tests/engine checks it).
okta_version=$(sed -nE 's/^ *"pulumi-okta==([0-9.]+)".*/\1/p' pyproject.toml)

say() { echo "engine: $*"; }
trap 'kill $(jobs -p) 2>/dev/null || true' EXIT # no heartbeat outlives the build

# heartbeat WHAT: a line a minute while a long build runs, so it is never minutes of silence.
heartbeat() {
	local start=$SECONDS
	while sleep 60; do say "still building $1 ($(((SECONDS - start) / 60)) min)"; done
}

# with_heartbeat WHAT COMMAND...: run COMMAND with a heartbeat beside it.
with_heartbeat() {
	local what=$1 hb status=0
	shift
	heartbeat "$what" &
	hb=$!
	"$@" || status=$?
	kill "$hb" 2>/dev/null || true
	wait "$hb" 2>/dev/null || true
	return "$status"
}

# use_installed: link a usual Pulumi install (CLI, host and scripts in one folder; the plugin in the plugins folder).
use_installed() {
	local cli plugin
	cli=$(command -v pulumi || true)
	[ -n "$cli" ] || cli="$HOME/.pulumi/bin/pulumi"
	plugin="${PULUMI_HOME:-$HOME/.pulumi}/plugins/resource-okta-v$okta_version/pulumi-resource-okta"
	if [ ! -x "$cli" ] || [ ! -x "$plugin" ]; then
		# Lines that fit 120 columns, like the rest of `make demo`: this is what a clone of the repository sees.
		{
			say "$kit is absent: the Okta plugin and the Python language host cannot be built here."
			say "Install the Pulumi CLI the usual way (its installer puts it in ~/.pulumi/bin), then:"
			say "  pulumi plugin install resource okta $okta_version && make engine"
		} >&2
		exit 1
	fi
	local dir
	dir=$(dirname "$(readlink -f "$cli")")
	for name in pulumi pulumi-language-python pulumi-language-python-exec; do
		ln -sfn "$dir/$name" "$bin/$name"
	done
	tools/exec-dynamic-host.sh "$dir/pulumi-resource-pulumi-python" "$bin/pulumi-resource-pulumi-python"
	ln -sfn "$plugin" "$bin/pulumi-resource-okta"
	say "using the installed Pulumi CLI $("$bin/pulumi" version) in $dir with the Okta plugin $okta_version ($plugin)"
}

# build_cli: the CLI, stamped with the version Pulumi's own release sets; a refused module ends it with one line.
build_cli() {
	local version log refused
	version=$(cd tools/pulumi && go list -m -f '{{.Version}}' github.com/pulumi/pulumi/pkg/v3)
	say "building pulumi $version (the CLI)"
	if ! log=$(cd tools/pulumi && go build -trimpath -o "../../$bin/pulumi.new" \
		-ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$version" \
		github.com/pulumi/pulumi/pkg/v3/cmd/pulumi 2>&1); then
		refused=$(grep -oE '[^ :]+@v[^ :]+: (reading|verifying) [^ ]+: (403|404|410)' <<<"$log" | head -n 1 |
			cut -d: -f1 || true)
		rm -f "$bin/pulumi.new"
		if [ -n "$refused" ]; then
			say "the Go module proxy refused $refused (needed for pulumi); nothing was installed" >&2
		else
			tail -n 20 <<<"$log" >&2
			say "building pulumi from tools/pulumi failed (see above); nothing was installed" >&2
		fi
		exit 1
	fi
	mv "$bin/pulumi.new" "$bin/pulumi"
	# Serves Python dynamic providers (the Talend role mappings); shipped in the sdk module of the CLI's release.
	local sdk_dir
	sdk_dir=$(cd tools/pulumi && go list -m -f '{{.Dir}}' github.com/pulumi/pulumi/sdk/v3)
	tools/exec-dynamic-host.sh "$sdk_dir/python/dist/pulumi-resource-pulumi-python" "$bin/pulumi-resource-pulumi-python"
	say "built pulumi $version"
}

if [ ! -x "$kit/build.sh" ]; then
	use_installed
	exit 0
fi
if ! command -v go >/dev/null; then
	say "no Go toolchain on PATH: install Go 1.26 or newer (or a Pulumi CLI the usual way) to build the engine" >&2
	exit 1
fi
# A cold Go module cache means the first build: say how long it takes, once.
if [ ! -e "$(go env GOMODCACHE)/cache/download/github.com/pulumi/pulumi/pkg/v3/@v/list" ]; then
	say "first build: about 15 minutes on 2 cores (about 1 GB of Go modules to download), once; later builds take" \
		"seconds"
fi
with_heartbeat pulumi build_cli
say "building the Okta provider plugin $okta_version and the Python language host from $kit"
with_heartbeat "the Okta provider plugin and the Python language host" "$kit/build.sh" "$bin"
