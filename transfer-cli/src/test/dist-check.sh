#!/usr/bin/env bash
# Unpacks the command-line distribution and runs bin/transferkit --help and --version with only Java on the PATH
# (no Maven, no source tree); fails the build when either does not work.
set -euo pipefail
archive="$1"
dir="$2"
rm -rf "$dir"
mkdir -p "$dir"
tar -xzf "$archive" -C "$dir"
launcher="$(find "$dir" -path '*/bin/transferkit' -type f | head -1)"
java_bin="$(dirname "$(readlink -f "$(command -v java)")")"
cd "$dir"
help="$(env -i HOME="$dir" PATH="$java_bin:/usr/bin:/bin" "$launcher" --help)"
echo "$help" | grep -q "extract" || { echo "dist-check: 'bin/transferkit --help' did not list the commands:"; echo "$help"; exit 1; }
version="$(env -i HOME="$dir" PATH="$java_bin:/usr/bin:/bin" "$launcher" --version)"
echo "dist-check: $(basename "$archive") unpacked; bin/transferkit --help lists the commands; --version: $version"
