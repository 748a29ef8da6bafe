// Proves a session-tag (ABAC) role policy with @cloud-copilot/iam-simulate: the tenant is
// the principal tag `aws:PrincipalTag/<tag>`, read by the policy as `${aws:PrincipalTag/<tag>}`.
//
// Input on stdin (written by tests/it/tags.rs):
//   {"policy": <role policy JSON>, "tag": "tenant", "actions": ["GetItem", ...],
//    "table_arn": "arn:aws:dynamodb:...:table/Orders", "index_arns": [...]}
//
// For tenants acme and globex: own keys with the own tag → Allowed; another tenant's keys,
// prefix collisions and mixed batches → Denied; no tag → Denied; no LeadingKeys and an empty
// LeadingKeys set → Denied; undeclared actions and resources → Denied. Prints one line per failure
// and ends with `N passed, M failed`; exits non-zero on any failure.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const toolsNode = join(process.env.TI_TOOLS_DIR ? resolve(process.env.TI_TOOLS_DIR) : join(repo, '.tools'), 'node');
const simulate = createRequire(join(toolsNode, 'resolve.js'))('@cloud-copilot/iam-simulate');

const input = JSON.parse(readFileSync(0, 'utf8'));
const { policy, tag, actions, table_arn: tableArn, index_arns: indexArns = [] } = input;
const ACCOUNT = tableArn.split(':')[4];
const ALL = ['BatchGetItem', 'BatchWriteItem', 'ConditionCheckItem', 'DeleteItem', 'GetItem', 'PartiQLDelete',
  'PartiQLInsert', 'PartiQLSelect', 'PartiQLUpdate', 'PutItem', 'Query', 'UpdateItem', 'Scan', 'DescribeTable',
  'DeleteTable'];

async function decide({ action, resource, keys, tenantTag }) {
  const contextVariables = {};
  if (keys) contextVariables['dynamodb:LeadingKeys'] = keys;
  if (tenantTag !== undefined) contextVariables[`aws:PrincipalTag/${tag}`] = tenantTag;
  const response = await simulate.runSimulation({
    request: {
      principal: `arn:aws:sts::${ACCOUNT}:assumed-role/TenantDataTagged/tenant-${tenantTag ?? 'untagged'}`,
      action: `dynamodb:${action}`,
      resource: { resource, accountId: ACCOUNT },
      contextVariables,
    },
    identityPolicies: [{ name: 'tag-role', policy }],
    serviceControlPolicies: [],
    resourceControlPolicies: [],
  }, {});
  if (response.resultType === 'error') return `Error ${JSON.stringify(response.errors)}`;
  return response.overallResult === 'Allowed' ? 'Allowed' : 'Denied';
}

const scenarios = [];
for (const [own, other] of [['acme', 'globex'], ['globex', 'acme']]) {
  for (const action of actions) {
    const base = { action, resource: tableArn, tenantTag: own };
    scenarios.push({ ...base, keys: [`TENANT#${own}`], expect: 'Allowed', why: 'own partition' });
    scenarios.push({ ...base, keys: [`TENANT#${own}#ORDER#1`], expect: 'Allowed', why: 'own composite key' });
    scenarios.push({ ...base, keys: [`TENANT#${other}`], expect: 'Denied', why: 'other tenant' });
    scenarios.push({ ...base, keys: [`TENANT#${own}x`], expect: 'Denied', why: 'prefix collision' });
    scenarios.push({ ...base, keys: [`TENANT#${own}-corp#1`], expect: 'Denied', why: 'prefix collision (composite)' });
    scenarios.push({ ...base, keys: [`TENANT#${own}`, `TENANT#${other}`], expect: 'Denied', why: 'mixed batch' });
    scenarios.push({ ...base, keys: undefined, expect: 'Denied', why: 'no LeadingKeys' });
    scenarios.push({ ...base, keys: [], expect: 'Denied', why: 'empty LeadingKeys' });
    scenarios.push({ ...base, keys: [`TENANT#${own}`], tenantTag: undefined, expect: 'Denied', why: 'no tenant tag' });
    scenarios.push({ ...base, keys: [`TENANT#${other}`], tenantTag: other, expect: 'Allowed', why: 'the tag decides' });
    scenarios.push({ ...base, resource: tableArn.replace(/table\/[^/]+$/, 'table/Invoices'), keys: [`TENANT#${own}`], expect: 'Denied', why: 'other table' });
  }
  for (const action of ALL.filter((a) => !actions.includes(a))) {
    scenarios.push({ action, resource: tableArn, tenantTag: own, keys: [`TENANT#${own}`], expect: 'Denied', why: 'undeclared action' });
  }
  for (const arn of indexArns) {
    scenarios.push({ action: 'Query', resource: arn, tenantTag: own, keys: [`TENANT#${own}`], expect: actions.includes('Query') ? 'Allowed' : 'Denied', why: 'declared index' });
    scenarios.push({ action: 'Query', resource: arn, tenantTag: own, keys: [`TENANT#${other}`], expect: 'Denied', why: 'declared index, other tenant' });
  }
  scenarios.push({ action: 'Query', resource: `${tableArn}/index/Undeclared`, tenantTag: own, keys: [`TENANT#${own}`], expect: 'Denied', why: 'undeclared index' });
}

let passed = 0;
let failed = 0;
for (const s of scenarios) {
  const got = await decide(s);
  if (got === s.expect) passed += 1;
  else {
    failed += 1;
    console.log(`FAIL ${s.why}: dynamodb:${s.action} on ${s.resource} tag=${s.tenantTag} keys=${JSON.stringify(s.keys)}: expected ${s.expect}, got ${got}`);
  }
}
console.log(`session-tag role policy (tag \`${tag}\`, ${actions.join(', ')}): ${scenarios.length} scenarios`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
