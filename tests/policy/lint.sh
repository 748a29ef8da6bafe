#!/usr/bin/env bash
# Lints every policy the `policies` binary emits with parliament (PyPI), and checks that the
# CloudFormation template declares exactly the policies that were linted and proven.
#
#   tests/policy/lint.sh [path/to/policies]     (default: target/debug/policies)
#
# Linted, with the community auditors and every severity down to INFO; any finding fails:
#   - the session policy of every handler for two tenants (`policies render`);
#   - the data-access role policy (`policies role`);
#   - the session-tag role policy, when the binary has session-tag handlers;
#   - the Lambda execution role policy, with one narrow, documented suppression (below).
# Not linted: the trust policies. parliament checks identity policies and cannot read a trust
# policy (it has no Resource; see the comment in parliament's statement.py); prove.mjs and
# prove_tags.mjs evaluate them with iam-simulate instead.
# A canary (a rendered policy with `dynamodb:Scan` added) must draw a finding, so that a
# broken parliament invocation cannot pass silently.
set -euo pipefail
source "$(dirname "$0")/common.sh" "${1:-}"
parliament=$tools/venv/bin/parliament
require "$parliament"
role=arn:aws:iam::123456789012:role/TenantData
lambda_role=arn:aws:iam::123456789012:role/orders-fn
region=us-east-1

# Declared table, bucket and shared queue names and KMS key ids, whatever the caller's environment binds.
unset_vars=$("$bin" list | "$python" -c '
import json, sys
handlers = json.load(sys.stdin)
names = {t["table_env"] for h in handlers for t in h["tables"]} | {b["bucket_env"] for h in handlers for b in h["buckets"]}
names |= {n.get("queue_env") for h in handlers for n in h["named"]} | {n.get("kms_key_env") for h in handlers for n in h["named"]}
print(" ".join(sorted(n for n in names if n)))')
policies() { env ${unset_vars:+$(printf -- '-u %s ' $unset_vars)} "$bin" "$@"; }

# One file per policy: <name>.json.
for tenant in acme globex; do
  policies render --tenant "$tenant" --role-arn "$role" --region "$region" >"$work/render-$tenant.out"
  "$python" - "$work/render-$tenant.out" "$work" "$tenant" <<'PY'
import json, sys
for p in json.load(open(sys.argv[1])):
    json.dump(p["policy"], open(f"{sys.argv[2]}/session {p['handler']} {sys.argv[3]}.json", "w"))
PY
done
policies role --role-arn "$role" --region "$region" --lambda-role-arn "$lambda_role" >"$work/role.out"
"$python" - "$work/role.out" "$work" <<'PY'
import json, sys
role = json.load(open(sys.argv[1]))
for key in ("data_access_role_policy", "execution_role_policy"):
    json.dump(role[key], open(f"{sys.argv[2]}/{key}.json", "w"))
if role["session_tag_role"]:
    json.dump(role["session_tag_role"]["role_policy"], open(f"{sys.argv[2]}/tag_role_policy.json", "w"))
PY

lint() { # lint <label> <file> [<issue> <actions as JSON>: the one finding to accept]
  local label=$1 file=$2 accept_issue=${3:-} accept_actions=${4:-null} out rc=0
  out=$("$parliament" --json --include-community-auditors --minimum_severity INFO <"$file" 2>&1) || rc=$?
  if [ "$rc" -le 1 ] && [ -n "$accept_issue" ]; then
    out=$("$python" -c '
import json, sys
issue, actions = sys.argv[1], json.loads(sys.argv[2])
for line in sys.stdin.read().splitlines():
    try:
        f = json.loads(line)
        if f["issue"] == issue and f["location"].get("actions") == actions:
            continue
    except (ValueError, KeyError, TypeError):
        pass
    print(line)
' "$accept_issue" "$accept_actions" <<<"$out")
  fi
  if [ "$rc" -le 1 ] && [ -z "$out" ]; then
    ok "$label: no findings${accept_issue:+ (accepted: $accept_issue on $accept_actions)}"
  else
    fail "$label" "${out:-parliament exited with status $rc}"
  fi
}

echo "parliament $("$parliament" --version 2>&1 | awk '{print $NF}') on the policies of $bin"
for file in "$work"/session*.json; do
  name=$(basename "$file" .json)
  lint "${name/session /session policy of }" "$file"
done
lint "data-access role policy" "$work/data_access_role_policy.json"
if [ -f "$work/tag_role_policy.json" ]; then
  lint "session-tag role policy" "$work/tag_role_policy.json"
fi
# The community auditor CREDENTIALS_EXPOSURE flags `sts:AssumeRole` because the call returns
# credentials. Returning credentials is that statement's whole purpose: the execution role
# obtains each tenant's narrowed credentials by assuming the data-access role, and the
# statement's Resource is that one role. Accepted only for this policy and only when the
# finding's action list is exactly `sts:AssumeRole`. (Filtered here, not with parliament's
# `ignore_locations` config: in parliament 1.6.4 that never matches, because its
# `make_list` returns [] for values read from YAML. A maintainer's comment on
# duo-labs/parliament#148 warns of problems with the config override, pointing to #147.)
lint "execution role policy" "$work/execution_role_policy.json" CREDENTIALS_EXPOSURE '["sts:assumerole"]'

# Canary: the linter must see a condition key on an action that does not carry it (added to
# the first statement with a LeadingKeys condition: a bucket's statements have none).
"$python" - "$work" <<'PY'
import glob, json, sys
statements = [s for f in sorted(glob.glob(f"{sys.argv[1]}/session *.json")) for s in [json.load(open(f))]
              for s in s["Statement"] if "dynamodb:LeadingKeys" in json.dumps(s.get("Condition", {}))]
policy = {"Version": "2012-10-17", "Statement": [statements[0]]}
policy["Statement"][0]["Action"].append("dynamodb:Scan")
json.dump(policy, open(f"{sys.argv[1]}/canary", "w"))
PY
if canary=$("$parliament" --json --minimum_severity INFO <"$work/canary" 2>&1) || ! grep -q UNKNOWN_CONDITION_FOR_ACTION <<<"$canary"; then
  fail "canary: parliament found nothing wrong with dynamodb:Scan under a dynamodb:LeadingKeys condition" "$canary"
else
  ok "canary: parliament flags dynamodb:LeadingKeys on dynamodb:Scan (UNKNOWN_CONDITION_FOR_ACTION)"
fi

# Customer-managed KMS keys (tests/policy/kms.mjs): when a session-policy handler declares one,
# its session policies and the data roles' policies linted above carry the key's statement (`kms:EncryptionContext:SecretARN`
# or `…:PARAMETER_ARN` under StringLike), and parliament found nothing in them, so it takes the
# condition key for the actions granted. A canary, that statement with the condition key
# misspelt (`kms:EncryptionContex:`), must draw a finding. parliament matches the documented
# `kms:EncryptionContext:${EncryptionContextKey}` by its prefix, so it cannot tell a wrong
# context key name after it (`…:SecretArn`, `…:PARAMETER_ARN` on a secret's key): the unit tests
# in core/src/named/tests.rs hold the names, and iam-simulate cannot read them either.
declared_keys=$("$bin" list | "$python" -c '
import json, sys
print(sum(1 for h in json.load(sys.stdin) if not h["session_tag"] for n in h["named"] if n.get("kms_key") or n.get("kms_key_env")))')
if [ "$declared_keys" -gt 0 ]; then
  if ! out=$("$python" - "$work" <<'PY' 2>&1
import glob, json, sys
statements = [s for f in sorted(glob.glob(f"{sys.argv[1]}/*.json")) for s in json.load(open(f))["Statement"]
              if any(k.startswith("kms:EncryptionContext:") for c in s.get("Condition", {}).values() for k in c)]
if not statements:
    sys.exit("no linted policy carries a statement under kms:EncryptionContext:…")
canary = json.loads(json.dumps(statements[0]).replace("kms:EncryptionContext:", "kms:EncryptionContex:"))
json.dump({"Version": "2012-10-17", "Statement": [canary]}, open(f"{sys.argv[1]}/kms-canary", "w"))
print(len(statements))
PY
  ); then
    fail "KMS: $declared_keys declaration(s) with a key, and" "$out"
  else
    ok "KMS: $out statement(s) on a customer-managed key under kms:EncryptionContext:… linted (session and role policies), no finding"
    if canary=$("$parliament" --json --minimum_severity INFO <"$work/kms-canary" 2>&1) || ! grep -q UNKNOWN_CONDITION_FOR_ACTION <<<"$canary"; then
      fail "canary: parliament found nothing wrong with a misspelt kms:EncryptionContex: condition key" "$canary"
    else
      ok "canary: parliament flags a misspelt kms:EncryptionContex: condition key (UNKNOWN_CONDITION_FOR_ACTION)"
    fi
  fi
fi

# The CloudFormation template (JSON), with its intrinsic functions resolved as CloudFormation
# resolves them, must declare the same trust policy and data-access role policy.
policies role --lambda-role-arn "$lambda_role" --cloudformation >"$work/role.template.json"
if out=$("$python" - "$work/role.template.json" "$work/role.out" "$region" <<'PY' 2>&1
import json, re, sys

template, expected, region = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), sys.argv[3]
arn = expected["execution_role_policy"]["Statement"][0]["Resource"]
partition, account = arn.split(":")[1], arn.split(":")[4]
values = {"AWS::Partition": partition, "AWS::Region": region, "AWS::AccountId": account}
values.update({k: v.get("Default") for k, v in template["Parameters"].items()})

def resolve(v):
    if isinstance(v, dict):
        if len(v) == 1 and next(iter(v)) in ("Ref", "Fn::Sub", "Fn::GetAtt"):
            fn, arg = next(iter(v.items()))
            if fn == "Ref":
                return values[arg]
            if fn == "Fn::Sub" and isinstance(arg, str):
                return re.sub(r"\$\{([^}]+)\}", lambda m: values[m.group(1)], arg)
            raise ValueError(f"unexpected {fn} {arg!r}")
        return {k: resolve(x) for k, x in v.items()}
    if isinstance(v, list):
        return [resolve(x) for x in v]
    return v

errors = []
if template.get("AWSTemplateFormatVersion") != "2010-09-09":
    errors.append("not a CloudFormation template: no AWSTemplateFormatVersion 2010-09-09")
role = template["Resources"]["TenantDataRole"]
if role["Type"] != "AWS::IAM::Role":
    errors.append(f"TenantDataRole is a {role['Type']}")
props = resolve(role["Properties"])
if props["AssumeRolePolicyDocument"] != expected["trust_policy"]:
    errors.append(f"trust policy differs:\n{json.dumps(props['AssumeRolePolicyDocument'])}\n{json.dumps(expected['trust_policy'])}")
documents = [p["PolicyDocument"] for p in props["Policies"]]
if documents != [expected["data_access_role_policy"]]:
    errors.append(f"role policy differs:\n{json.dumps(documents)}\n{json.dumps(expected['data_access_role_policy'])}")
if template["Outputs"]["TenantRoleArn"]["Value"] != {"Fn::GetAtt": ["TenantDataRole", "Arn"]}:
    errors.append(f"output TenantRoleArn: {json.dumps(template['Outputs']['TenantRoleArn'])}")
print("\n".join(errors))
sys.exit(1 if errors else 0)
PY
); then
  ok "CloudFormation template: same trust policy and data-access role policy as linted and proven"
else
  fail "CloudFormation template" "$out"
fi

summary
