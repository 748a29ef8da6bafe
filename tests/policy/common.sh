# Sourced by lint.sh and actions.sh: `source common.sh <policies binary or "">`.
# Sets repo, bin (the `policies` binary: argument, else TI_POLICIES_BIN, else
# target/debug/policies), tools (TI_TOOLS_DIR, else .tools), python (the tools' venv), work
# (a scratch directory removed on exit), and the ok/fail/summary bookkeeping.
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
bin=$(realpath -m "${1:-${TI_POLICIES_BIN:-$repo/target/debug/policies}}")
tools=${TI_TOOLS_DIR:-$repo/.tools}
python=$tools/venv/bin/python
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

require() { # require <executable>...
  local tool
  for tool in "$@"; do
    [ -x "$tool" ] || { echo "error: $tool is missing (scripts/setup-tools.sh installs the tools; cargo builds the binary)" >&2; exit 1; }
  done
}
require "$python" "$bin"

passed=0
failed=0
ok() { # ok <what>
  echo "ok   $1"
  passed=$((passed + 1))
}
fail() { # fail <what> <details>
  echo "FAIL $1:"
  printf '%s\n' "$2" | sed 's/^/       /'
  failed=$((failed + 1))
}
summary() {
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
}
