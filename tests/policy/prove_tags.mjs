// Proves a session-tag (ABAC) role policy with @cloud-copilot/iam-simulate: the tenant is
// the principal tag `aws:PrincipalTag/<tag>`, read by the policy as `${aws:PrincipalTag/<tag>}`.
// Sessions of this role carry no session policy, so this policy alone isolates them.
//
//   node tests/policy/prove_tags.mjs --policies BIN [--mutants] [--verbose]
//   node tests/policy/prove_tags.mjs [--mutants] < input.json
//
// With --policies, the role is the `session_tag_role` of `BIN role` and the tables and buckets
// are the declarations of BIN's session-tag handlers (`BIN list`); tests/policy/run.sh runs it
// over `fixture-policies`. Without it, the input on stdin (written by tests/it/tags.rs) is one
// table:
//   {"policy": <role policy JSON>, "tag": "tenant", "actions": ["GetItem", ...],
//    "table_arn": "arn:aws:dynamodb:us-east-1:123456789012:table/Orders", "index_arns": [...],
//    "key_prefix": "TENANT#" (optional)}
//
// For tenants acme and globex, each with its own tag, on every table (scenario groups as in
// prove.mjs, see common.mjs `scenarios`): own keys → Allowed; another tenant's keys, prefix
// collisions (`acmex`, `acme-2`), case, another table's prefix and mixed batches → Denied
// (`foreign`); no LeadingKeys (`no-key`) and an empty LeadingKeys set (`empty-key`) → Denied;
// own keys without the tag (`no-tag`) → Denied; every action IAM knows that the tables'
// handlers did not declare, undeclared indexes (`grant`) and look-alike tables (`table`) →
// Denied; actions declared on one table used on the other (`cross`, `cross-key`) → Denied.
// On every bucket, with `${aws:PrincipalTag/<tag>}` in the object ARN and in `s3:prefix`
// (common.mjs `bucketScenarios`): own objects and own list prefixes → Allowed; other tenants'
// folders, `acme-2/`, `acme` without `/`, a listing without or with `""` or the bare prefix
// as `s3:prefix`, undeclared S3 actions, other buckets → Denied; own objects and own prefix
// without the tag (`no-tag`) → Denied. On every secrets, parameters or queue rule, with the tag
// in the ARN (named.mjs `namedScenarios`): own names (and own paths by path) → Allowed; other
// tenants', `acme-2`, the folder without its `/`, names outside the prefix, wildcard queries
// over other tenants' names, undeclared actions of the service, other accounts and regions →
// Denied; own names without the tag (`no-tag`) → Denied. A tenant's own queue cannot be proven
// here (a tag in a queue ARN, refused below); a shared queue can (its ARN has no tag): SendMessage
// on it → Allowed for every tenant and without the tag (the queue guard confines it, not IAM),
// everything else as in prove.mjs → Denied. On every customer-managed KMS key of those
// declarations (kms.mjs), the tag in the encryption context's patterns: the same cases as in
// prove.mjs (nothing on the key without the condition, only the needed actions, only that key),
// and the own context without the tag (`no-tag`) → Denied by the condition; the context itself
// is beyond iam-simulate (kms.mjs says why). With --policies also the trust policy: the Lambda execution role may assume the role
// with tags, nobody else may. --mutants breaks the policy (common.mjs `MUTANTS`, with the tag
// and named.mjs `namedMutants`, with the tag as the tenant, and kms.mjs `kmsMutants`) and every
// mutant must be caught (the KMS context's mutants: counted apart, beyond iam-simulate). Prints failures and ends with the counts and
// `N passed, M failed`; exits non-zero on any failure.

import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  ACCOUNT,
  bucketLookalikes,
  bucketScenarios,
  describeBucket,
  focus,
  tenantObjects,
  unionByBucket,
  LAMBDA_ROLE_ARN,
  REGION,
  ROLE_ARN,
  TENANTS,
  caseSummary,
  checkAlone,
  checkPreconditions,
  counts,
  declaredNames,
  describe,
  describeSpec,
  explain,
  fail,
  findProblems,
  MUTANTS,
  mutantSummary,
  lookalikes,
  policies,
  report,
  runMutants,
  scenarios,
  simulate,
  tableArn,
  tenantKeys,
  tools,
  unionByTable,
} from './common.mjs';
import { describeNamed, isShared, namedMutants, namedPreconditions, namedScenarios, tenantNames, unionByName } from './named.mjs';
import { declaredKeys, describeKms, keysOf, kmsMutants, kmsPreconditions, kmsScenarios, unionKms } from './kms.mjs';

const args = process.argv.slice(2);
const option = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
for (const [i, a] of args.entries()) {
  if (!['--policies', '--mutants', '--verbose'].includes(a) && args[i - 1] !== '--policies') {
    console.error(`error: unexpected argument \`${a}\`\nusage: prove_tags.mjs [--policies PATH] [--mutants] [--verbose] [< input.json]`);
    process.exit(2);
  }
}
const mutants = args.includes('--mutants');
const verbose = args.includes('--verbose');
const TAG_ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/TenantDataTagged`;

// ---------------------------------------------------------------------------------------
// The role policy and the tables it must confine.

let policy, tag, specs, bucketSpecs, namedSpecs, kmsSpecs, otherKeys, trustPolicy, source;
if (option('--policies')) {
  const bin = resolve(option('--policies'));
  const tagged = policies(bin, ['list']).filter((h) => h.session_tag);

  if (tagged.length === 0) fail(`\`${bin} list\` has no session-tag handlers`);
  const all = policies(bin, ['list']);
  checkPreconditions(tagged, [
    ...namedPreconditions(tagged),
    ...kmsPreconditions(tagged),
    // iam-simulate 0.1.173 splits a policy's queue ARN at the `:` inside the variable
    // (`…:jobs-${aws:PrincipalTag/tenant}`: "Product does not match") and so never matches it:
    // it cannot prove a tag role's statements on a tenant's own queue, and a proof that cannot
    // allow the tenant's own queue proves nothing about another's. A shared queue's ARN has no
    // variable (`…:order-events`): it is proven like any other.
    ...tagged.flatMap((h) =>
      h.named
        .filter((n) => n.service === 'sqs' && !isShared(n))
        .map((n) => [false, `${h.handler}: \`${n.name}\` is a tenant's queue in session-tag mode, which iam-simulate cannot evaluate (a principal tag in a queue ARN)`]),
    ),
  ]);
  const role = policies(bin, ['role', '--role-arn', ROLE_ARN, '--region', REGION, '--lambda-role-arn', LAMBDA_ROLE_ARN], declaredNames(tagged));
  if (!role.session_tag_role) fail(`\`${bin} role\` prints no session_tag_role`);
  ({ tag, role_policy: policy, trust_policy: trustPolicy } = role.session_tag_role);
  specs = unionByTable(tagged);
  bucketSpecs = unionByBucket(tagged);
  namedSpecs = unionByName(tagged);
  kmsSpecs = unionKms(tagged);
  // The binary's keys the tag role does not name (the session-policy handlers' own).
  otherKeys = declaredKeys(all).filter((k) => !keysOf(kmsSpecs).includes(k));
  source = `${tagged.length} session-tag handler(s) from ${bin}`;
} else {
  const input = JSON.parse(readFileSync(0, 'utf8'));
  ({ policy, tag } = input);
  const table = input.table_arn.split(':table/')[1];
  if (input.table_arn !== tableArn(table)) fail(`table_arn must be ${tableArn(table)} (account ${ACCOUNT}, region ${REGION})`);
  const indexes = (input.index_arns ?? []).map((arn) => {
    if (!arn.startsWith(`${input.table_arn}/index/`)) fail(`index ARN ${arn} is not an index of ${input.table_arn}`);
    return arn.split('/index/')[1];
  });
  const handler = { handler: 'input', tables: [{ table, key_prefix: input.key_prefix ?? 'TENANT#', actions: input.actions, indexes }], buckets: [] };
  checkPreconditions([handler]);
  specs = unionByTable([handler]);
  bucketSpecs = [];
  namedSpecs = [];
  kmsSpecs = [];
  otherKeys = [];
  source = 'stdin';
}
const token = `\${aws:PrincipalTag/${tag}}`;
const prefixes = [...new Set(specs.map((s) => s.key_prefix))];
const indexNames = [...new Set(specs.flatMap((s) => Object.keys(s.indexes)))].sort();
const objectPrefixes = [...new Set(bucketSpecs.map((s) => s.prefix))];

// The scenarios of one tenant on one table, and the same own keys without the tag. The
// role's other tables are siblings: one policy, each table with its own actions and prefix.
function tenantScenarios(spec, tenant) {
  const keys = tenantKeys(spec.key_prefix, tenant, prefixes);
  const list = scenarios(spec, keys, { indexNames, elsewhere: lookalikes, siblings: specs.filter((s) => s !== spec) });
  const untagged = list
    .filter((s) => s.group === 'own' && s.keys === keys.own[0])
    .map((s) => ({ ...s, group: 'no-tag', expect: 'Denied', by: 'condition', untagged: true }));
  return [...list, ...untagged];
}
// The same on one bucket. Without the tag, `${aws:PrincipalTag/<tag>}` has no value ("If AWS
// cannot resolve a variable this might cause the entire statement to be invalid", IAM User
// Guide, "IAM policy elements: Variables and tags"): own objects and own list prefixes must be
// refused. Which layer refuses an object is left open (iam-simulate: the resource does not
// match); a listing is refused by its condition.
function tenantBucketScenarios(spec, tenant) {
  const withKeys = (s) => ({ spec: s, keys: tenantObjects(s.prefix, tenant, objectPrefixes) });
  const own = withKeys(spec);
  const list = bucketScenarios(spec, own.keys, { elsewhere: bucketLookalikes, siblings: bucketSpecs.filter((s) => s !== spec).map(withKeys) });
  const untagged = list
    .filter((s) => (s.group === 'own' && s.resource.endsWith(`/${own.keys.own[0]}`)) || (s.group === 'list' && s.prefix === own.keys.listOwn[0]))
    .map((s) => ({ ...s, group: 'no-tag', expect: 'Denied', by: s.group === 'list' ? 'condition' : undefined, untagged: true }));
  return [...list, ...untagged];
}
// The same for one name rule: the tag in the ARN; without the tag, the tenant's own names are
// refused (the variable has no value, so the resource matches nothing). No wildcard queries:
// iam-simulate compares a query with the policy's patterns as written, without resolving
// `${aws:PrincipalTag/…}` (the query for the tenant's own folder is Denied under this role while
// every name in it is Allowed), so a query says nothing about this policy.
//
// A shared queue's ARN has no tag in it: its queries are kept, and a session without the tag
// may send to it as a tagged one may (`no-tag` → Allowed). That is the queue's documented limit,
// not a hole: IAM cannot confine a shared queue per tenant whatever the session carries, and the
// runtime's queue guard is what stamps and checks each message's tenant (named.mjs
// `sharedNames`; SECURITY.md, "A shared queue: who can write a message's tenant").
function tenantNamedScenarios(spec, tenant) {
  const withNames = (s) => ({ spec: s, names: tenantNames(s, tenant, namePrefixes(s.service), queues) });
  const own = withNames(spec);
  if (!isShared(spec)) {
    own.names.ownQueries = [];
    own.names.foreignQueries = [];
  }
  const list = namedScenarios(spec, own.names, { siblings: namedSpecs.filter((s) => s !== spec).map(withNames) });
  const untagged = list
    .filter((s) => s.group === 'own')
    .map((s) => ({ ...s, group: 'no-tag', ...(isShared(spec) ? { expect: 'Allowed', by: undefined } : { expect: 'Denied', by: 'grant' }), untagged: true }));
  return [...list, ...untagged];
}
// The same for one KMS spec (kms.mjs): the tag in the encryption context's patterns, not in the
// key's ARN. Without the tag the own context must be refused too (`no-tag`, by the condition:
// the statement matches action and key). Every request on the key is Denied by the condition
// under iam-simulate, whatever its context (kms.mjs says why and what that leaves unproven).
function tenantKmsScenarios(spec, tenant) {
  const withNames = (s) => ({ spec: s, names: tenantNames(s, tenant, namePrefixes(s.service), queues) });
  const list = kmsScenarios(spec, withNames(spec).names, { siblings: kmsSpecs.filter((s) => s !== spec).map(withNames), otherKeys });
  const untagged = list.filter((s) => s.group === 'kms-own-context').map((s) => ({ ...s, group: 'no-tag', untagged: true }));
  return [...list, ...untagged];
}
const namePrefixes = (service) => [...new Set(namedSpecs.filter((s) => s.service === service && !isShared(s)).map((s) => s.prefix))];
const queues = [...new Set(namedSpecs.filter(isShared).map((s) => s.queue))].sort();
const request = (tenant, identity) => (s) => ({
  principal: `arn:aws:sts::${ACCOUNT}:assumed-role/TenantDataTagged/tenant-${s.untagged ? 'untagged' : tenant}`,
  identity,
  context: s.untagged ? {} : { [`aws:PrincipalTag/${tag}`]: tenant },
});

console.log(`session-tag role policy (tag \`${tag}\`) of ${source}; tenants ${TENANTS.join(', ')}; ${tools()}`);
let passed = 0;
let failed = 0;
let cases = 0;

if (!mutants) {
  for (const spec of specs) {
    const [p, f] = await report(
      `session-tag role policy on ${describeSpec(spec)}`,
      TENANTS.map((tenant) => {
        const req = request(tenant, policy);
        return { label: `tag ${tenant}`, scenarios: tenantScenarios(spec, tenant), check: (s) => checkAlone(s, req(s)) };
      }),
      verbose,
    );
    passed += p;
    failed += f;
    cases += p + f;
  }
  for (const spec of bucketSpecs) {
    const [p, f] = await report(
      `session-tag role policy on ${describeBucket(spec)}`,
      TENANTS.map((tenant) => {
        const req = request(tenant, policy);
        return { label: `tag ${tenant}`, scenarios: tenantBucketScenarios(spec, tenant), check: (s) => checkAlone(s, req(s)) };
      }),
      verbose,
    );
    passed += p;
    failed += f;
    cases += p + f;
  }
  for (const spec of namedSpecs) {
    const [p, f] = await report(
      `session-tag role policy on ${describeNamed(spec)}`,
      TENANTS.map((tenant) => {
        const req = request(tenant, policy);
        return { label: `tag ${tenant}`, scenarios: tenantNamedScenarios(spec, tenant), check: (s) => checkAlone(s, req(s)) };
      }),
      verbose,
    );
    passed += p;
    failed += f;
    cases += p + f;
  }
  for (const spec of kmsSpecs) {
    const [p, f] = await report(
      `session-tag role policy on ${describeKms(spec)}`,
      TENANTS.map((tenant) => {
        const req = request(tenant, policy);
        return { label: `tag ${tenant}`, scenarios: tenantKmsScenarios(spec, tenant), check: (s) => checkAlone(s, req(s)) };
      }),
      verbose,
    );
    passed += p;
    failed += f;
    cases += p + f;
  }
  if (trustPolicy) {
    // The execution role as a deployer writes it (it may assume and tag any role): the trust
    // policy alone must admit the Lambda execution role's sessions, with tags, and nobody else.
    const lambdaSession = `arn:aws:sts::${ACCOUNT}:assumed-role/orders-fn/orders-fn-session`;
    const execution = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['sts:AssumeRole', 'sts:TagSession'], Resource: '*' }] };
    const trust = [
      [lambdaSession, 'sts:AssumeRole', 'Allowed'],
      [lambdaSession, 'sts:TagSession', 'Allowed'],
      [`arn:aws:sts::${ACCOUNT}:assumed-role/other-fn/session`, 'sts:AssumeRole', 'Denied'],
      [`arn:aws:sts::${ACCOUNT}:assumed-role/other-fn/session`, 'sts:TagSession', 'Denied'],
      [`arn:aws:iam::${ACCOUNT}:user/alice`, 'sts:TagSession', 'Denied'],
    ];
    let bad = 0;
    for (const [who, action, expect] of trust) {
      const response = await simulate.runSimulation(
        {
          request: { principal: who, action, resource: { resource: TAG_ROLE_ARN, accountId: ACCOUNT }, contextVariables: { [`aws:RequestTag/${tag}`]: 'acme' } },
          identityPolicies: [{ name: 'execution-role', policy: execution }],
          resourcePolicy: trustPolicy,
          serviceControlPolicies: [],
          resourceControlPolicies: [],
        },
        {},
      );
      counts.simulations++;
      const got = response.resultType === 'error' ? 'Error' : response.overallResult === 'Allowed' ? 'Allowed' : 'Denied';
      if (got !== expect) {
        bad++;
        console.log(`  FAIL trust: ${action} by ${who}: expected ${expect}, got ${got}`);
        console.log(explain({ response }));
      }
    }
    console.log(`${bad ? 'FAIL' : 'ok  '} session-tag role trust policy [sts:AssumeRole, sts:TagSession by ${LAMBDA_ROLE_ARN}]: ${trust.length - bad}/${trust.length}`);
    passed += trust.length - bad;
    failed += bad;
    cases += trust.length;
    counts.cases.sts = (counts.cases.sts ?? 0) + trust.length;
  }
  console.log(`cases: ${cases} iam-simulate cases (${counts.simulations} simulations)`);
  console.log(caseSummary());
} else {
  const all = [
    ...specs.flatMap((spec) => TENANTS.flatMap((tenant) => tenantScenarios(spec, tenant).map((s) => ({ ...s, tenant })))),
    ...bucketSpecs.flatMap((spec) => TENANTS.flatMap((tenant) => tenantBucketScenarios(spec, tenant).map((s) => ({ ...s, tenant })))),
    ...namedSpecs.flatMap((spec) => TENANTS.flatMap((tenant) => tenantNamedScenarios(spec, tenant).map((s) => ({ ...s, tenant })))),
    ...kmsSpecs.flatMap((spec) => TENANTS.flatMap((tenant) => tenantKmsScenarios(spec, tenant).map((s) => ({ ...s, tenant })))),
  ];
  const check = async (p, stop, order) => {
    const found = [];
    for (const s of focus(all, order)) {
      const { tenant } = s;
      const more = await findProblems([s], request(tenant, p)(s), stop);
      found.push(...more);
      if (more.some(({ p: problem }) => stop(problem))) break;
    }
    return found;
  };
  const baseline = await check(policy, () => true);
  if (baseline.length) {
    console.log(`FAIL baseline: ${describe(baseline[0].s)} is not ${baseline[0].s.expect}; run without --mutants for details`);
    failed++;
  } else {
    const m = await runMutants([{ label: 'session-tag role policy', policy, token, check }], [...MUTANTS, ...namedMutants(queues), ...kmsMutants()]);
    passed += m.passed;
    failed += m.failed;
    console.log(mutantSummary(m, 1));
  }
}

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
