// The data roles' trust in a `policies template` template, evaluated with iam-simulate: each
// role may be assumed by exactly the execution roles of the functions that need it, and by no
// one else. The template trusts the account root on the condition `ArnEquals aws:PrincipalArn`
// (so that no role names another by reference; template.rs says why): this proves the
// condition does what the plain principal did.
//
//   node tests/policy/prove_template.mjs TEMPLATE.json [--mutants]
//
// The template is read as CloudFormation resolves it in account 123456789012 with
// NamePrefix=app. Per data role (TenantDataRole, TenantTagRole) and per function, a session of
// the function's execution role, with its own identity policy, asks for sts:AssumeRole (and
// sts:TagSession): allowed exactly when the function needs that role (its policy names it and
// the trust lists it). Never allowed: a role of the account outside the list with
// sts:AssumeRole on every resource, a user, the same role name in another account, and
// sts:TagSession on the data-access role. --mutants: the trust without its condition must let
// the outside role in (the proof can fail).
//
//   node tests/policy/prove_template.mjs TEMPLATE.json [--queue PARAMETER]... [--mutants]
//
// --queue PARAMETER: a queue every tenant's messages share, bound at run time by the variable
// whose parameter is PARAMETER (`queue_env`; core/src/named.rs `SharedQueue`). The parameter is
// given a value other than its default, as a deployment names its own queue; the data role that
// names it must allow sqs:SendMessage on exactly that queue: not on the declared name (the
// default, as if it were written in), not on a name that starts or ends like it, not in another
// account or region, and no other SQS action on it (a receive would read every tenant's
// messages). --mutants: the role naming the declared name instead of the parameter, and the
// queue widened to `<queue>*`, must each be caught.

import { readFileSync } from 'node:fs';
import { ACCOUNT, REGION, fail, simulate } from './common.mjs';

const [path, ...flags] = process.argv.slice(2);
if (!path) fail('usage: prove_template.mjs TEMPLATE.json [--queue PARAMETER]... [--mutants]');
const template = JSON.parse(readFileSync(path, 'utf8'));
const PREFIX = 'app';
const values = { 'AWS::Partition': 'aws', 'AWS::AccountId': ACCOUNT, 'AWS::Region': REGION, NamePrefix: PREFIX };
// The shared queues' parameters (--queue), each with the name the deployment gives its queue.
const queues = flags.flatMap((f, i) => (f === '--queue' ? [flags[i + 1]] : []));
for (const parameter of queues) {
  const declared = template.Parameters?.[parameter]?.Default;
  if (!parameter || typeof declared !== 'string') fail(`${path}: no parameter ${parameter} with the queue's declared name as its default`);
  values[parameter] = `${PREFIX}-${declared}`;
}
const roleName = (id) => resolve(template.Resources[id].Properties.RoleName ?? { 'Fn::Sub': id });
const roleArn = (id) => `arn:aws:iam::${ACCOUNT}:role/${roleName(id)}`;

// Ref, Fn::Sub and Fn::GetAtt (of a role's Arn) as CloudFormation resolves them here.
function resolve(v) {
  if (Array.isArray(v)) return v.map(resolve);
  if (v && typeof v === 'object') {
    if ('Fn::Sub' in v) return v['Fn::Sub'].replace(/\$\{([^}!]+)\}/g, (_, name) => lookup(name)).replace(/\$\{!/g, '${');
    if ('Ref' in v) return lookup(v.Ref);
    if ('Fn::GetAtt' in v) return roleArn(v['Fn::GetAtt'][0]);
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, resolve(x)]));
  }
  return v;
}
// Pseudo-parameters and NamePrefix as above; other parameters their default, else their name
// (a stream ARN, a resource: nothing the trust depends on).
function lookup(name) {
  return values[name] ?? template.Parameters?.[name]?.Default ?? name;
}

// What IAM puts in aws:PrincipalArn: for a role's session the role's ARN, not the session's
// (IAM User Guide, "AWS global condition context keys", aws:PrincipalArn). iam-simulate takes
// context keys as given, so the request carries it.
function principalArn(principal) {
  const session = principal.match(/^arn:aws:sts::(\d{12}):assumed-role\/([^/]+)\/.+$/);
  return session ? `arn:aws:iam::${session[1]}:role/${session[2]}` : principal;
}

const resources = Object.entries(template.Resources);
const functions = resources
  .filter(([, r]) => r.Type === 'AWS::Serverless::Function')
  .map(([id, r]) => {
    const role = r.Properties.Role['Fn::GetAtt'][0];
    const policy = resolve(template.Resources[role].Properties.Policies[0].PolicyDocument);
    const needs = (dataRole) =>
      policy.Statement.some((s) => JSON.stringify(s.Resource) === JSON.stringify(roleArn(dataRole)) && [s.Action].flat().includes('sts:AssumeRole'));
    return { id, role, policy, needs };
  });
const dataRoles = ['TenantDataRole', 'TenantTagRole'].filter((id) => template.Resources[id]);
if (!dataRoles.length || !functions.length) fail(`${path}: no data role or no function`);

async function allowed(principal, action, resourceArn, identity, trust) {
  const response = await simulate.runSimulation(
    {
      request: {
        principal,
        action,
        resource: { resource: resourceArn, accountId: ACCOUNT },
        contextVariables: { 'aws:PrincipalArn': principalArn(principal) },
      },
      identityPolicies: identity ? [{ name: 'identity', policy: identity }] : [],
      resourcePolicy: trust,
      serviceControlPolicies: [],
      resourceControlPolicies: [],
    },
    {},
  );
  if (response.resultType === 'error') throw new Error(JSON.stringify(response.errors));
  return response.overallResult === 'Allowed';
}

const everything = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sts:*', Resource: '*' }] };
async function prove(trustOf) {
  const failures = [];
  let cases = 0;
  const expect = async (what, want, ...args) => {
    cases++;
    const got = await allowed(...args);
    if (got !== want) failures.push(`${what}: expected ${want ? 'Allowed' : 'Denied'}, got ${got ? 'Allowed' : 'Denied'}`);
  };
  for (const dataRole of dataRoles) {
    const arn = roleArn(dataRole);
    const trust = trustOf(dataRole);
    for (const f of functions) {
      const session = `arn:aws:sts::${ACCOUNT}:assumed-role/${roleName(f.role)}/session`;
      await expect(`${f.id} assumes ${dataRole}`, f.needs(dataRole), session, 'sts:AssumeRole', arn, f.policy, trust);
      const tags = dataRole === 'TenantTagRole' && f.needs(dataRole);
      await expect(`${f.id} tags a session of ${dataRole}`, tags, session, 'sts:TagSession', arn, f.policy, trust);
      // The same role name in another account.
      const foreign = `arn:aws:sts::210987654321:assumed-role/${roleName(f.role)}/session`;
      await expect(`${f.id}'s name in another account assumes ${dataRole}`, false, foreign, 'sts:AssumeRole', arn, everything, trust);
    }
    const outsider = `arn:aws:sts::${ACCOUNT}:assumed-role/${PREFIX}-admin/session`;
    await expect(`a role outside the list (sts:* on *) assumes ${dataRole}`, false, outsider, 'sts:AssumeRole', arn, everything, trust);
    await expect(`a user (sts:* on *) assumes ${dataRole}`, false, `arn:aws:iam::${ACCOUNT}:user/alice`, 'sts:AssumeRole', arn, everything, trust);
  }
  return { cases, failures };
}

const trustOf = (id) => resolve(template.Resources[id].Properties.AssumeRolePolicyDocument);
const { cases, failures } = await prove(trustOf);
for (const f of failures) console.log(`FAIL ${f}`);
console.log(`${failures.length ? 'FAIL' : 'ok  '} trust of ${dataRoles.join(', ')} over ${functions.length} functions: ${cases - failures.length}/${cases}`);
let mutantMissed = false;
if (flags.includes('--mutants')) {
  // Without its condition, the trust lets in every principal of the account whose own policy
  // allows it: the outside role must then get in, and the proof must say so.
  const unconditioned = (id) => {
    const trust = structuredClone(trustOf(id));
    for (const s of trust.Statement) delete s.Condition;
    return trust;
  };
  const mutant = await prove(unconditioned);
  mutantMissed = !mutant.failures.some((f) => f.startsWith('a role outside the list'));
  console.log(`${mutantMissed ? 'FAIL' : 'ok  '} mutant: the trust without its aws:PrincipalArn condition is caught (${mutant.failures.length} failures)`);
}

// The shared queues (--queue): what each data role naming the parameter allows on SQS, as an
// identity policy of one of its sessions (same account: nothing else is needed).
const queueArn = (name, account = ACCOUNT, region = REGION) => `arn:aws:sqs:${region}:${account}:${name}`;
async function sqsAllowed(dataRole, policy, action, resourceArn) {
  const response = await simulate.runSimulation(
    {
      request: {
        principal: `arn:aws:sts::${ACCOUNT}:assumed-role/${dataRole}/session`,
        action,
        resource: { resource: resourceArn, accountId: resourceArn.split(':')[4] },
        contextVariables: {},
      },
      identityPolicies: [{ name: 'data-role', policy }],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
    },
    {},
  );
  if (response.resultType === 'error') throw new Error(JSON.stringify(response.errors));
  return response.overallResult === 'Allowed';
}
async function proveQueue(parameter, dataRole, policy) {
  const failures = [];
  let cases = 0;
  const expect = async (what, want, action, arn) => {
    cases++;
    const got = await sqsAllowed(dataRole, policy, action, arn);
    if (got !== want) failures.push(`${parameter} on ${dataRole}: ${what}: expected ${want ? 'Allowed' : 'Denied'}, got ${got ? 'Allowed' : 'Denied'}`);
  };
  const queue = values[parameter];
  const declared = template.Parameters[parameter].Default;
  await expect(`sqs:SendMessage to ${queue}`, true, 'sqs:SendMessage', queueArn(queue));
  const elsewhere = [
    [declared, 'the declared name, which the parameter replaces'],
    [`${queue}-2`, 'a name that starts like it'],
    [queue.slice(0, -1), 'its name without its last character'],
    [`x${queue}`, 'a name that ends like it'],
    [`${queue}.fifo`, 'the FIFO queue of its name'],
    [[queue, '210987654321'], 'its name in another account'],
    [[queue, ACCOUNT, 'us-west-2'], 'its name in another region'],
  ];
  for (const [name, why] of elsewhere) {
    const arn = Array.isArray(name) ? queueArn(...name) : queueArn(name);
    await expect(`sqs:SendMessage to ${arn} (${why})`, false, 'sqs:SendMessage', arn);
  }
  for (const action of ['ReceiveMessage', 'DeleteMessage', 'ChangeMessageVisibility', 'PurgeQueue', 'SetQueueAttributes']) {
    await expect(`sqs:${action} on ${queue}`, false, `sqs:${action}`, queueArn(queue));
  }
  return { cases, failures };
}
let queueFailures = 0;
let queueMutantsMissed = 0;
for (const parameter of queues) {
  const roles = dataRoles.filter((id) => JSON.stringify(template.Resources[id].Properties.Policies).includes(`\${${parameter}}`));
  if (!roles.length) {
    console.log(`FAIL no data role names the queue parameter ${parameter}`);
    queueFailures++;
  }
  for (const dataRole of roles) {
    const document = template.Resources[dataRole].Properties.Policies[0].PolicyDocument;
    const { cases, failures } = await proveQueue(parameter, dataRole, resolve(document));
    for (const f of failures) console.log(`FAIL ${f}`);
    console.log(`${failures.length ? 'FAIL' : 'ok  '} ${dataRole} sends to the shared queue ${parameter} names, and only sends, only there: ${cases - failures.length}/${cases}`);
    queueFailures += failures.length;
    if (!flags.includes('--mutants')) continue;
    const deployed = values[parameter];
    const mutants = {
      // The role naming the declared name, as it would with the name written in.
      'the declared name instead of the parameter': () => {
        values[parameter] = template.Parameters[parameter].Default;
        const policy = resolve(document);
        values[parameter] = deployed;
        return policy;
      },
      // The queue's ARN with a wildcard after it.
      [`the queue widened to ${deployed}*`]: () => {
        const policy = resolve(document);
        for (const s of policy.Statement) {
          s.Resource = [s.Resource].flat().map((r) => (r === queueArn(deployed) ? `${r}*` : r));
        }
        return policy;
      },
    };
    for (const [name, mutate] of Object.entries(mutants)) {
      const mutant = await proveQueue(parameter, dataRole, mutate());
      const caught = mutant.failures.length > 0;
      if (!caught) queueMutantsMissed++;
      console.log(`${caught ? 'ok  ' : 'FAIL'} mutant of ${parameter} on ${dataRole}: ${name} is caught (${mutant.failures.length} failures)`);
    }
  }
}
process.exit(failures.length || mutantMissed || queueFailures || queueMutantsMissed ? 1 : 0);
