#!/usr/bin/env bash
# exec-dynamic-host.sh SRC DEST: Pulumi's pulumi-resource-pulumi-python (the script that serves Python dynamic
# providers), written to DEST with `exec` before each python it starts. Without it the script runs python as a child:
# when the engine stops the provider it kills the shell, and the python provider process lives on (it outlived
# `pulumi up` and `make sandbox`). With `exec` python is the process the engine started and stops.
set -euo pipefail
src=$1 dest=$2
sed -E 's/^([[:space:]]*)("[^"]*"[[:space:]]+-u[[:space:]]+-m[[:space:]]+pulumi\.dynamic)/\1exec \2/' "$src" >"$dest.new"
if ! grep -q 'exec .* -m pulumi.dynamic' "$dest.new"; then
	rm -f "$dest.new"
	echo "engine: $src starts no python this script knows how to exec; nothing was installed" >&2
	exit 1
fi
chmod 0755 "$dest.new"
mv "$dest.new" "$dest"
