#!/usr/bin/env bash
# The demo (README command 1): installs the local tools if needed, starts moto on a free
# loopback port, provisions the role, table, index and a Cognito pool with two tenants'
# users, and runs the orders handlers against it. Exits non-zero if isolation fails.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-tools.sh
tools="${TI_TOOLS_DIR:-$PWD/.tools}"
port=$("$tools/venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
work=$(mktemp -d)
"$tools/venv/bin/moto_server" -H 127.0.0.1 -p "$port" >"$work/moto.log" 2>&1 &
moto=$!
trap 'kill $moto 2>/dev/null || true; wait $moto 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 1 100); do
  if "$tools/venv/bin/python" -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/moto-api/')" 2>/dev/null; then break; fi
  sleep 0.2
done
"$tools/venv/bin/python" scripts/fixtures.py --endpoint "http://127.0.0.1:$port" >"$work/fixture.json"
cargo build --quiet -p orders-example --bin orders-demo
# Where cargo put it: CARGO_TARGET_DIR when set, as cargo itself does.
RUST_LOG="${RUST_LOG:-off}" "${CARGO_TARGET_DIR:-target}/debug/orders-demo" "$work/fixture.json"
