//! The audit's JSON: each handler's declaration and template, its session policy for one
//! tenant, the roles to deploy, and how `actions = [...]` judges an action name.
//!
//! Handlers are read through [`tenant_isolation::audit::registered_handlers`] and the
//! [`HandlerSpec`] accessors only.

use crate::bindings;
use crate::cloudformation;
use crate::error::AuditError;
use serde_json::{Value, json};
use tenant_isolation::HandlerSpec;
use tenant_isolation_core::{
    Action, HandlerModel, PhysicalName, Placement, PlacementError, Refusal, RoleArn, TenantId, is_valid_bucket_name,
    is_valid_dynamodb_name, is_valid_kms_key_id, is_valid_queue_name, render, role_policy, tag_role_policy,
};

fn handlers() -> Vec<&'static HandlerSpec> {
    tenant_isolation::audit::registered_handlers()
}

/// Every handler, once its key prefixes are known not to overlap on any table: neither on a
/// physical name as resolved here, nor through a variable (which names one table once deployed,
/// whatever the declared names say; `bindings.rs`); and its name prefixes not to overlap with
/// any other handler's of the same service (one namespace per account and region, compared by
/// the same `check_prefixes`).
pub(crate) fn checked_handlers() -> Result<Vec<&'static HandlerSpec>, AuditError> {
    let handlers = handlers();
    tenant_isolation::audit::check_prefixes(&handlers)?;
    bindings::check(&handlers)?;
    Ok(handlers)
}

/// `[{handler, module, tables: [{table, table_env, key_prefix, indexes, actions}],
/// buckets: [{bucket, bucket_env, prefix, actions}], named: [{name, service, prefix, fifo,
/// queue, queue_env, tenant_attribute, kms_key, kms_key_env, actions}], session_tag, template,
/// worst_case_chars}]`: each handler's declaration
/// (`key_prefix`: its tenants' keys are `<key_prefix><tenant>` and `<key_prefix><tenant>#…`;
/// `prefix`: its tenants' objects are under `<prefix><tenant>/`; `named`: its `secrets(...)`,
/// `parameters(...)` and `queues(...)` in declaration order, `service` the IAM prefix
/// (`secretsmanager`, `ssm`, `sqs`), a tenant's names under `<prefix><tenant>/` or its queue
/// `<prefix><tenant>` (`.fifo` when `fifo`); `kms_key` the customer-managed KMS key id it
/// declares and `kms_key_env` the variable that binds one, each `null` without), its
/// session-policy template (placeholders `{{...}}` open) and the longest its rendered policy can
/// be (STS accepts 2048 characters).
pub fn list_json() -> Value {
    handlers()
        .into_iter()
        .map(|spec| {
            let template: Value = serde_json::from_str(spec.template()).unwrap_or_else(|_| spec.template().into());
            json!({
                "handler": spec.name(),
                "module": spec.module_path(),
                "tables": spec.tables().iter().map(|t| json!({
                    "table": t.table.declared(),
                    "table_env": t.table.env_var(),
                    "key_prefix": t.keys.prefix(),
                    "indexes": t.indexes,
                    "actions": t.sorted_actions().iter().map(|a| a.name()).collect::<Vec<_>>(),
                })).collect::<Vec<_>>(),
                "buckets": spec.buckets().iter().map(|b| json!({
                    "bucket": b.bucket.declared(),
                    "bucket_env": b.bucket.env_var(),
                    "prefix": b.objects.prefix(),
                    "actions": b.sorted_actions().iter().map(|a| a.name()).collect::<Vec<_>>(),
                })).collect::<Vec<_>>(),
                "named": spec.model().named.iter().map(|n| json!({
                    "name": n.name,
                    "service": n.service().iam_prefix(),
                    "prefix": n.names.prefix(),
                    "fifo": n.names.is_fifo(),
                    // A queue every tenant's messages share: its name, variable and the
                    // attribute that carries a message's tenant (null for a tenant's own).
                    "queue": n.names.as_shared().map(|q| q.queue.declared()),
                    "queue_env": n.names.as_shared().and_then(|q| q.queue.env_var()),
                    "tenant_attribute": n.names.as_shared().map(|q| &*q.tenant_attribute),
                    // The customer-managed KMS key of its secrets or parameters: the id written
                    // in (null when none is, as with `kms_key_env` alone) and the variable that
                    // binds it at run time.
                    "kms_key": n.names.kms_key().map(PhysicalName::declared).filter(|id| !id.is_empty()),
                    "kms_key_env": n.names.kms_key().and_then(PhysicalName::env_var),
                    "actions": n.sorted_actions().iter().map(|a| a.name()).collect::<Vec<_>>(),
                })).collect::<Vec<_>>(),
                "session_tag": spec.session_tag(),
                "template": template,
                // Session-tag handlers send no session policy.
                "worst_case_chars": spec.session_tag().is_none().then(|| spec.model().compile().ok().map(|c| c.worst_case)).flatten(),
            })
        })
        .collect()
}

/// Where `spec`'s policy is rendered: partition and account from the role, its physical
/// table, bucket and shared queue names and its KMS key ids (as [`tenant_isolation::Isolation`]
/// computes them), all validated.
fn place(spec: &'static HandlerSpec, role: &RoleArn, region: &str) -> Result<Placement, AuditError> {
    unbound_kms_key(spec)?;
    spec.placement(role, region).map_err(|source| AuditError::Placement { handler: spec.name(), source })
}

/// Refuses a key of `spec`'s bound by its variable alone while the variable is unset, naming the
/// variable, as the runtime refuses to start without it (the ids themselves are validated by the
/// placement).
fn unbound_kms_key(spec: &'static HandlerSpec) -> Result<(), AuditError> {
    for (key, id) in spec.model().kms_keys().zip(spec.kms_key_ids()) {
        if let (true, Some(var)) = (id.is_empty(), key.env_var()) {
            return Err(AuditError::UnboundKmsKey { handler: spec.name(), var });
        }
    }
    Ok(())
}

/// `spec`'s model with every table, bucket and shared queue named, and every KMS key given its
/// id, as `name` says: no `{{table}}`, `{{queue}}` or `{{kms}}` placeholder is left (a role
/// policy unites several handlers', where each would mean another resource).
fn named(spec: &HandlerSpec, name: &impl Fn(&PhysicalName) -> String) -> HandlerModel {
    let tables: Vec<String> = spec.tables().iter().map(|t| name(&t.table)).collect();
    let buckets: Vec<String> = spec.buckets().iter().map(|b| name(&b.bucket)).collect();
    let tables: Vec<&str> = tables.iter().map(String::as_str).collect();
    let buckets: Vec<&str> = buckets.iter().map(String::as_str).collect();
    let queues: Vec<String> = spec.model().shared_queues().map(|q| name(&q.queue)).collect();
    let queues: Vec<&str> = queues.iter().map(String::as_str).collect();
    let kms_keys: Vec<String> = spec.model().kms_keys().map(name).collect();
    let kms_keys: Vec<&str> = kms_keys.iter().map(String::as_str).collect();
    spec.model().placed(&tables, &buckets).queues_placed(&queues).kms_keys_placed(&kms_keys)
}

/// The physical name as the runtime resolves it.
fn physical(name: &PhysicalName) -> String {
    tenant_isolation::audit::physical_name(name)
}

/// `[{handler, policy}]`: the session policy each handler's invocations for `tenant` send
/// to STS, rendered exactly as the runtime renders it (partition and account from the
/// role ARN, physical table name from the handler's `table_env` variable when set).
pub fn render_json(tenant: &str, role_arn: &str, region: &str) -> Result<Value, AuditError> {
    let id = TenantId::parse(tenant).map_err(|source| AuditError::Tenant { tenant: tenant.to_owned(), source })?;
    let role = RoleArn::parse(role_arn).map_err(AuditError::RoleArn)?;
    let mut out = Vec::new();
    for spec in checked_handlers()? {
        // Session-tag handlers send no session policy: their isolation is the tag role's
        // policy (`policies role`), the same for every tenant.
        if spec.session_tag().is_some() {
            continue;
        }
        let rendered = render(spec.template(), &place(spec, &role, region)?, &id);
        let policy: Value =
            serde_json::from_str(&rendered).map_err(|source| AuditError::Rendered { handler: spec.name(), source })?;
        out.push(json!({ "handler": spec.name(), "policy": policy }));
    }
    Ok(Value::Array(out))
}

/// The data-access role's identity policy: [`role_policy`] over the session-policy handlers
/// of `handlers`, each table, bucket, shared queue and KMS key named as `name` says. Naming them
/// here leaves no `{{table}}` (or `{{kms}}`) placeholder in the union (which two `table_env`
/// variables would make ambiguous).
pub(crate) fn data_access_policy(handlers: &[&HandlerSpec], name: impl Fn(&PhysicalName) -> String) -> String {
    let models: Vec<HandlerModel> =
        handlers.iter().filter(|h| h.session_tag().is_none()).map(|h| named(h, &name)).collect();
    role_policy(&models.iter().collect::<Vec<_>>(), false)
}

/// The session-tag role's policy: [`tag_role_policy`] over the session-tag handlers, and
/// their tag key. `None` without such handlers; an error when they use different keys
/// (one role reads one tag).
pub(crate) fn tag_policy(
    handlers: &[&'static HandlerSpec],
    name: impl Fn(&PhysicalName) -> String,
) -> Result<Option<(String, &'static str)>, AuditError> {
    let tagged: Vec<&'static HandlerSpec> = handlers.iter().copied().filter(|h| h.session_tag().is_some()).collect();
    let Some(tag) = tagged.first().and_then(|h| h.session_tag()) else { return Ok(None) };
    if let Some(other) = tagged.iter().find(|h| h.session_tag() != Some(tag)) {
        return Err(AuditError::MixedTags { first: tag, other: other.session_tag().unwrap_or_default() });
    }
    let models: Vec<HandlerModel> = tagged.iter().map(|h| named(h, &name)).collect();
    Ok(Some((tag_role_policy(&models.iter().collect::<Vec<_>>(), tag, false), tag)))
}

/// A table, bucket, shared queue or KMS key as a CloudFormation template names it: the parameter
/// of its variable (`ORDERS_TABLE` → `${OrdersTable}`, `WEBHOOKS_KEY` → `${WebhooksKey}`), or its
/// fixed name (a key's id written in).
pub(crate) fn stack_name(n: &PhysicalName) -> String {
    match n.env_var() {
        Some(var) => format!("${{{}}}", cloudformation::parameter_name(var)),
        None => n.declared().to_owned(),
    }
}

/// A role policy written with [`stack_name`]s, in the stack's partition, region and account
/// (`${AWS::Partition}`, …), as JSON for [`cloudformation::intrinsics`].
pub(crate) fn stack_policy(template: &str) -> Value {
    let policy = fill_account(template, "${AWS::Partition}", "${AWS::Region}", "${AWS::AccountId}");
    serde_json::from_str(&policy).expect("the role policy writer emits JSON")
}

/// Replaces the account-level placeholders of the role policy (`{{partition}}`,
/// `{{region}}`, `{{account}}`). The values are validated ([`RoleArn`], [`Placement`]) or
/// CloudFormation pseudo-parameters; the role policy has no `{{tenant}}` and, its tables
/// being named, no `{{table}}`.
fn fill_account(template: &str, partition: &str, region: &str, account: &str) -> String {
    template.replace("{{partition}}", partition).replace("{{region}}", region).replace("{{account}}", account)
}

/// The trust policy of the data-access role: the Lambda execution roles may assume it.
///
/// Only `sts:AssumeRole`: this role never receives session tags. The session-tag role's
/// trust policy (in `session_tag_role`) adds `sts:TagSession`.
fn trust_policy(lambda_roles: &[String]) -> Value {
    trust_policy_with(lambda_roles, &["sts:AssumeRole"])
}

/// One statement allowing `actions` to `lambda_roles` (a string for one role, as IAM writes
/// it, a list for several).
fn trust_policy_with(lambda_roles: &[String], actions: &[&str]) -> Value {
    let one_or_list = |items: Vec<Value>| match <[Value; 1]>::try_from(items) {
        Ok([one]) => one,
        Err(many) => Value::Array(many),
    };
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "LambdaExecutionRoleAssumes",
            "Effect": "Allow",
            "Principal": { "AWS": one_or_list(lambda_roles.iter().map(|r| json!(r)).collect()) },
            "Action": one_or_list(actions.iter().map(|a| json!(a)).collect()),
        }]
    })
}

/// `{data_access_role_policy, trust_policy, execution_role_policy, session_tag_role, cloudformation}`:
/// the data-access role's policy, its trust policy, what the Lambda execution role needs to
/// assume it, the session-tag role (`null` without session-tag handlers) and a
/// CloudFormation template (JSON) creating the data-access role.
///
/// With `role_arn` and `region`, the policies name that partition, account and region;
/// without them they keep `{{partition}}`, `{{region}}`, `{{account}}` (and `{{role_arn}}`).
/// The trust policies trust exactly `lambda_role_arns` (each once; `{{lambda_role_arn}}`
/// without any). Table, bucket and shared queue names are the physical names, and KMS keys
/// the key ids (each handler's `table_env`, `bucket_env`, `queue_env` or `kms_key_env` variable
/// when set, else the declared name or id), validated as a session policy's are: a key bound by
/// its variable alone needs the variable set. The CloudFormation template always uses `Fn::Sub`
/// with the stack's pseudo-parameters and a parameter per such variable.
pub fn role_json(role_arn: Option<&str>, region: Option<&str>, lambda_role_arns: &[&str]) -> Result<Value, AuditError> {
    // Each role once, in the order given; none: the placeholder.
    let mut lambda_roles: Vec<String> = Vec::new();
    for arn in lambda_role_arns {
        let arn = RoleArn::parse(arn).map_err(AuditError::LambdaRoleArn)?.as_str().to_owned();
        if !lambda_roles.contains(&arn) {
            lambda_roles.push(arn);
        }
    }
    let trusted = if lambda_roles.is_empty() { vec!["{{lambda_role_arn}}".to_owned()] } else { lambda_roles.clone() };
    let role = match (role_arn, region) {
        (Some(arn), Some(region)) => Some((RoleArn::parse(arn).map_err(AuditError::RoleArn)?, region)),
        (None, None) => None,
        _ => return Err(AuditError::Incomplete),
    };
    // The checks rendering a session policy makes: table, bucket and shared queue names and KMS
    // key ids (they may come from the environment; a queue bound to `*` would have the role send
    // to every queue, a key bound to `*` let it use every key) and, when given, the region.
    for spec in checked_handlers()? {
        match &role {
            Some((role, region)) => drop(place(spec, role, region)?),
            None => {
                unbound_kms_key(spec)?;
                let bad = spec
                    .table_names()
                    .into_iter()
                    .find(|t| !is_valid_dynamodb_name(t))
                    .map(PlacementError::Table)
                    .or_else(|| {
                        spec.bucket_names().into_iter().find(|b| !is_valid_bucket_name(b)).map(PlacementError::Bucket)
                    })
                    .or_else(|| {
                        spec.queue_names().into_iter().find(|q| !is_valid_queue_name(q)).map(PlacementError::Queue)
                    })
                    .or_else(|| {
                        spec.kms_key_ids().into_iter().find(|k| !is_valid_kms_key_id(k)).map(PlacementError::KmsKey)
                    });
                if let Some(source) = bad {
                    return Err(AuditError::Placement { handler: spec.name(), source });
                }
            }
        }
    }
    let handlers = handlers();
    let template = data_access_policy(&handlers, physical);
    let policy = match &role {
        Some((role, region)) => fill_account(&template, role.partition().as_str(), region, role.account()),
        None => template,
    };
    let policy: Value = serde_json::from_str(&policy).expect("the role policy writer emits JSON");
    let tagged = tag_policy(&handlers, physical)?.map(|(template, tag)| {
        let filled = match &role {
            Some((role, region)) => fill_account(&template, role.partition().as_str(), region, role.account()),
            None => template,
        };
        let policy: Value = serde_json::from_str(&filled).expect("the role policy writer emits JSON");
        json!({
            "tag": tag,
            "role_policy": policy,
            // Session tags need `sts:TagSession` in the trust policy (IAM User Guide,
            // "Passing session tags in AWS STS").
            "trust_policy": trust_policy_with(&trusted, &["sts:AssumeRole", "sts:TagSession"]),
        })
    });
    Ok(json!({
        "session_tag_role": tagged,
        "data_access_role_policy": policy,
        "trust_policy": trust_policy(&trusted),
        "execution_role_policy": {
            "Version": "2012-10-17",
            "Statement": [{
                "Sid": "AssumeTenantDataRole",
                "Effect": "Allow",
                "Action": "sts:AssumeRole",
                "Resource": role.as_ref().map_or("{{role_arn}}", |(role, _)| role.as_str()),
            }]
        },
        "cloudformation": cloudformation_template(&lambda_roles)?,
    }))
}

/// The CloudFormation template of the data-access role: its policy names the stack's
/// partition, region and account, and a table, bucket, shared queue or KMS key bound by a
/// variable is the parameter of that variable (`ORDERS_TABLE` → `${OrdersTable}`), defaulting to
/// the declared name (a key's declared id; none without one). Two variables that would become one
/// parameter are refused.
fn cloudformation_template(lambda_roles: &[String]) -> Result<Value, AuditError> {
    let mut parameters = cloudformation::Parameters::default();
    let all = handlers();
    for v in bindings::variables(&all) {
        let description = format!(
            "{}; set `{}` to the same value on the functions of its handlers ({})",
            v.binds(),
            v.var,
            v.handler_list()
        );
        cloudformation::binding_parameter(&mut parameters, v.var, (v.kind, &all), v.declared, description)?;
    }
    let policy = stack_policy(&data_access_policy(&handlers(), stack_name));
    // A parameter per execution role (`LambdaExecutionRoleArn`, `LambdaExecutionRoleArn2`, …),
    // each defaulting to its ARN; without any, one parameter without a default.
    let count = lambda_roles.len().max(1);
    let role_parameters: Vec<String> = (1..=count)
        .map(|i| match i {
            1 => cloudformation::LAMBDA_ROLE_PARAMETER.to_owned(),
            i => format!("{}{i}", cloudformation::LAMBDA_ROLE_PARAMETER),
        })
        .collect();
    for (i, name) in role_parameters.iter().enumerate() {
        cloudformation::lambda_role_parameter(&mut parameters, name, lambda_roles.get(i).map(String::as_str))?;
    }
    let trusted: Vec<String> = role_parameters.iter().map(|p| format!("${{{p}}}")).collect();
    Ok(cloudformation::data_access_role(parameters, trust_policy(&trusted), policy))
}

/// `["dynamodb:BatchGetItem", ...]`: the DynamoDB actions a handler may declare, in the
/// order used in policies.
pub fn actions_json() -> Value {
    Action::ALL.iter().map(|a| a.iam_name()).collect()
}

/// `{"name", "allowed", "action"}` or `{"name", "allowed", "refusal", "reason"}` for one
/// name, as `#[tenant_isolated]` judges it in `actions = [...]`.
pub fn classify_json(name: &str) -> Value {
    match Action::classify(name) {
        Ok(action) => json!({ "name": name, "allowed": true, "action": action.iam_name() }),
        Err(refusal) => {
            let kind = match refusal {
                Refusal::Scan => "scan",
                Refusal::Wildcard => "wildcard",
                Refusal::Transaction { .. } => "transaction",
                Refusal::PartiQlOperation => "partiql-operation",
                Refusal::NotTenantScoped => "not-tenant-scoped",
                Refusal::Unknown { .. } => "unknown",
            };
            json!({ "name": name, "allowed": false, "refusal": kind, "reason": refusal.to_string() })
        }
    }
}
