#!/usr/bin/env bash
# Lints the deployment templates `policies template` writes with cfn-lint (PyPI; it validates
# SAM resources against SAM's schema and finds dependency cycles), from binaries already built:
#
#   tests/policy/template.sh [path/to/policies] [path/to/fixture-policies]
#       (default: target/debug/policies and target/debug/fixture-policies, built when missing
#        with the command tests/policy/run.sh uses, so nothing is built with other features)
#
#   - the orders example as one application: the functions of examples/orders/template.args
#     (the template docs/DEPLOYING.md deploys and tests/it/template.rs reads);
#   - the fixture's handlers behind every source (REST API, HTTP API, SQS, a DynamoDB stream)
#     with session-policy and session-tag handlers, so both data roles are linted, their secrets,
#     parameters and queues included;
#   - each template's data-access role policy is the one `policies role --cloudformation` writes
#     (which lint.sh holds to the policy proven with iam-simulate and linted with parliament);
#   - each data role's trust, with iam-simulate (prove_template.mjs): exactly the execution roles
#     of the functions that need it, nobody else, and its mutant without the condition caught;
#   - a canary: the orders template with the data role trusting an execution role by reference
#     (the role-to-role cycle the template avoids) must draw cfn-lint's E3004, so that a broken
#     cfn-lint invocation cannot pass silently.
set -euo pipefail
source "$(dirname "$0")/common.sh" "${1:-}"
fixture=$(realpath -m "${2:-$repo/target/debug/fixture-policies}")
if [ ! -x "$bin" ] || [ ! -x "$fixture" ]; then
  (cd "$repo" && cargo build --quiet -p orders-example --bin policies -p policy-fixture --bin fixture-policies)
fi
cfn_lint=$tools/venv/bin/cfn-lint
require "$cfn_lint" "$fixture"

# Declared table, bucket and shared queue names and KMS key ids, whatever the caller's environment binds (as lint.sh).
run() { # run <binary> <args...>
  local binary=$1 unset_vars
  shift
  unset_vars=$("$binary" list | "$python" -c '
import json, sys
handlers = json.load(sys.stdin)
names = {t["table_env"] for h in handlers for t in h["tables"]} | {b["bucket_env"] for h in handlers for b in h["buckets"]}
names |= {n.get("queue_env") for h in handlers for n in h["named"]} | {n.get("kms_key_env") for h in handlers for n in h["named"]}
print(" ".join(sorted(n for n in names if n)))')
  env ${unset_vars:+$(printf -- '-u %s ' $unset_vars)} "$binary" "$@"
}

mapfile -t orders_args < <(grep -Ev '^[[:space:]]*(#|$)' "$repo/examples/orders/template.args")
run "$bin" template "${orders_args[@]}" >"$work/orders.json"
run "$fixture" template \
  --function='invoices=rest-api:invoices::*' \
  --function='multi=http-api@ANY/multi/{proxy+}:multi::*' \
  --function='named=http-api@ANY/named/{proxy+}:named::*' \
  --function='orders=sqs:orders::*' \
  --function='tagged=dynamodb-stream@FIXTURE_INVOICES_TABLE:tagged::*' >"$work/fixture.json"
run "$bin" role --cloudformation >"$work/orders-role.json"
run "$fixture" role --cloudformation >"$work/fixture-role.json"

"$python" - "$work" <<'PY'
import json, sys
work = sys.argv[1]
t = json.load(open(f"{work}/orders.json"))
# The cycle the template avoids: the data role naming an execution role, which names the data role.
t["Resources"]["TenantDataRole"]["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] = {
    "AWS": {"Fn::GetAtt": ["GetOrderExecutionRole", "Arn"]}}
json.dump(t, open(f"{work}/canary.json", "w"))
PY

# One cfn-lint run over the three templates (its start-up is most of its time).
set +e
findings=$(cd "$work" && "$cfn_lint" --format parseable orders.json fixture.json canary.json 2>&1)
set -e
for template in orders fixture; do
  if mine=$(grep -E "^$template\.json:" <<<"$findings"); then
    fail "cfn-lint: the $template template" "$mine"
  else
    ok "cfn-lint: the $template template, no finding"
  fi
done
if grep -qE '^canary\.json:.*:E3004:' <<<"$findings"; then
  ok "canary: cfn-lint flags the role-to-role cycle (E3004)"
else
  fail "canary: cfn-lint found no cycle in a template with one" "$findings"
fi

for template in orders fixture; do
  if out=$("$python" - "$work/$template.json" "$work/$template-role.json" <<'PY' 2>&1
import json, sys
app, role = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
policy = lambda t: t["Resources"]["TenantDataRole"]["Properties"]["Policies"][0]["PolicyDocument"]
if policy(app) != policy(role):
    print(f"the template's data-access role policy:\n{json.dumps(policy(app))}\n`policies role --cloudformation`:\n{json.dumps(policy(role))}")
    sys.exit(1)
PY
  ); then
    ok "the $template template's data-access role policy is the one policies role writes"
  else
    fail "the $template template's data-access role policy" "$out"
  fi
done

for template in orders fixture; do
  if out=$(node "$repo/tests/policy/prove_template.mjs" "$work/$template.json" --mutants 2>&1); then
    sed 's/^/     /' <<<"$out"
    ok "the $template template's data roles trust exactly its functions' execution roles (iam-simulate)"
  else
    fail "the $template template's trust (iam-simulate)" "$out"
  fi
done

summary
