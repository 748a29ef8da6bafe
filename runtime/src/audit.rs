//! The policy audit: what every `#[tenant_isolated]` handler linked into a binary may do,
//! as IAM would see it, printed by a small `policies` command any binary can offer.
//!
//! ```no_run
//! // src/bin/policies.rs of a crate whose library defines the handlers. Add
//! // `use your_crate as _;` so that the library (and so every handler's registration) is
//! // linked into this binary even though nothing else of it is used here.
//! fn main() -> std::process::ExitCode {
//!     tenant_isolation::audit::main_from_args(std::env::args().skip(1))
//! }
//! ```
//!
//! ```text
//! policies list                                         every handler, its declaration and template
//! policies render --tenant acme --role-arn ARN --region us-east-1
//!                                                       the session policy each handler gets for `acme`
//! policies role [--role-arn ARN --region R] [--lambda-role-arn ARN] [--cloudformation]
//!                                                       the data-access role: policy, trust policy, CloudFormation
//! policies actions                                      the DynamoDB actions a handler may declare
//! ```
//!
//! The output is what the repository's policy proof (`tests/policy/run.sh`) evaluates with
//! an independent IAM simulator and lints with parliament; `docs/DEPLOYING.md` shows it.

use crate::spec::HandlerSpec;
use serde_json::{Value, json};
use std::process::ExitCode;
use tenant_isolation_core::{
    Action, InvalidRoleArn, InvalidTenantId, Placement, PlacementError, PolicySpec, Refusal, RoleArn, TableName,
    TenantId, is_valid_dynamodb_name, render, role_policy, tag_role_policy,
};

/// Why audit output could not be produced.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuditError {
    /// The tenant id would not pass validation at run time either.
    #[error("invalid tenant id {tenant:?}: {source}")]
    Tenant {
        /// The id as given.
        tenant: String,
        /// Why it is refused.
        source: InvalidTenantId,
    },
    /// The data-access role ARN is not an IAM role ARN.
    #[error("invalid data-access role: {0}")]
    RoleArn(#[source] InvalidRoleArn),
    /// The Lambda execution role ARN is not an IAM role ARN.
    #[error("invalid Lambda execution role: {0}")]
    LambdaRoleArn(#[source] InvalidRoleArn),
    /// The region, or a handler's physical table name (from its `table_env` variable), is
    /// not usable in an ARN.
    #[error("cannot place handler `{handler}`: {source}")]
    Placement {
        /// The handler.
        handler: &'static str,
        /// The refused value.
        source: PlacementError,
    },
    /// Session-tag handlers of one binary name different tag keys.
    #[error("session-tag handlers use the tag keys `{first}` and `{other}`: one session-tag role reads one tag")]
    MixedTags {
        /// One key.
        first: &'static str,
        /// Another.
        other: &'static str,
    },
    /// Only one of role ARN and region was given: partition and account come from the
    /// ARN, the region does not, and a half-rendered policy is neither template nor policy.
    #[error("the role ARN and the region go together: give both, or neither to keep the `{{{{...}}}}` placeholders")]
    Incomplete,
    /// A handler's rendered template is not JSON: a hand-written [`HandlerSpec`] with a
    /// malformed template (the macro's templates always are JSON).
    #[error("the rendered policy of handler `{handler}` is not JSON: {source}")]
    Rendered {
        /// The handler.
        handler: &'static str,
        /// The parser's error.
        source: serde_json::Error,
    },
}

/// Every handler registered in this binary, sorted by module path and name, each once.
///
/// A handler registers when its `#[tenant_isolated]` function is linked in; a binary whose
/// handlers live in a library must reference that library (`use my_lib as _;`).
pub fn handlers() -> Vec<&'static HandlerSpec> {
    crate::registered_handlers()
}

/// `[{handler, module, table, table_env, indexes, actions, template, worst_case_chars}]`:
/// each handler's declaration, its session-policy template (placeholders `{{...}}` open) and
/// the longest its rendered policy can be (STS accepts 2048 characters).
pub fn list_json() -> Value {
    handlers()
        .into_iter()
        .map(|spec| {
            let template: Value = serde_json::from_str(spec.template).unwrap_or_else(|_| spec.template.into());
            json!({
                "handler": spec.name,
                "module": spec.module_path,
                "table": spec.table,
                "table_env": spec.table_env,
                "indexes": spec.indexes,
                "actions": spec.actions.iter().map(|a| a.name()).collect::<Vec<_>>(),
                "session_tag": spec.session_tag,
                "template": template,
                "worst_case_chars": spec.policy_spec().build().ok().map(|t| t.worst_case_len()),
            })
        })
        .collect()
}

/// Where `spec`'s policy is rendered: partition and account from the role, its physical
/// table name (as [`crate::Isolation`] computes it), all validated.
fn place(spec: &HandlerSpec, role: &RoleArn, region: &str) -> Result<Placement, AuditError> {
    Placement::new(role.partition(), region, role.account(), &spec.table_name())
        .map_err(|source| AuditError::Placement { handler: spec.name, source })
}

/// `[{handler, policy}]`: the session policy each handler's invocations for `tenant` send
/// to STS, rendered exactly as the runtime renders it (partition and account from the
/// role ARN, physical table name from the handler's `table_env` variable when set).
pub fn render_json(tenant: &str, role_arn: &str, region: &str) -> Result<Value, AuditError> {
    let id = TenantId::parse(tenant).map_err(|source| AuditError::Tenant { tenant: tenant.to_owned(), source })?;
    let role = RoleArn::parse(role_arn).map_err(AuditError::RoleArn)?;
    let mut out = Vec::new();
    for spec in handlers() {
        // Session-tag handlers send no session policy: their isolation is the tag role's
        // policy (`policies role`), the same for every tenant.
        if spec.session_tag.is_some() {
            continue;
        }
        let rendered = render(spec.template, &place(spec, &role, region)?, &id);
        let policy: Value =
            serde_json::from_str(&rendered).map_err(|source| AuditError::Rendered { handler: spec.name, source })?;
        out.push(json!({ "handler": spec.name, "policy": policy }));
    }
    Ok(Value::Array(out))
}

/// The data-access role's identity policy: [`role_policy`] over every handler, each
/// handler's table named as `table` says. Naming the tables here leaves no `{{table}}`
/// placeholder in the union (which two `table_env` variables would make ambiguous).
fn data_access_policy(table: impl Fn(&HandlerSpec) -> String) -> String {
    let specs: Vec<PolicySpec> = handlers()
        .into_iter()
        .filter(|h| h.session_tag.is_none())
        .map(|h| PolicySpec { table: TableName::Fixed(table(h)), ..h.policy_spec() })
        .collect();
    role_policy(&specs.iter().collect::<Vec<_>>(), false)
}

/// The session-tag role's policy: [`tag_role_policy`] over the session-tag handlers, and
/// their tag key. `None` without such handlers; an error when they use different keys
/// (one role reads one tag).
fn tag_policy(table: impl Fn(&HandlerSpec) -> String) -> Result<Option<(String, &'static str)>, AuditError> {
    let tagged: Vec<&HandlerSpec> = handlers().into_iter().filter(|h| h.session_tag.is_some()).collect();
    let Some(tag) = tagged.first().and_then(|h| h.session_tag) else { return Ok(None) };
    if let Some(other) = tagged.iter().find(|h| h.session_tag != Some(tag)) {
        return Err(AuditError::MixedTags { first: tag, other: other.session_tag.unwrap_or_default() });
    }
    let specs: Vec<PolicySpec> =
        tagged.iter().map(|h| PolicySpec { table: TableName::Fixed(table(h)), ..h.policy_spec() }).collect();
    Ok(Some((tag_role_policy(&specs.iter().collect::<Vec<_>>(), tag, false), tag)))
}

/// Replaces the account-level placeholders of the role policy (`{{partition}}`,
/// `{{region}}`, `{{account}}`). The values are validated ([`RoleArn`], [`Placement`]) or
/// CloudFormation pseudo-parameters; the role policy has no `{{tenant}}` and, its tables
/// being named, no `{{table}}`.
fn fill_account(template: &str, partition: &str, region: &str, account: &str) -> String {
    template.replace("{{partition}}", partition).replace("{{region}}", region).replace("{{account}}", account)
}

/// The trust policy of the data-access role: the Lambda execution role may assume it.
///
/// Only `sts:AssumeRole`: this role never receives session tags. The session-tag role's
/// trust policy (in `session_tag_role`) adds `sts:TagSession`.
fn trust_policy(lambda_role: &str) -> Value {
    trust_policy_with(lambda_role, &["sts:AssumeRole"])
}

fn trust_policy_with(lambda_role: &str, actions: &[&str]) -> Value {
    let action = match actions {
        [one] => json!(one),
        many => json!(many),
    };
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "LambdaExecutionRoleAssumes",
            "Effect": "Allow",
            "Principal": { "AWS": lambda_role },
            "Action": action,
        }]
    })
}

/// `{data_access_role_policy, trust_policy, execution_role_policy, cloudformation}`: the
/// data-access role's policy, its trust policy, what the Lambda execution role needs to
/// assume it, and a CloudFormation/SAM snippet creating the role.
///
/// With `role_arn` and `region`, the policies name that partition, account and region;
/// without them they keep `{{partition}}`, `{{region}}`, `{{account}}` (and
/// `{{lambda_role_arn}}`, `{{role_arn}}`). Table names are the physical names (each
/// handler's `table_env` variable when set, else the declared name). The CloudFormation
/// snippet always uses `!Sub` with the stack's pseudo-parameters and a parameter per
/// `table_env` variable.
pub fn role_json(
    role_arn: Option<&str>,
    region: Option<&str>,
    lambda_role_arn: Option<&str>,
) -> Result<Value, AuditError> {
    let lambda_role = lambda_role_arn.map(RoleArn::parse).transpose().map_err(AuditError::LambdaRoleArn)?;
    let role = match (role_arn, region) {
        (Some(arn), Some(region)) => Some((RoleArn::parse(arn).map_err(AuditError::RoleArn)?, region)),
        (None, None) => None,
        _ => return Err(AuditError::Incomplete),
    };
    // The checks rendering a session policy makes: table names (they may come from the
    // environment) and, when given, the region.
    for spec in handlers() {
        match &role {
            Some((role, region)) => drop(place(spec, role, region)?),
            None if is_valid_dynamodb_name(&spec.table_name()) => {}
            None => {
                return Err(AuditError::Placement {
                    handler: spec.name,
                    source: PlacementError::Table(spec.table_name()),
                });
            }
        }
    }
    let template = data_access_policy(HandlerSpec::table_name);
    let policy = match &role {
        Some((role, region)) => fill_account(&template, role.partition().as_str(), region, role.account()),
        None => template,
    };
    let policy: Value = serde_json::from_str(&policy).expect("the role policy writer emits JSON");
    let tagged = tag_policy(HandlerSpec::table_name)?.map(|(template, tag)| {
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
            "trust_policy": trust_policy_with(
                lambda_role.as_ref().map_or("{{lambda_role_arn}}", RoleArn::as_str),
                &["sts:AssumeRole", "sts:TagSession"],
            ),
        })
    });
    Ok(json!({
        "session_tag_role": tagged,
        "data_access_role_policy": policy,
        "trust_policy": trust_policy(lambda_role.as_ref().map_or("{{lambda_role_arn}}", RoleArn::as_str)),
        "execution_role_policy": {
            "Version": "2012-10-17",
            "Statement": [{
                "Sid": "AssumeTenantDataRole",
                "Effect": "Allow",
                "Action": "sts:AssumeRole",
                "Resource": role.as_ref().map_or("{{role_arn}}", |(role, _)| role.as_str()),
            }]
        },
        "cloudformation": cloudformation(lambda_role_arn),
    }))
}

/// `ORDERS_TABLE` → `OrdersTable`: CloudFormation parameter names are alphanumeric.
fn parameter_name(var: &str) -> String {
    let name: String = var
        .split('_')
        .filter(|part| !part.is_empty())
        .map(|part| {
            let lower = part.to_ascii_lowercase();
            lower[..1].to_ascii_uppercase() + &lower[1..]
        })
        .collect();
    if name.is_empty() { "TableName".to_owned() } else { name }
}

/// The CloudFormation/SAM snippet: a parameter for the execution role (and one per table
/// variable, defaulting to the declared name), the role with its trust policy and inline
/// policy, and the output to set as `TENANT_ROLE_ARN`.
fn cloudformation(lambda_role_arn: Option<&str>) -> String {
    let mut tables: Vec<(&str, &str)> = handlers().iter().filter_map(|h| h.table_env.map(|v| (v, h.table))).collect();
    tables.sort_unstable();
    tables.dedup_by_key(|(var, _)| *var);
    let template = data_access_policy(|h| match h.table_env {
        Some(var) => format!("${{{}}}", parameter_name(var)),
        None => h.table.to_owned(),
    });
    let policy = fill_account(&template, "${AWS::Partition}", "${AWS::Region}", "${AWS::AccountId}");
    let policy: Value = serde_json::from_str(&policy).expect("the role policy writer emits JSON");

    let mut y = String::new();
    y.push_str("# The data-access role that tenant sessions assume (generated by `policies role`).\n");
    y.push_str("# Every partition key of the tables and indexes below must start with `TENANT#<tenant id>`.\n");
    y.push_str("Parameters:\n");
    y.push_str("  LambdaExecutionRoleArn:\n    Type: String\n");
    y.push_str("    Description: ARN of the Lambda execution role that assumes the data-access role\n");
    if let Some(arn) = lambda_role_arn {
        y.push_str(&format!("    Default: {}\n", yaml_string(arn)));
    }
    for (var, default) in &tables {
        y.push_str(&format!(
            "  {}:\n    Type: String\n    Default: {}\n    Description: Physical table name; set the handlers' `{var}` to the same value\n",
            parameter_name(var),
            yaml_string(default)
        ));
    }
    y.push_str("Resources:\n  TenantDataRole:\n    Type: AWS::IAM::Role\n    Properties:\n");
    y.push_str("      Description: Per-tenant DynamoDB access; narrowed by a session policy on every AssumeRole\n");
    // Sessions assumed by a Lambda role are role chaining, capped at one hour whatever this says.
    y.push_str("      MaxSessionDuration: 3600\n");
    y.push_str("      AssumeRolePolicyDocument:\n");
    yaml_value(&mut y, &trust_policy("${LambdaExecutionRoleArn}"), 8);
    y.push_str("      Policies:\n        - PolicyName: tenant-data-access\n          PolicyDocument:\n");
    yaml_value(&mut y, &policy, 12);
    y.push_str("Outputs:\n  TenantRoleArn:\n");
    y.push_str("    Description: Set as TENANT_ROLE_ARN on every tenant-isolated function\n");
    y.push_str("    Value: !GetAtt TenantDataRole.Arn\n");
    y
}

/// A YAML double-quoted scalar (JSON string syntax is valid YAML); a string naming a
/// `${...}` CloudFormation variable becomes `!Sub "..."`, or `!Ref Name` when it is only that.
fn yaml_string(s: &str) -> String {
    let quoted = Value::from(s).to_string();
    match s.strip_prefix("${").and_then(|r| r.strip_suffix('}')) {
        Some(name) if name.bytes().all(|b| b.is_ascii_alphanumeric()) => format!("!Ref {name}"),
        _ if s.contains("${") => format!("!Sub {quoted}"),
        _ => quoted,
    }
}

/// IAM's customary key order; these keys are also the ones written plain in YAML.
const POLICY_KEYS: [&str; 9] =
    ["Version", "Statement", "Sid", "Effect", "Principal", "AWS", "Action", "Resource", "Condition"];

/// A mapping key: plain for the policy grammar's own keys, else double-quoted. Quoting is
/// not cosmetic: a plain `Null:` is YAML's null, and the `Null` guard would silently
/// vanish from the deployed policy.
fn yaml_key(k: &str) -> String {
    if POLICY_KEYS.contains(&k) { k.to_owned() } else { Value::from(k).to_string() }
}

/// Block-style YAML for a policy document (objects, arrays and strings only).
fn yaml_value(out: &mut String, value: &Value, indent: usize) {
    let pad = " ".repeat(indent);
    match value {
        Value::Object(map) => {
            // IAM's customary order (serde_json's map is sorted alphabetically).
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_by_key(|(k, _)| POLICY_KEYS.iter().position(|o| o == k).unwrap_or(POLICY_KEYS.len()));
            for (k, v) in entries {
                match v {
                    Value::Object(_) | Value::Array(_) => {
                        out.push_str(&format!("{pad}{}:\n", yaml_key(k)));
                        yaml_value(out, v, indent + 2);
                    }
                    _ => out.push_str(&format!("{pad}{}: {}\n", yaml_key(k), yaml_scalar(v))),
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                match item {
                    Value::Object(_) | Value::Array(_) => {
                        // `- ` followed by the first entry on the same line, the rest aligned.
                        let mut nested = String::new();
                        yaml_value(&mut nested, item, indent + 2);
                        out.push_str(&pad);
                        out.push_str("- ");
                        out.push_str(nested.trim_start());
                    }
                    _ => out.push_str(&format!("{pad}- {}\n", yaml_scalar(item))),
                }
            }
        }
        scalar => out.push_str(&format!("{pad}{}\n", yaml_scalar(scalar))),
    }
}

fn yaml_scalar(v: &Value) -> String {
    match v {
        Value::String(s) => yaml_string(s),
        other => other.to_string(),
    }
}

/// `{"name", "allowed", "refusal", "reason"}` for one name, as `#[tenant_isolated]` judges it.
fn classify_json(name: &str) -> Value {
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

const USAGE: &str = "\
usage: policies <command> [options]

commands:
  list                                   every handler: declaration, policy template, worst-case size
  render --tenant ID --role-arn ARN --region REGION
                                         the session policy of every handler for one tenant
  role [--role-arn ARN --region REGION] [--lambda-role-arn ARN] [--cloudformation]
                                         the data-access role policy, its trust policy and a
                                         CloudFormation snippet (raw YAML with --cloudformation)
  actions                                the DynamoDB actions a handler may declare
  classify NAME...                       how `actions = [...]` treats each name: allowed, or
                                         refused and why
  --help                                 this text

Output is JSON on stdout. Exit status: 0 success, 1 invalid value, 2 usage error.
";

/// A command line that does not parse (exit status 2).
#[derive(Debug)]
struct Usage(String);

/// The `--name value` (or `--name=value`) options of one command; `switches` take no value.
struct Options {
    values: Vec<(&'static str, String)>,
    switches: Vec<&'static str>,
}

impl Options {
    fn parse(
        args: impl IntoIterator<Item = String>,
        names: &[&'static str],
        switch_names: &[&'static str],
    ) -> Result<Options, Usage> {
        let mut opts = Options { values: Vec::new(), switches: Vec::new() };
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            let (flag, inline) = match arg.split_once('=') {
                Some((f, v)) => (f.to_owned(), Some(v.to_owned())),
                None => (arg, None),
            };
            if let Some(&name) = switch_names.iter().find(|n| **n == flag) {
                if inline.is_some() {
                    return Err(Usage(format!("`{name}` takes no value")));
                }
                opts.switches.push(name);
                continue;
            }
            let Some(&name) = names.iter().find(|n| **n == flag) else {
                let expected: Vec<String> = names.iter().chain(switch_names).map(|n| format!("`{n}`")).collect();
                return Err(Usage(format!("unexpected argument `{flag}`: expected one of: {}", expected.join(", "))));
            };
            let value = match inline.or_else(|| args.next()) {
                Some(v) if !v.is_empty() => v,
                _ => return Err(Usage(format!("`{name}` needs a value"))),
            };
            if opts.get(name).is_some() {
                return Err(Usage(format!("`{name}` is given twice")));
            }
            opts.values.push((name, value));
        }
        Ok(opts)
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.values.iter().find(|(n, _)| *n == name).map(|(_, v)| v.as_str())
    }

    fn require(&self, name: &str) -> Result<&str, Usage> {
        self.get(name).ok_or_else(|| Usage(format!("missing `{name}`")))
    }
}

/// What a command produced.
enum Output {
    Json(Value),
    Text(String),
}

enum Failure {
    Usage(Usage),
    Invalid(AuditError),
}

impl From<Usage> for Failure {
    fn from(u: Usage) -> Self {
        Failure::Usage(u)
    }
}

impl From<AuditError> for Failure {
    fn from(e: AuditError) -> Self {
        Failure::Invalid(e)
    }
}

fn run(mut args: impl Iterator<Item = String>) -> Result<Output, Failure> {
    let command = args.next().ok_or_else(|| Usage("missing command".to_owned()))?;
    match command.as_str() {
        "--help" | "-h" | "help" => Ok(Output::Text(USAGE.to_owned())),
        "list" => {
            Options::parse(args, &[], &[])?;
            Ok(Output::Json(list_json()))
        }
        "actions" => {
            Options::parse(args, &[], &[])?;
            Ok(Output::Json(Action::ALL.iter().map(|a| a.iam_name()).collect()))
        }
        "classify" => {
            let names: Vec<String> = args.collect();
            if names.is_empty() {
                return Err(Usage("`classify` needs at least one action name".to_owned()).into());
            }
            Ok(Output::Json(names.iter().map(|n| classify_json(n)).collect()))
        }
        "render" => {
            let o = Options::parse(args, &["--tenant", "--role-arn", "--region"], &[])?;
            Ok(Output::Json(render_json(o.require("--tenant")?, o.require("--role-arn")?, o.require("--region")?)?))
        }
        "role" => {
            let o = Options::parse(args, &["--role-arn", "--region", "--lambda-role-arn"], &["--cloudformation"])?;
            if o.get("--role-arn").is_some() != o.get("--region").is_some() {
                return Err(Usage("`--role-arn` and `--region` go together: give both or neither".to_owned()).into());
            }
            let v = role_json(o.get("--role-arn"), o.get("--region"), o.get("--lambda-role-arn"))?;
            if o.switches.contains(&"--cloudformation") {
                Ok(Output::Text(v["cloudformation"].as_str().unwrap_or_default().to_owned()))
            } else {
                Ok(Output::Json(v))
            }
        }
        other => Err(Usage(format!(
            "unknown command `{other}`: expected one of: `list`, `render`, `role`, `actions`, `--help`"
        ))
        .into()),
    }
}

/// The `policies` command: `list`, `render`, `role`, `actions`, `--help` (see the module
/// docs). Prints JSON on stdout; on error prints a message on stderr and returns exit status
/// 2 for a usage error, 1 for an invalid value (such as a tenant id `*`).
pub fn main_from_args(args: impl Iterator<Item = String>) -> ExitCode {
    match run(args) {
        Ok(Output::Json(v)) => {
            println!("{}", serde_json::to_string_pretty(&v).expect("a JSON value serialises"));
            ExitCode::SUCCESS
        }
        Ok(Output::Text(t)) => {
            print!("{t}");
            ExitCode::SUCCESS
        }
        Err(Failure::Usage(Usage(message))) => {
            eprintln!("error: {message}\n\n{USAGE}");
            ExitCode::from(2)
        }
        Err(Failure::Invalid(e)) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::__private::Registration;

    // Two handlers registered in this test binary, written the way the macro writes them
    // (the macro cannot be used inside the crate that defines `::tenant_isolation`).
    const QUERY_TEMPLATE: &str = r#"{"Version":"2012-10-17","Statement":[{"Sid":"TenantItems","Effect":"Allow","Action":["dynamodb:Query"],"Resource":["arn:{{partition}}:dynamodb:{{region}}:{{account}}:table/{{table}}"],"Condition":{"ForAllValues:StringLike":{"dynamodb:LeadingKeys":["TENANT#{{tenant}}","TENANT#{{tenant}}#*"]},"Null":{"dynamodb:LeadingKeys":"false"}}},{"Sid":"TenantIndexes","Effect":"Allow","Action":["dynamodb:Query"],"Resource":["arn:{{partition}}:dynamodb:{{region}}:{{account}}:table/{{table}}/index/ByStatus"],"Condition":{"ForAllValues:StringLike":{"dynamodb:LeadingKeys":["TENANT#{{tenant}}","TENANT#{{tenant}}#*"]},"Null":{"dynamodb:LeadingKeys":"false"}}}]}"#;
    const GET_TEMPLATE: &str = r#"{"Version":"2012-10-17","Statement":[{"Sid":"TenantItems","Effect":"Allow","Action":["dynamodb:GetItem"],"Resource":["arn:{{partition}}:dynamodb:{{region}}:{{account}}:table/Audit"],"Condition":{"ForAllValues:StringLike":{"dynamodb:LeadingKeys":["TENANT#{{tenant}}","TENANT#{{tenant}}#*"]},"Null":{"dynamodb:LeadingKeys":"false"}}}]}"#;

    static LIST: HandlerSpec = HandlerSpec {
        name: "list_things",
        module_path: "audit_tests::b",
        table: "Things",
        table_env: Some("AUDIT_TEST_THINGS_TABLE"),
        indexes: &["ByStatus"],
        actions: &[Action::Query],
        key_prefix: "TENANT#",
        template: QUERY_TEMPLATE,
        session_tag: None,
        policy_id: tenant_isolation_core::policy_id(QUERY_TEMPLATE),
    };
    static GET: HandlerSpec = HandlerSpec {
        name: "get_thing",
        module_path: "audit_tests::a",
        table: "Audit",
        table_env: None,
        indexes: &[],
        actions: &[Action::GetItem],
        key_prefix: "TENANT#",
        template: GET_TEMPLATE,
        session_tag: None,
        policy_id: tenant_isolation_core::policy_id(GET_TEMPLATE),
    };
    inventory::submit! { Registration(&LIST) }
    inventory::submit! { Registration(&GET) }
    // The same handler twice (a binary linking two copies) is listed once.
    inventory::submit! { Registration(&GET) }

    const ROLE: &str = "arn:aws-cn:iam::123456789012:role/TenantData";

    #[test]
    fn the_hand_written_templates_are_what_the_core_builds() {
        for spec in [&LIST, &GET] {
            assert_eq!(spec.policy_spec().build().unwrap().compact(), spec.template);
        }
    }

    #[test]
    fn handlers_are_sorted_and_deduplicated() {
        let names: Vec<_> = handlers().iter().map(|h| (h.module_path, h.name)).collect();
        assert_eq!(names, [("audit_tests::a", "get_thing"), ("audit_tests::b", "list_things")]);
    }

    #[test]
    fn list_shows_declarations_and_sizes() {
        let list = list_json();
        let get = &list[0];
        assert_eq!(get["handler"], "get_thing");
        assert_eq!(get["module"], "audit_tests::a");
        assert_eq!(get["table_env"], Value::Null);
        assert_eq!(get["actions"], json!(["GetItem"]));
        assert_eq!(get["template"]["Statement"][0]["Action"], json!(["dynamodb:GetItem"]));
        let worst = get["worst_case_chars"].as_u64().unwrap();
        assert!(worst > GET_TEMPLATE.len() as u64 && worst <= 2048, "{worst}");
        assert_eq!(list[1]["table_env"], "AUDIT_TEST_THINGS_TABLE");
        assert_eq!(list[1]["indexes"], json!(["ByStatus"]));
    }

    #[test]
    fn render_fills_partition_account_region_table_and_tenant() {
        let v = render_json("acme", ROLE, "cn-north-1").unwrap();
        assert_eq!(v[0]["handler"], "get_thing");
        let st = &v[0]["policy"]["Statement"][0];
        assert_eq!(st["Resource"], json!(["arn:aws-cn:dynamodb:cn-north-1:123456789012:table/Audit"]));
        assert_eq!(
            st["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"],
            json!(["TENANT#acme", "TENANT#acme#*"])
        );
        assert_eq!(st["Condition"]["Null"]["dynamodb:LeadingKeys"], "false");
        // `AUDIT_TEST_THINGS_TABLE` is unset: the declared name.
        assert_eq!(
            v[1]["policy"]["Statement"][1]["Resource"],
            json!(["arn:aws-cn:dynamodb:cn-north-1:123456789012:table/Things/index/ByStatus"])
        );
        assert!(!v.to_string().contains("{{"));
    }

    #[test]
    fn render_refuses_what_the_runtime_refuses() {
        match render_json("*", ROLE, "us-east-1") {
            Err(e @ AuditError::Tenant { .. }) => {
                assert_eq!(
                    e.to_string(),
                    "invalid tenant id \"*\": tenant id has '*' at position 0; only `A-Z`, `a-z`, `0-9`, `_` and `-` are allowed"
                );
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(render_json("acme#x", ROLE, "us-east-1"), Err(AuditError::Tenant { .. })));
        assert!(matches!(
            render_json("acme", "arn:aws:iam::123456789012:user/bob", "us-east-1"),
            Err(AuditError::RoleArn(_))
        ));
        assert!(matches!(
            render_json("acme", ROLE, "us-east-1*"),
            Err(AuditError::Placement { source: PlacementError::Region(_), .. })
        ));
    }

    #[test]
    fn role_policy_is_the_union_with_tables_named() {
        let v = role_json(None, None, None).unwrap();
        let policy = &v["data_access_role_policy"];
        // Each table gets its own handlers' actions only.
        let actions_on = |resource: &str| -> Vec<Value> {
            policy["Statement"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|s| s["Resource"].as_array().unwrap().iter().any(|r| r == resource))
                .map(|s| s["Action"].clone())
                .collect()
        };
        assert_eq!(
            actions_on("arn:{{partition}}:dynamodb:{{region}}:{{account}}:table/Audit"),
            [json!(["dynamodb:GetItem"])]
        );
        assert_eq!(
            actions_on("arn:{{partition}}:dynamodb:{{region}}:{{account}}:table/Things"),
            [json!(["dynamodb:Query"])]
        );
        assert_eq!(
            actions_on("arn:{{partition}}:dynamodb:{{region}}:{{account}}:table/Things/index/ByStatus"),
            [json!(["dynamodb:Query"])]
        );
        assert_eq!(v["trust_policy"]["Statement"][0]["Principal"]["AWS"], "{{lambda_role_arn}}");
        assert_eq!(v["execution_role_policy"]["Statement"][0]["Resource"], "{{role_arn}}");

        let v = role_json(Some(ROLE), Some("cn-north-1"), Some("arn:aws-cn:iam::123456789012:role/fn")).unwrap();
        let text = v["data_access_role_policy"].to_string();
        assert!(text.contains("arn:aws-cn:dynamodb:cn-north-1:123456789012:table/Things/index/ByStatus"), "{text}");
        assert!(!text.contains("{{"), "{text}");
        let trust = &v["trust_policy"]["Statement"][0];
        assert_eq!(trust["Principal"]["AWS"], "arn:aws-cn:iam::123456789012:role/fn");
        // No session tags are sent, so no `sts:TagSession`.
        assert_eq!(trust["Action"], "sts:AssumeRole");
        assert_eq!(v["execution_role_policy"]["Statement"][0]["Resource"], ROLE);
    }

    #[test]
    fn role_refuses_bad_or_partial_input() {
        assert!(matches!(role_json(Some(ROLE), None, None), Err(AuditError::Incomplete)));
        assert!(matches!(role_json(None, Some("us-east-1"), None), Err(AuditError::Incomplete)));
        assert!(matches!(
            role_json(Some("arn:aws:iam::1:role/x"), Some("us-east-1"), None),
            Err(AuditError::RoleArn(_))
        ));
        assert!(matches!(role_json(None, None, Some("fn")), Err(AuditError::LambdaRoleArn(_))));
    }

    #[test]
    fn cloudformation_uses_sub_and_parameters() {
        let y = role_json(None, None, None).unwrap()["cloudformation"].as_str().unwrap().to_owned();
        assert!(y.contains("  AuditTestThingsTable:\n    Type: String\n    Default: \"Things\"\n"), "{y}");
        assert!(y.contains(
            "- !Sub \"arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${AuditTestThingsTable}/index/ByStatus\""
        ), "{y}");
        assert!(
            y.contains("- !Sub \"arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/Audit\""),
            "{y}"
        );
        assert!(y.contains("AWS: !Ref LambdaExecutionRoleArn\n"), "{y}");
        assert!(y.contains("\"ForAllValues:StringLike\":\n"), "{y}");
        assert!(y.contains("\"Null\":\n") && !y.contains(" Null:"), "{y}");
        assert!(y.contains("Value: !GetAtt TenantDataRole.Arn"));
        assert!(!y.contains("{{"), "{y}");
        assert!(!y.contains("sts:TagSession"));
    }

    #[test]
    fn yaml_lists_of_maps_align() {
        let mut y = String::new();
        yaml_value(&mut y, &json!({"Statement": [{"Sid": "x", "Null": ["y"]}]}), 0);
        assert_eq!(y, "Statement:\n  - Sid: \"x\"\n    \"Null\":\n      - \"y\"\n");
    }

    #[test]
    fn parameter_names_are_alphanumeric() {
        assert_eq!(parameter_name("ORDERS_TABLE"), "OrdersTable");
        assert_eq!(parameter_name("_X__Y2"), "XY2");
        assert_eq!(parameter_name("__"), "TableName");
    }

    fn cli(args: &[&str]) -> Result<Output, Failure> {
        run(args.iter().map(|s| (*s).to_owned()))
    }

    #[test]
    fn cli_commands_and_exit_kinds() {
        assert!(matches!(cli(&["list"]), Ok(Output::Json(Value::Array(_)))));
        match cli(&["actions"]) {
            Ok(Output::Json(v)) => {
                assert_eq!(v.as_array().unwrap().len(), 12);
                assert_eq!(v[0], "dynamodb:BatchGetItem");
            }
            _ => panic!(),
        }
        assert!(matches!(cli(&["--help"]), Ok(Output::Text(t)) if t.starts_with("usage: policies")));
        match cli(&["classify", "GetItem", "dynamodb:Scan", "CreateGlobalTableWitness", "GetIteem"]) {
            Ok(Output::Json(v)) => {
                assert_eq!(v[0]["allowed"], true);
                assert_eq!(v[1]["refusal"], "scan");
                assert_eq!(v[2]["refusal"], "not-tenant-scoped");
                assert_eq!(v[3]["refusal"], "unknown");
            }
            _ => panic!(),
        }
        assert!(matches!(cli(&["classify"]), Err(Failure::Usage(_))));
        assert!(matches!(
            cli(&["render", "--tenant", "acme", "--role-arn", ROLE, "--region=us-east-1"]),
            Ok(Output::Json(_))
        ));
        assert!(matches!(
            cli(&["render", "--tenant", "*", "--role-arn", ROLE, "--region", "us-east-1"]),
            Err(Failure::Invalid(AuditError::Tenant { .. }))
        ));
        assert!(matches!(
            cli(&["role", "--cloudformation"]),
            Ok(Output::Text(t)) if t.starts_with("# The data-access role")
        ));
        for (args, message) in [
            (&[][..], "missing command"),
            (&["frobnicate"], "unknown command `frobnicate`"),
            (&["render", "--tenant", "acme", "--region", "us-east-1"], "missing `--role-arn`"),
            (&["render", "--tenant"], "`--tenant` needs a value"),
            (&["render", "--tenant", "a", "--tenant", "b"], "`--tenant` is given twice"),
            (&["list", "--tenant", "a"], "unexpected argument `--tenant`"),
            (&["role", "--role-arn", ROLE], "`--role-arn` and `--region` go together"),
        ] {
            match cli(args) {
                Err(Failure::Usage(Usage(m))) => assert!(m.starts_with(message), "{args:?}: {m}"),
                _ => panic!("{args:?} is not a usage error"),
            }
        }
    }
}
