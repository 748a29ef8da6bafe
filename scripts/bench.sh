#!/usr/bin/env bash
# Every benchmark of tenant-isolation, in one run, with the figures at the end. NOT part of the
# test command (scripts/test.sh, .ci/run): timings on a shared machine are no pass/fail gate.
#
#   1. bash scripts/setup-tools.sh                     (moto into .tools/)
#   2. criterion, short measurement (CRITERION_ARGS):
#        tenant-isolation        --bench policy     policy rendering, tenant-id validation
#        tenant-isolation-tests  --bench warm_path  verify + cache hit + scope + client, HS256/RS256
#        tenant-isolation-tests  --bench cache      cache lookups from 1 and 2 tasks at once
#   3. tenant-isolation-tests --bench load         get_order isolated vs not, against moto; cold burst
#                                                  (32 in flight; 1 in flight: unloaded latency; 1 in
#                                                  flight with a baseline that signs with STS credentials
#                                                  too: the attribution run)
#   4. tenant-isolation-tests --bench memory       bytes per cached session, capacity bound
#   5. scripts/compile-cost.sh                     50 handlers with and without the attribute
#   6. tenant-isolation-tests --bench coldstart    the release bootstrap binaries `get-order` and
#                                                  `bare-get-order` under a local Runtime API stand-in:
#                                                  init, first and second invocation, stripped sizes
#   7. tenant-isolation-tests --bench fleet        the fleet simulator (tests/src/fleet.rs) at 1M req/s,
#                                                  100k tenants, 2,000 environments; and its validation
#                                                  against 8 real Isolations (tests/it/fleet.rs)
#   8. tenant-isolation-tests --bench records      a warm 10-record SQS batch over 5 tenants through a
#                                                  record handler vs the same puts on one client
#
# Each benchmark compares against its own floor measured in the same run (the machine is noisy:
# compare ratios, not absolute numbers across runs). Exits non-zero if a step failed or missed its
# target; every step runs regardless. The first run builds the release profile (several minutes).
#
# Usage: bash scripts/bench.sh          MAX_RATIO=1.05 (load bench), CRITERION_ARGS to override
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export TI_TOOLS_DIR="${TI_TOOLS_DIR:-$ROOT/.tools}"
export CARGO_TERM_COLOR=never
CRITERION_ARGS="${CRITERION_ARGS:---warm-up-time 1 --measurement-time 2 --sample-size 30 --noplot}"
MAX_RATIO="${MAX_RATIO:-1.05}"
# The build's target directory (CARGO_TARGET_DIR when set, as cargo itself does).
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
LOG_DIR="$TARGET_DIR/bench-logs"
rm -rf "$LOG_DIR" "$TARGET_DIR/criterion"
mkdir -p "$LOG_DIR"

RESULTS=()
FAILED=0
START=$SECONDS
step() { # step NAME LOG COMMAND...
    local name=$1 log=$2
    shift 2
    local t0=$SECONDS
    printf '\n==> %s\n' "$name"
    if "$@" 2>&1 | tee "$LOG_DIR/$log"; then
        RESULTS+=("ok    $name ($((SECONDS - t0)) s)")
    else
        RESULTS+=("FAIL  $name ($((SECONDS - t0)) s)")
        FAILED=$((FAILED + 1))
    fi
}

echo "==> machine"
{
    echo "nproc: $(nproc)"
    grep -m1 'model name' /proc/cpuinfo
    free -h | head -2
    rustc --version
} | tee "$LOG_DIR/machine.txt"

step "setup tools" setup.log bash scripts/setup-tools.sh
build_benches() {
    cargo bench --no-run -p tenant-isolation --bench policy &&
        cargo bench --no-run -p tenant-isolation-tests --bench warm_path --bench cache --bench load --bench memory \
            --bench coldstart --bench fleet --bench records &&
        # What `coldstart` runs, built as a user's release build of the example (its own features).
        cargo build --release -p orders-example --bin get-order --bin bare-get-order &&
        cargo test --no-run -p tenant-isolation-tests --test it
}
step "build benches (release)" build.log build_benches
# shellcheck disable=SC2086  # CRITERION_ARGS is a list of flags
step "criterion: policy" policy.log cargo bench -q -p tenant-isolation --bench policy -- $CRITERION_ARGS
# shellcheck disable=SC2086
step "criterion: warm_path" warm_path.log cargo bench -q -p tenant-isolation-tests --bench warm_path -- $CRITERION_ARGS
# shellcheck disable=SC2086
step "criterion: cache" cache.log cargo bench -q -p tenant-isolation-tests --bench cache -- $CRITERION_ARGS
step "load" load.log cargo bench -q -p tenant-isolation-tests --bench load -- --max-ratio "$MAX_RATIO"
step "load, 1 in flight" load1.log cargo bench -q -p tenant-isolation-tests --bench load -- \
    --max-ratio "$MAX_RATIO" --concurrency 1 --requests 2000 --batch 100 --burst 0
step "load, 1 in flight, attribution" load1a.log cargo bench -q -p tenant-isolation-tests --bench load -- \
    --max-ratio "$MAX_RATIO" --concurrency 1 --requests 2000 --batch 100 --burst 0 \
    --baseline-sts-credentials
step "memory" memory.log cargo bench -q -p tenant-isolation-tests --bench memory
step "compile cost" compile-cost.log bash scripts/compile-cost.sh
step "cold start" coldstart.log cargo bench -q -p tenant-isolation-tests --bench coldstart
step "fleet simulation" fleet.log cargo bench -q -p tenant-isolation-tests --bench fleet
step "fleet validation (8 real Isolations on moto)" fleet-validation.log \
    cargo test -q -p tenant-isolation-tests --test it fleet:: -- --nocapture
step "records (batch vs one client)" records.log cargo bench -q -p tenant-isolation-tests --bench records

printf '\n==================== figures ====================\n'
cat "$LOG_DIR/machine.txt"
echo
echo "criterion medians (ratio = median / the floor of its group, same run):"
python3 - "$TARGET_DIR/criterion" <<'EOF'
import json, pathlib, sys
root = pathlib.Path(sys.argv[1])
groups = {}
for bench in sorted(root.glob("**/new/benchmark.json")):
    meta = json.loads(bench.read_text())
    est = json.loads((bench.parent / "estimates.json").read_text())
    name = meta["function_id"] + (f" [{meta['value_str']}]" if meta.get("value_str") else "")
    groups.setdefault(meta["group_id"], []).append((name, meta.get("value_str"), est["median"]["point_estimate"]))
def fmt(ns):
    return f"{ns / 1000:9.3f} µs" if ns >= 1000 else f"{ns:9.1f} ns"
for group, rows in groups.items():
    print(f"  {group}")
    contention = group.startswith("cache_lookup")  # floor: the 1-task figure
    floors = {v: ns for (n, v, ns) in rows if n.startswith("floor")}
    single = next((ns for (n, v, ns) in rows if v == "1"), None)
    for name, value, ns in rows:
        is_floor = (value == "1") if contention else name.startswith("floor")
        floor = single if contention else floors.get(value, next(iter(floors.values()), None))
        ratio = f"  x{ns / floor:5.2f}" if floor and not is_floor else ""
        target = ""
        if group in ("policy_render", "tenant_id") and not is_floor:
            target = "  (target < 1 µs: " + ("PASS)" if ns < 1000 else "FAIL)")
        print(f"    {name:<58} {fmt(ns)}{ratio}{target}")
EOF
echo
grep -E 'paired' "$LOG_DIR/warm_path.log" || true
if grep -qE 'paired ratio .*FAIL' "$LOG_DIR/warm_path.log"; then
    RESULTS+=("FAIL  warm path target (paired ratio > 1.2)")
    FAILED=$((FAILED + 1))
fi
echo
for log in load load1 load1a; do
    grep -E '^(==|STS calls|median ratio|burst STS|isolated|baseline|load:)' "$LOG_DIR/$log.log" || true
    echo
done
echo
grep -E '^(memory|synthetic|stand-in|bound|sts|clients)' "$LOG_DIR/memory.log" || true
echo
grep -E '^compile-cost:   ' "$LOG_DIR/compile-cost.log" || true
echo
grep -vE '^(Finished|Running|error:|Caused by|  process didn)' "$LOG_DIR/coldstart.log" || true
echo
grep -vE '^(Finished|Running)' "$LOG_DIR/fleet.log" || true
echo
grep -E '^fleet validation' "$LOG_DIR/fleet-validation.log" || true
echo
grep -E '^records:' "$LOG_DIR/records.log" || true

printf '\n==================== summary (%d s) ====================\n' "$((SECONDS - START))"
printf '%s\n' "${RESULTS[@]}"
[[ $FAILED -eq 0 ]] && echo "bench: all steps passed their targets" || echo "bench: $FAILED step(s) failed or missed a target"
[[ $FAILED -eq 0 ]]
