#!/usr/bin/env bash
# `make engine`: builds the Pulumi CLI and its Python language host from the pinned wrapper modules beside this
# script (go.mod + go.sum, resolved through the Go module proxy) into .tools/bin/. Make calls it only when a
# wrapper's go.mod or go.sum changed; Go's build cache makes a rebuild of unchanged sources quick.
# A module the proxy refuses ends the build with one line naming it.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=.tools/bin
mkdir -p "$bin"
export CGO_ENABLED=0 GOFLAGS=-mod=readonly

# build NAME WRAPPER-DIR PACKAGE VERSION: one binary, stamped with the version Pulumi's own release sets.
build() {
	local name=$1 dir=$2 pkg=$3 version=$4 log
	if ! log=$(cd "tools/$dir" && go build -trimpath -o "../../$bin/$name.new" \
		-ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$version" "$pkg" 2>&1); then
		local refused
		refused=$(grep -oE '[^ :]+@v[^ :]+: (reading|verifying) [^ ]+: (403|404|410)' <<<"$log" | head -n 1 | cut -d: -f1 || true)
		if [ -n "$refused" ]; then
			echo "engine: the Go module proxy refused $refused (needed for $name); nothing was installed" >&2
		else
			tail -n 20 <<<"$log" >&2
			echo "engine: building $name from tools/$dir failed (see above); nothing was installed" >&2
		fi
		rm -f "$bin/$name.new"
		exit 1
	fi
	mv "$bin/$name.new" "$bin/$name"
}

# The versions come from the wrapper modules themselves, so go.mod is the one place that pins them.
cli_version=$(cd tools/pulumi && go list -m -f '{{.Version}}' github.com/pulumi/pulumi/pkg/v3)
host_version=$(cd tools/pulumi-language-python && go list -m -f '{{.Version}}' github.com/pulumi/pulumi/sdk/v3)

build pulumi pulumi github.com/pulumi/pulumi/pkg/v3/cmd/pulumi "$cli_version"
build pulumi-language-python pulumi-language-python \
	github.com/pulumi/pulumi/sdk/v3/python/cmd/pulumi-language-python "$host_version"
# Two scripts from the SDK module of the CLI's release: the host runs programs through the first, looked up next to
# the host binary (not on PATH); the second serves Python dynamic providers (the role mappings).
sdk_dir=$(cd tools/pulumi && go list -m -f '{{.Dir}}' github.com/pulumi/pulumi/sdk/v3)
install -m 0755 "$sdk_dir/python/cmd/pulumi-language-python-exec" "$bin/pulumi-language-python-exec"
install -m 0755 "$sdk_dir/python/dist/pulumi-resource-pulumi-python" "$bin/pulumi-resource-pulumi-python"

echo "engine: built pulumi $("$bin/pulumi" version), pulumi-language-python $host_version into $bin/"
