// The policy proof: every session policy a `policies` binary renders, and its data-access role
// policy and trust policy, evaluated by an independent IAM evaluator
// (@cloud-copilot/iam-simulate, AGPL, a test tool only: it is never linked into the library)
// against what each handler must and must not be able to do.
//
//   node tests/policy/prove.mjs [--policies target/debug/policies] [--mutants] [--verbose]
//
// The binary path may also come from TI_POLICIES_BIN; the simulator is loaded from
// ${TI_TOOLS_DIR:-.tools}/node/node_modules (scripts/setup-tools.sh installs it there).
// tests/policy/run.sh runs it over the orders example's `policies` and over
// `fixture-policies` (tests/policy/fixture: every LeadingKeys action, a custom key prefix,
// two tables, indexes, several tables and buckets per handler, object prefixes). Session-tag
// handlers send no session policy: prove_tags.mjs proves their role.
//
// What is checked, for every session-policy handler and two tenants (acme, globex), with the
// rendered session policy as the principal's identity policy (scenario groups, see
// common.mjs `scenarios`):
//   own        each declared action on the tenant's own keys (`<prefix>t`, `<prefix>t#ORDER#1`,
//              `<prefix>t#x`, several at once) on the table and on each declared index -> Allowed
//   foreign    the other tenant's keys, prefix collisions (`<prefix>tx`, `<prefix>t-2`,
//              `<prefix>t-corp`, composite ones), case, a literal `*`, a key without the prefix or
//              under another table's prefix, and batches mixing own and foreign keys
//                                                                 -> Denied by the condition
//   no-key     a declared action without dynamodb:LeadingKeys      -> Denied by the condition
//   empty-key  the same with an empty LeadingKeys set (`[]`), which iam-simulate reads as
//              present: `Null: false` does not stop it, `ForAnyValue` (on `*`: some key is
//              present) does                                      -> Denied by the condition
//   grant      every other (action, resource) pair IAM knows for DynamoDB: the other LeadingKeys
//              actions, Scan, DescribeTable, DeleteTable, ListTables and all table
//              administration, on the table, on declared, other handlers' and undeclared
//              indexes, streams, backups, ... with the tenant's own keys -> Denied by the grant
//   table      declared actions on the binary's other tables and their indexes, and on
//              look-alike tables (archive, a prefix of the name, another account or region)
//                                                                 -> Denied by the grant
//   cross      an action declared on one of the handler's tables, on its other table that
//              did not declare it (own keys)                      -> Denied by the grant
//   cross-key  an action both tables declared, with one table's keys on the other (key
//              prefixes differ)                                   -> Denied by the condition
// and for every bucket the handler declares (common.mjs `bucketScenarios`), the tenant's
// objects being the keys under `<prefix><tenant>/`:
//   own        each declared object action on `<prefix>t/x.pdf`, the folder `<prefix>t/` itself
//              and `<prefix>t/sub/report.pdf`                      -> Allowed
//   foreign    the other tenant's folder, `<prefix>t-2/`, `<prefix>tx/`, `<prefix>t` without
//              its `/`, case, the tenant's folder outside the prefix or under another bucket's
//              prefix                                             -> Denied by the grant
//   list       ListBucket with s3:prefix `<prefix>t/`, `<prefix>t/sub/`, `<prefix>t/x` -> Allowed
//   list-foreign  ListBucket with s3:prefix `""`, `<prefix>`, `<prefix>t` (no `/`), the other
//              tenant's folder, `<prefix>t-2/`, ...                -> Denied by the condition
//   no-prefix  ListBucket without s3:prefix                       -> Denied by the condition
//   grant      every other S3 action IAM knows, on the bucket, the object, an access point and
//              the account: PutObjectAcl, GetObjectVersion, DeleteBucket, PutBucketPolicy,
//              ListBucketVersions, ...                            -> Denied by the grant
//   bucket     declared actions on the binary's other buckets and look-alikes -> Denied by the grant
//   cross, cross-key  as for tables, between the handler's buckets
// and for every secrets, parameters or queue declaration (named.mjs `namedScenarios`; the ARN
// is the whole confinement, so every refusal is by the grant), the tenant's names being
// `<prefix><tenant>/…` or the queue `<prefix><tenant>` (`.fifo`):
//   own        each declared action on own names (a secret's ARN with its 6-character suffix:
//              `tenants/acme/stripe-AbC123`); GetParametersByPath also on the tenant's path
//              itself (`/tenants/acme`) and below it                -> Allowed
//   foreign    the other tenant's names, `acme-2`, `acmex`, the folder without its `/`
//              (`tenants/acme-x`, the secret `tenants/acme` itself), case, the tenant's folder
//              outside the prefix or under another's, another prefix's; the tenant's bare path
//              for every action but GetParametersByPath, parent paths (`/tenants`) and
//              `/tenants/acme-2` for it; another tenant's queue, `jobs-acme-2`, the other kind
//              of queue (`jobs-acme` for a FIFO rule)             -> Denied by the grant
//   wildcard   iam-simulate's queries over every name a pattern matches: the tenant's folder
//              -> Allowed; `tenants/acme-*`, `tenants/globex/*`, ... -> Denied
//   grant      every other action of the service that takes its names, on an own name, and its
//              wildcard-only actions (ListSecrets, DescribeParameters, ListQueues) -> Denied
//   elsewhere  own names in another account and region             -> Denied by the grant
//   cross      an action declared on one rule on a sibling rule of the service -> Denied
// and for a shared queue (`queues(events(queue = "order-events", queue_env = …,
// tenant_attribute = …, actions = [SendMessage]))`, named.mjs `sharedNames`), the same groups on
// the one queue, which is every tenant's: SendMessage on it -> Allowed for acme and for globex
// alike (IAM cannot confine it per tenant; the runtime's queue guard stamps and checks each
// message's tenant, SECURITY.md); every other SQS action on it, the queue's look-alikes
// (`order-events-2`, `order-event`, `xorder-events`, `order-events.fifo`, case, the binary's other
// queues) and the queue in another account or region -> Denied by the grant; the queries
// `order-event*` -> Allowed, `order-events-*` -> Denied.
// and for every secrets or parameters declaration with a customer-managed KMS key (`kms_key`,
// `kms_key_env`; kms.mjs `kmsScenarios`, which says in full what iam-simulate can and cannot
// prove of it), with the key's default policy as the resource policy:
//   kms-grant  every KMS action the declared actions do not need (kms:Encrypt for a read-only
//              declaration, kms:CreateGrant, kms:ReEncryptFrom, ...) on the key, and the
//              wildcard-only ones                                  -> Denied by the grant
//   kms-no-context  each needed action on the key without an encryption context
//                                                                  -> Denied by the condition
//   kms-own-context, kms-foreign-context, kms-context-key  the same with the tenant's own, another
//              tenant's (`acme-2`, …) or a look-alike ARN in the context: Denied by the condition
//              for all of them, as iam-simulate 0.1.173 answers, since it drops the
//              `kms:EncryptionContext:<key>` request key; each case also asserts that the key is
//              among the result's `ignoredContextKeys`, so that the proof fails the day the
//              simulator evaluates it (the tenant's own context is then to be Allowed)
//   kms-key, kms-elsewhere, kms-cross  each needed action on other key ids, the binary's other
//              keys, the key in another account or region, a sibling declaration's key
//                                                                  -> Denied by the grant
// and the same on the data-access role policy (any tenant's names in the context).
// (A DynamoDB action on an S3 ARN, or the reverse, is no request IAM evaluates: iam-simulate
// refuses it with `no.resource.types`. The mutant table-bucket-resources-swapped covers a
// policy that mixes them up.)
// The same scenarios check the data-access role policy alone (per table, the union of its
// handlers' declarations kept per index, on any `<prefix>` key and nothing else: an action
// declared on one table is refused on the other), and its trust policy: sts:AssumeRole by the
// Lambda execution role's sessions only, and no sts:TagSession. Per bucket, the role allows the
// union of its handlers' actions on any tenant's folder under the bucket's prefix, and nothing
// outside it. "Denied by the grant" means no
// statement matches both action and resource; "by the condition" means one does and its
// condition fails. Expectations come from the handler's declaration (`policies list`) and the
// simulator's own IAM data, never from the policy under test. Each session-policy scenario is
// also evaluated as deployed: the data-access role policy (`policies role`) as identity policy
// and the rendered policy as session policy; the decision must be the same.
//
// --mutants proves that the proof can fail: each rendered policy and the role policy are broken
// in ways that matter (common.mjs `MUTANTS`: ForAnyValue or both key guards removed, Scan
// granted, tenant replaced by `*`, tables or indexes widened to `*`, two tables' resources,
// key prefixes or actions swapped; objects widened to `bucket/*`, the `/` after the tenant
// dropped, buckets widened to `*`, PutObjectAcl or GetObjectVersion granted, the ListBucket
// condition dropped or turned into `StringLikeIfExists` or `ForAllValues`, two buckets'
// resources, prefixes or actions swapped; per named service the resource `*`, the service's
// `*` action, the tenant replaced by `*`, the `/` after the tenant dropped, the prefix dropped,
// any account and region, a refused action that takes the names added, GetParametersByPath's
// bare path given to every parameter action, a FIFO queue's `.fifo` swapped, ...; a shared
// queue's resource `*`, any queue, its name with a wildcard, renamed, truncated, with the tenant
// in it or its `.fifo` swapped, any account or region, ReceiveMessage, PurgeQueue,
// SetQueueAttributes or `sqs:*` granted on it; named.mjs `namedMutants`) and every broken policy
// must fail at least one
// scenario; the exploitable ones must flip a Denied into Allowed. Some mutants are
// equivalent by design and must change no decision: dropping `Null` beside `ForAnyValue`
// (core/src/policy/json.rs says why `Null` is kept), `ForAnyValue` on the tenant's patterns
// instead of `*` (the form before the compaction; core/src/policy/json.rs says why the two are
// one condition), PutBucketPolicy added to the object statement (a bucket action never matches
// an object ARN), `ForAnyValue:StringLike` for `StringLike` on the single-valued `s3:prefix`,
// and per named service its wildcard-only refused action added (ListSecrets,
// DescribeParameters, ListQueues: authorized against `*`, which the tenant's ARNs never match),
// and a shared queue's `sqs:SendMessage` written `sqs:Send*` (IAM knows no other action of that
// name; a batch send is authorized as SendMessage). On a KMS key's statement (kms.mjs
// `kmsMutants`): the condition dropped or made true for an absent key (IfExists, ForAllValues)
// must flip a Denied into Allowed; the key widened (`key/*`, `*`, any account and region),
// kms:CreateGrant, kms:ReEncryptFrom, kms:Encrypt or `kms:*` added, two keys swapped, a needed
// action dropped are caught by the layer check. The mutants that only change the context (its
// patterns `*`, the tenant `*`, no `/` after it, the key name swapped or misspelt) change no
// decision under iam-simulate: they are counted apart, "beyond iam-simulate", never as caught.
// Exit status: 0 when everything holds, 1 otherwise. The last lines count the cases, in total
// and per service (`cases of <service>: N`; the mutants' `mutants of <service>: …`).

import { join, resolve } from 'node:path';
import {
  ACCOUNT,
  LAMBDA_ROLE_ARN,
  REGION,
  ROLE_ARN,
  TENANTS,
  anyTenantKeys,
  anyTenantObjects,
  bucketLookalikes,
  bucketScenarios,
  bucketSpecOf,
  describeBucket,
  focus,
  caseSummary,
  checkAlone,
  checkPreconditions,
  counts,
  declaredNames,
  describe,
  describeSpec,
  evaluate,
  explain,
  fail,
  findProblems,
  MUTANTS,
  mutantSummary,
  lookalikes,
  policies,
  repo,
  report,
  runMutants,
  scenarios,
  simulate,
  specOf,
  tenantKeys,
  tenantObjects,
  tools,
  unionByBucket,
  unionByTable,
} from './common.mjs';
import {
  anyTenantNames,
  describeNamed,
  namedMutants,
  namedPreconditions,
  namedScenarios,
  namedSpecOf,
  sharedQueues,
  tenantNames,
  tenantPrefixes,
  unionByName,
} from './named.mjs';
import { declaredKeys, describeKms, keysOf, kmsMutants, kmsPreconditions, kmsScenarios, kmsSpecOf, unionKms } from './kms.mjs';

const args = process.argv.slice(2);
const flag = (name) => args.includes(name);
const option = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const known = new Set(['--policies', '--mutants', '--verbose']);
for (const [i, a] of args.entries()) {
  if (!known.has(a) && args[i - 1] !== '--policies') {
    console.error(`error: unexpected argument \`${a}\`\nusage: prove.mjs [--policies PATH] [--mutants] [--verbose]`);
    process.exit(2);
  }
}
const bin = resolve(option('--policies') ?? process.env.TI_POLICIES_BIN ?? join(repo, 'target/debug/policies'));
const verbose = flag('--verbose');

// ---------------------------------------------------------------------------------------
// The policies under test, from the binary itself.

const all = policies(bin, ['list']);
const handlers = all.filter((h) => !h.session_tag);
if (handlers.length === 0) {
  fail(`\`${bin} list\` registered no session-policy handlers: does the binary link the crate that defines them?`);
}
const env = declaredNames(all);
const rendered = Object.fromEntries(
  TENANTS.map((t) => [
    t,
    Object.fromEntries(
      policies(bin, ['render', '--tenant', t, '--role-arn', ROLE_ARN, '--region', REGION], env).map((p) => [p.handler, p.policy]),
    ),
  ]),
);
const role = policies(bin, ['role', '--role-arn', ROLE_ARN, '--region', REGION, '--lambda-role-arn', LAMBDA_ROLE_ARN], env);
const rolePolicy = role.data_access_role_policy;
// STS refuses a session policy over 2,048 characters (STS API Reference, AssumeRole, `Policy`);
// the macro refuses a handler whose worst case exceeds it. The rendered policies must be
// within that worst case (a longer one would mean the size check measures something else).
const STS_POLICY_LIMIT = 2048;
const compactLength = (policy) => JSON.stringify(policy).length;
checkPreconditions(all, [
  ...handlers.flatMap((h) => TENANTS.map((t) => [rendered[t][h.handler], `no rendered policy for ${h.handler}`])),
  ...handlers.map((h) => [Number.isInteger(h.worst_case_chars) && h.worst_case_chars <= STS_POLICY_LIMIT, `${h.handler}: worst case ${h.worst_case_chars} chars, over STS's ${STS_POLICY_LIMIT}`]),
  ...handlers.flatMap((h) =>
    TENANTS.map((t) => [
      !rendered[t][h.handler] || compactLength(rendered[t][h.handler]) <= h.worst_case_chars,
      `${h.handler}: the policy rendered for ${t} has ${rendered[t] && rendered[t][h.handler] && compactLength(rendered[t][h.handler])} chars, more than its worst case ${h.worst_case_chars}`,
    ]),
  ),
  ...all.filter((h) => h.session_tag).flatMap((h) => TENANTS.map((t) => [!rendered[t][h.handler], `a session policy for session-tag handler ${h.handler}`])),
  ...all.map((h) => [Array.isArray(h.named), `${h.handler}: no \`named\` in \`policies list\``]),
  ...namedPreconditions(all),
  ...kmsPreconditions(all),
]);

// Everything the binary declares, on every table: tables, indexes and key prefixes.
// Everything the binary declares: tables, indexes and key prefixes; buckets and object prefixes.
const declaredTables = all.flatMap((h) => h.tables);
const tables = [...new Set(declaredTables.map((t) => t.table))].sort();
const indexNames = [...new Set(declaredTables.flatMap((t) => t.indexes))].sort();
const prefixes = [...new Set(declaredTables.map((t) => t.key_prefix))].sort();
const declaredBuckets = all.flatMap((h) => h.buckets);
const buckets = [...new Set(declaredBuckets.map((b) => b.bucket))].sort();
const objectPrefixes = [...new Set(declaredBuckets.map((b) => b.prefix))].sort();
// Per service, the name prefixes the binary declares (secrets, parameters, a tenant's queues),
// and its shared queues.
const namePrefixes = (service) => tenantPrefixes(all, service);
const queues = sharedQueues(all);
// The KMS key ids the binary declares (the declared ones: the proofs unset `kms_key_env`).
const keys = declaredKeys(all);
// A handler's session reaches none of the binary's other tables and buckets; its own other
// tables and buckets are its siblings (`cross`, `cross-key`).
const sessionElsewhere = (h) => (table) => [...tables.filter((t) => !h.tables.some((own) => own.table === t)), ...lookalikes(table)];
const sessionBucketsElsewhere = (h) => (bucket) => [...buckets.filter((b) => !h.buckets.some((own) => own.bucket === b)), ...bucketLookalikes(bucket)];
// A role's own tables are covered by its own statements: only look-alikes are elsewhere.
const roleElsewhere = (table) => lookalikes(table);
const context = { indexNames };

const principal = (tenant) => `arn:aws:sts::${ACCOUNT}:assumed-role/TenantData/tenant-${tenant}`;
const objectsOf = (tenant) => (spec) => ({ spec, keys: tenantObjects(spec.prefix, tenant, objectPrefixes) });
const sessionScenarios = (h, tenant) => {
  const tableSpecs = h.tables.map(specOf);
  const bucketSpecs = h.buckets.map(bucketSpecOf).map(objectsOf(tenant));
  return [
    ...tableSpecs.flatMap((spec) =>
      scenarios(spec, tenantKeys(spec.key_prefix, tenant, prefixes), {
        ...context,
        elsewhere: sessionElsewhere(h),
        siblings: tableSpecs.filter((s) => s !== spec),
      }),
    ),
    ...bucketSpecs.flatMap(({ spec, keys }) =>
      bucketScenarios(spec, keys, { elsewhere: sessionBucketsElsewhere(h), siblings: bucketSpecs.filter((s) => s.spec !== spec) }),
    ),
    ...namedOf(h, tenant).map(({ spec, names }, _, specs) => namedScenarios(spec, names, { siblings: specs.filter((s) => s.spec !== spec) })).flat(),
    ...kmsOf(h, tenant).flatMap(({ spec, names }, _, specs) =>
      kmsScenarios(spec, names, { siblings: specs.filter((s) => s.spec !== spec), otherKeys: keys.filter((k) => !keysOf(specs.map((s) => s.spec)).includes(k)) }),
    ),
  ];
};
// A handler's declarations with a customer-managed KMS key (kms.mjs), each with the names
// `tenant` must and must not reach (whose ARNs are the encryption contexts).
const kmsOf = (h, tenant) =>
  h.named
    .map(kmsSpecOf)
    .filter(Boolean)
    .map((spec) => ({ spec, names: tenantNames(spec, tenant, namePrefixes(spec.service), queues) }));
// A handler's named declarations, each with the names `tenant` must and must not reach.
const namedOf = (h, tenant) =>
  h.named.map(namedSpecOf).map((spec) => ({ spec, names: tenantNames(spec, tenant, namePrefixes(spec.service), queues) }));
const describeHandler = (h) =>
  [
    ...h.tables.map((t) => describeSpec(specOf(t))),
    ...h.buckets.map((b) => describeBucket(bucketSpecOf(b))),
    ...h.named.map((n) => describeNamed(namedSpecOf(n))),
    ...h.named.map(kmsSpecOf).filter(Boolean).map(describeKms),
  ].join('; ');
const roleSpecs = unionByTable(handlers);
const roleBuckets = unionByBucket(handlers);
const roleScenarios = (spec) => scenarios(spec, anyTenantKeys(spec.key_prefix, prefixes), { ...context, elsewhere: roleElsewhere });
const roleBucketScenarios = (spec) => bucketScenarios(spec, anyTenantObjects(spec.prefix, objectPrefixes), { elsewhere: bucketLookalikes });
const roleNamed = unionByName(handlers);
// Each rule with the role's other rules as siblings: the role grants each its own actions.
const roleNamedScenarios = (spec) =>
  namedScenarios(spec, anyTenantNames(spec, namePrefixes(spec.service), queues), {
    siblings: roleNamed.filter((s) => s !== spec).map((s) => ({ spec: s, names: anyTenantNames(s, namePrefixes(s.service), queues) })),
  });
// Per rule and key, the union of what the role's declarations need on it, for any tenant's
// names; the role's other keys are siblings, the binary's keys the role does not name others.
const roleKms = unionKms(handlers);
const roleKmsNames = (spec) => anyTenantNames(spec, namePrefixes(spec.service), queues);
const roleKmsScenarios = (spec) =>
  kmsScenarios(spec, roleKmsNames(spec), {
    siblings: roleKms.filter((s) => s !== spec).map((s) => ({ spec: s, names: roleKmsNames(s) })),
    otherKeys: keys.filter((k) => !keysOf(roleKms).includes(k)),
  });

// A session policy's checks: alone (as identity policy), then the same decision as deployed,
// under the data-access role policy.
async function checkSession(scenario, tenant, sessionPolicy) {
  const problems = await checkAlone(scenario, { principal: principal(tenant), identity: sessionPolicy });
  if (problems.length === 0) {
    const d = await evaluate(scenario, { principal: principal(tenant), identity: rolePolicy, session: sessionPolicy });
    if (d.decision !== scenario.expect) problems.push({ kind: d.decision === 'Allowed' ? 'unsafe' : 'wrong', got: `${d.decision} as deployed`, r: d });
  }
  return problems;
}

// ---------------------------------------------------------------------------------------

console.log(
  `policy proof: ${handlers.length} session-policy handler(s) on ${roleSpecs.length} table(s), ${roleBuckets.length} bucket(s) and ${roleNamed.length} name rule(s) from ${bin}` +
    `${all.length > handlers.length ? ` (${all.length - handlers.length} session-tag handler(s): prove_tags.mjs)` : ''}; ` +
    `tenants ${TENANTS.join(', ')}; ${tools()}`,
);

let passed = 0;
let failed = 0;
let cases = 0;
const tally = ([p, f]) => {
  passed += p;
  failed += f;
  cases += p + f;
};

if (!flag('--mutants')) {
  for (const h of handlers) {
    tally(
      await report(
        `${h.handler} (${describeHandler(h)})`,
        TENANTS.map((tenant) => ({
          label: `${h.handler} / ${tenant}`,
          scenarios: sessionScenarios(h, tenant),
          check: (s) => checkSession(s, tenant, rendered[tenant][h.handler]),
        })),
        verbose,
      ),
    );
  }
  // The data-access role policy alone bounds every session: per table, the union of its
  // handlers' declarations, on keys under the table's prefix only.
  for (const spec of roleSpecs) {
    tally(
      await report(
        `data-access role policy on ${describeSpec(spec)}`,
        [{ label: `role policy on ${spec.table}`, scenarios: roleScenarios(spec), check: (s) => checkAlone(s, { principal: principal('any'), identity: rolePolicy }) }],
        verbose,
      ),
    );
  }
  for (const spec of roleBuckets) {
    tally(
      await report(
        `data-access role policy on ${describeBucket(spec)}`,
        [{ label: `role policy on ${spec.bucket}`, scenarios: roleBucketScenarios(spec), check: (s) => checkAlone(s, { principal: principal('any'), identity: rolePolicy }) }],
        verbose,
      ),
    );
  }
  for (const spec of roleNamed) {
    tally(
      await report(
        `data-access role policy on ${describeNamed(spec)}`,
        [{ label: `role policy on ${spec.service} ${spec.queue ?? spec.prefix}`, scenarios: roleNamedScenarios(spec), check: (s) => checkAlone(s, { principal: principal('any'), identity: rolePolicy }) }],
        verbose,
      ),
    );
  }
  for (const spec of roleKms) {
    tally(
      await report(
        `data-access role policy on ${describeKms(spec)}`,
        [{ label: `role policy on key ${spec.key}`, scenarios: roleKmsScenarios(spec), check: (s) => checkAlone(s, { principal: principal('any'), identity: rolePolicy }) }],
        verbose,
      ),
    );
  }
  // The trust policy: only the Lambda execution role's sessions may assume the data-access
  // role, and without session tags (the runtime sends none).
  const lambdaSession = `arn:aws:sts::${ACCOUNT}:assumed-role/orders-fn/orders-fn-session`;
  const trust = [
    [lambdaSession, 'sts:AssumeRole', 'Allowed'],
    [lambdaSession, 'sts:TagSession', 'Denied'],
    [`arn:aws:sts::${ACCOUNT}:assumed-role/other-fn/session`, 'sts:AssumeRole', 'Denied'],
    [`arn:aws:iam::${ACCOUNT}:user/alice`, 'sts:AssumeRole', 'Denied'],
    ['arn:aws:sts::210987654321:assumed-role/orders-fn/orders-fn-session', 'sts:AssumeRole', 'Denied'],
  ];
  let trustFailed = 0;
  for (const [who, action, expect] of trust) {
    const response = await simulate.runSimulation(
      {
        request: { principal: who, action, resource: { resource: ROLE_ARN, accountId: ACCOUNT }, contextVariables: {} },
        identityPolicies: [{ name: 'execution-role', policy: role.execution_role_policy }],
        resourcePolicy: role.trust_policy,
        serviceControlPolicies: [],
        resourceControlPolicies: [],
      },
      {},
    );
    counts.simulations++;
    const got = response.resultType === 'error' ? 'Error' : response.overallResult === 'Allowed' ? 'Allowed' : 'Denied';
    if (got === expect) {
      if (verbose) console.log(`  ok   trust: ${action} by ${who} -> ${expect}`);
    } else {
      trustFailed++;
      console.log(`  FAIL trust: ${action} by ${who}: expected ${expect}, got ${got}`);
      console.log(explain({ response }));
    }
  }
  tally([trust.length - trustFailed, trustFailed]);
  counts.cases.sts = (counts.cases.sts ?? 0) + trust.length;
  console.log(`${trustFailed ? 'FAIL' : 'ok  '} trust policy [sts:AssumeRole by ${LAMBDA_ROLE_ARN}]: ${trust.length - trustFailed}/${trust.length}`);
  // The worst-case size of every session policy (the note quotes them), largest first.
  const sizes = [...handlers].sort((a, b) => b.worst_case_chars - a.worst_case_chars).map((h) => `${h.handler} ${h.worst_case_chars}`);
  console.log(`sizes: worst-case session policy chars (STS limit ${STS_POLICY_LIMIT}): ${sizes.join(', ')}`);
  console.log(`cases: ${cases} iam-simulate cases (${counts.simulations} simulations, session policies also as deployed)`);
  console.log(caseSummary());
} else {
  // The baseline must hold before a mutant's failures mean anything.
  const targets = [];
  for (const h of handlers) {
    for (const tenant of TENANTS) {
      const list = sessionScenarios(h, tenant);
      const request = (policy) => ({ principal: principal(tenant), identity: policy });
      targets.push({
        label: `${h.handler} / ${tenant}`,
        policy: rendered[tenant][h.handler],
        token: tenant,
        check: (policy, stop, order) => findProblems(focus(list, order), request(policy), stop),
      });
    }
  }
  const roleList = [
    ...roleSpecs.flatMap(roleScenarios),
    ...roleBuckets.flatMap(roleBucketScenarios),
    ...roleNamed.flatMap(roleNamedScenarios),
    ...roleKms.flatMap(roleKmsScenarios),
  ];
  targets.push({
    label: 'data-access role policy',
    policy: rolePolicy,
    token: null,
    check: (policy, stop, order) => findProblems(focus(roleList, order), { principal: principal('any'), identity: policy }, stop),
  });
  for (const t of targets) {
    const problems = await t.check(t.policy, () => true);
    if (problems.length) {
      console.log(`FAIL baseline: ${t.label}: ${describe(problems[0].s)} is not ${problems[0].s.expect}; run without --mutants for details`);
      failed++;
    }
  }
  if (failed) console.log('mutants skipped: the unmutated policies already fail the proof');
  else {
    const m = await runMutants(targets, [...MUTANTS, ...namedMutants(queues), ...kmsMutants()]);
    passed += m.passed;
    failed += m.failed;
    console.log(mutantSummary(m, targets.length));
  }
}

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
