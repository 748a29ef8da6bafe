#!/usr/bin/env bash
# THE test command of tenant-isolation (CI runs it through .ci/run).
#
#   1. bash scripts/setup-tools.sh     (moto, parliament, policy_sentry, cfn-lint, iam-simulate into .tools/)
#   2. cargo fmt --all --check
#   3. module layers: python3 scripts/layers.py runtime/src (a runtime module imports only modules
#      above it or on its line in runtime/src/lib.rs's layer list, no cycle), and its unit tests
#   4. cargo test --workspace -- --show-output   (unit, integration against moto, doc and UI tests)
#   5. cargo clippy --workspace --all-targets -- -D warnings, and the runtime's lib alone
#   6. RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps
#   7. policy proofs (hook section below), the deployment templates linted with cfn-lint
#
# Setup failing stops the run at once; every later step runs even when an earlier one failed, so
# one run shows every problem. Exits non-zero when any step failed.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

command -v cargo >/dev/null || { echo "test.sh: cargo not found on PATH" >&2; exit 1; }

export TI_TOOLS_DIR="${TI_TOOLS_DIR:-$ROOT/.tools}"
# moto's logs (the testkit's `Moto`), kept with the build for a failed run's diagnosis.
export TENANT_TESTKIT_LOG_DIR="${TENANT_TESTKIT_LOG_DIR:-$ROOT/target/moto-logs}"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

RESULTS=()
FAILED=0
TOTAL_START=$SECONDS

# step NAME COMMAND...: runs one step, records ok/FAIL and its duration.
step() {
    local name=$1
    shift
    local t0=$SECONDS
    printf '\n==> %s\n' "$name"
    if "$@"; then
        RESULTS+=("ok    $name ($((SECONDS - t0)) s)")
    else
        RESULTS+=("FAIL  $name ($((SECONDS - t0)) s)")
        FAILED=$((FAILED + 1))
    fi
}

TEST_LOG="$(mktemp)"
trap 'rm -f "$TEST_LOG"' EXIT

run_cargo_test() {
    rm -rf "$ROOT/target/moto-logs"
    # --show-output: the stress and fault tests print the counts they prove.
    cargo test --workspace -- --show-output 2>&1 | tee "$TEST_LOG"
}

printf '==> setup tools (%s)\n' "$TI_TOOLS_DIR"
t0=$SECONDS
bash scripts/setup-tools.sh
RESULTS+=("ok    setup tools ($((SECONDS - t0)) s)")

step "cargo fmt --check" cargo fmt --all --check
# The runtime's module layers (well under a second, no build): the list in runtime/src/lib.rs
# is the one copy, and the check fails when a module is missing from it.
step "module layers" python3 scripts/layers.py runtime/src
step "module layers (unit tests)" env PYTHONDONTWRITEBYTECODE=1 python3 -m unittest discover -s scripts -p 'test_layers.py'
step "cargo test" run_cargo_test
step "cargo clippy -D warnings" cargo clippy --workspace --all-targets -- -D warnings
# The runtime as users get it: only its shipped features, none of the workspace's test ones.
step "cargo clippy (runtime as shipped)" cargo clippy -p tenant-isolation --lib -- -D warnings
step "cargo clippy (runtime, feature s3)" cargo clippy -p tenant-isolation --lib --features s3 -- -D warnings
step "cargo doc -D warnings" env RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps

# ==============================================================================================
# Policy proofs: iam-simulate over every rendered session policy (and its mutation self-test),
# parliament, the action table against the offline IAM reference (tests/policy/run.sh).
step "policy proofs" bash tests/policy/run.sh
# The deployment templates (`policies template`) of the binaries run.sh built, with cfn-lint
# (a few seconds: one cfn-lint run over the templates and a canary it must flag).
step "deployment templates (cfn-lint)" bash tests/policy/template.sh
# README command 1, as a new user runs it: the demo must hold too.
step "demo" bash scripts/demo.sh
# ==============================================================================================

# Sum of cargo's "test result:" lines (passed / failed / ignored).
read -r PASSED TFAILED IGNORED < <(awk '/^test result:/ {
        for (i = 1; i <= NF; i++) {
            if ($(i + 1) ~ /^passed/) p += $i
            if ($(i + 1) ~ /^failed/) f += $i
            if ($(i + 1) ~ /^ignored/) g += $i
        }
    } END { printf "%d %d %d\n", p, f, g }' "$TEST_LOG")

printf '\n==================== summary (%d s) ====================\n' "$((SECONDS - TOTAL_START))"
printf '%s\n' "${RESULTS[@]}"
if [[ $FAILED -gt 0 ]]; then
    printf 'RESULT: FAILED (%d step(s) failed)\n' "$FAILED"
else
    printf 'RESULT: all steps passed\n'
fi
printf 'tests: %d passed, %d failed, %d skipped\n' "$PASSED" "$TFAILED" "$IGNORED"
[[ $FAILED -eq 0 ]]
