#!/usr/bin/env bash
# Installs Schemathesis, pinned, into a venv under target/ (gitignored, and gone with
# `cargo clean`), and prints the path of its `st`. The API conformance test
# (tests/api_conformance.rs) finds it there, or at $TENPOINT_SCHEMATHESIS.
#
# Pinned: flags, checks and how cases are generated change between releases, and CI should
# send the same cases until someone moves the pin.
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION=4.32.5
VENV=target/schemathesis-venv
ST="$PWD/$VENV/bin/st"

if [ -x "$ST" ] && "$VENV/bin/python" -m pip show schemathesis 2>/dev/null | grep -qx "Version: $VERSION"; then
    echo "$ST"
    exit 0
fi
if ! python3 -m venv --clear "$VENV" >&2; then
    echo "schemathesis.sh: python3 -m venv failed (on Debian: apt-get install python3-venv)" >&2
    exit 1
fi
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "schemathesis==$VERSION" >&2
"$ST" --version >&2
echo "$ST"
