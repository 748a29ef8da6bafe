//! The whole application as one CloudFormation/SAM template (`policies template`): per
//! function its execution role, its environment and its event source, and the data role(s)
//! that tenant sessions assume, written as JSON.
//!
//! ```text
//! --function get-order=http-api@GET/orders/{id}:handlers::get_order
//!   → GetOrderExecutionRole   logs of its own log group; sts:AssumeRole on TenantDataRole; nothing else
//!     GetOrderLogGroup        /aws/lambda/${NamePrefix}-get-order
//!     GetOrderFunction        target/lambda/get-order/, Role: GetOrderExecutionRole,
//!                             Environment: TENANT_ROLE_ARN, ORDERS_TABLE, JWT settings, …
//!                             Events: GET /orders/{id} of TenantHttpApi (JWT authorizer)
//!     TenantDataRole          the union of the template's handlers' actions on TENANT#* keys;
//!                             trust: exactly the execution roles of the functions that need it
//! ```
//!
//! **No dependency cycle between the roles.** An execution role's policy names the data role
//! (`Fn::GetAtt`), so the data role's trust policy cannot name the execution roles the same way:
//! each would wait for the other. Nor can it name them as principals before they exist (IAM
//! refuses a trust policy whose principal role does not exist yet). So the data role trusts its
//! own account's root with a condition on `aws:PrincipalArn`, listing the execution roles' ARNs
//! built from the names this template gives them (`${NamePrefix}-<function>-exec`): the account
//! root always exists, the names are known before any role is created, and only a session of one
//! of those roles (whose own policy allows `sts:AssumeRole` on the data role) matches. The ARN is
//! compared as text, so a role deleted and recreated with the same name is trusted again, as the
//! template means.

use crate::bindings;
use crate::cloudformation::{self, Parameters, intrinsics, logical_name, parameter_name};
use crate::error::{AuditError, TemplateError};
use crate::function::{Function, Route, Source, path_of};
use crate::kind::{Apart, Kind};
use crate::report::{checked_handlers, data_access_policy, stack_name, stack_policy, tag_policy};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use tenant_isolation::HandlerSpec;
use tenant_isolation::audit::vars;
use tenant_isolation_core::PhysicalName;

/// What `policies template` takes besides the functions.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TemplateOptions {
    /// The claim of the callers' tokens that names the tenant: the functions' `TENANT_CLAIM`, and
    /// what a REST API maps to Lambda's tenant id. Default `custom:tenant_id` (Cognito).
    pub tenant_claim: String,
    /// Where `cargo lambda build` writes each binary's directory, relative to the template.
    /// Default `target/lambda`.
    pub code_dir: String,
}

impl Default for TemplateOptions {
    fn default() -> TemplateOptions {
        TemplateOptions { tenant_claim: "custom:tenant_id".to_owned(), code_dir: "target/lambda".to_owned() }
    }
}

impl TemplateOptions {
    /// These options with `claim` as the tenant claim.
    pub fn tenant_claim(mut self, claim: impl Into<String>) -> TemplateOptions {
        self.tenant_claim = claim.into();
        self
    }

    /// These options with `dir` as the binaries' directory.
    pub fn code_dir(mut self, dir: impl Into<String>) -> TemplateOptions {
        self.code_dir = dir.into();
        self
    }
}

// The template's own parameters.
const NAME_PREFIX: &str = "NamePrefix";
const JWT_ISSUER: &str = "TenantJwtIssuer";
const JWT_AUDIENCE: &str = "TenantJwtAudience";
const USER_POOL_ARN: &str = "CognitoUserPoolArn";
const STAGE: &str = "RestApiStage";
const PARTITION_KEY: &str = "TenantPartitionKey";
const TABLE_PARTITION_KEYS: &str = "TenantTablePartitionKeys";

// Its resources that no function owns.
const DATA_ROLE: &str = "TenantDataRole";
const TAG_ROLE: &str = "TenantTagRole";
const HTTP_API: &str = "TenantHttpApi";
const REST_API: &str = "TenantRestApi";

/// `lambda_http` prefixes a REST API event's path with its stage (`/prod/orders`), so an axum
/// router behind a REST stage answers 404 to every route, unless this variable is set (it reads
/// `env::var(..).is_ok()`: any value, even `false`, turns the prefix off). HTTP APIs' `$default`
/// stage adds no prefix.
const IGNORE_STAGE_IN_PATH: &str = "AWS_LAMBDA_HTTP_IGNORE_STAGE_IN_PATH";

/// Lambda timeout of every function, seconds: within API Gateway's 29 s integration limit, and
/// a sixth of the queues' visibility timeout (AWS's advice for SQS event sources).
const TIMEOUT_SECONDS: u32 = 29;
const VISIBILITY_TIMEOUT_SECONDS: u32 = 6 * TIMEOUT_SECONDS;

/// One function, resolved.
struct Planned<'a> {
    arg: &'a Function,
    /// `CreateOrder`: the start of its resources' logical ids.
    id: String,
    handlers: Vec<&'static HandlerSpec>,
    /// For a stream source: its table.
    stream: Option<StreamTable>,
}

/// The table of a stream source.
#[derive(Clone)]
struct StreamTable {
    /// As the template writes it: `${OrdersTable}`, or a fixed name.
    name: String,
    /// Its variable and declared name, when a variable binds it.
    var: Option<(&'static str, &'static str)>,
    /// Its stream ARN's parameter (`OrdersTableStreamArn`).
    parameter: String,
}

impl Planned<'_> {
    fn name(&self) -> &str {
        &self.arg.name
    }

    fn resource(&self, suffix: &str) -> String {
        format!("{}{suffix}", self.id)
    }

    /// It has session-policy handlers: it assumes the data-access role.
    fn needs_data_role(&self) -> bool {
        self.handlers.iter().any(|h| h.session_tag().is_none())
    }

    /// It has session-tag handlers: it assumes the session-tag role.
    fn needs_tag_role(&self) -> bool {
        self.handlers.iter().any(|h| h.session_tag().is_some())
    }

    /// Its execution role's ARN, from the name the template gives it (see the module docs).
    fn role_arn(&self) -> String {
        format!("arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:role/${{{NAME_PREFIX}}}-{}-exec", self.name())
    }

    fn function_name(&self) -> String {
        format!("${{{NAME_PREFIX}}}-{}", self.name())
    }
}

/// The template for `functions` (see the module docs): JSON, with CloudFormation's intrinsic
/// functions (`Ref`, `Fn::Sub`, `Fn::GetAtt`) where it names the stack's parameters and resources.
///
/// Every handler linked into the binary is checked first, as for `policies role` (no key
/// prefixes that overlap on a table, by resolved name or through a variable); then each
/// function's handler patterns must each match, the functions' names and routes must not
/// collide, and no two variables may become one parameter.
pub fn template_json(functions: &[Function], options: &TemplateOptions) -> Result<Value, AuditError> {
    let linked = checked_handlers()?;
    let planned = plan(functions, &linked)?;
    let rest = planned.iter().any(|p| matches!(p.arg.source, Source::RestApi(_)));
    if rest && !is_mappable_claim(&options.tenant_claim) {
        return Err(TemplateError::TenantClaim(options.tenant_claim.clone()).into());
    }
    let mut all: Vec<&'static HandlerSpec> = Vec::new();
    for h in planned.iter().flat_map(|p| &p.handlers) {
        if !all.iter().any(|a| std::ptr::eq(*a, *h)) {
            all.push(h);
        }
    }

    let mut t = Template::default();
    t.parameters(&planned, &all, &linked)?;
    t.rules(&all);
    t.data_roles(&planned, &all)?;
    for p in &planned {
        t.function(p, options)?;
    }
    t.apis(&planned, options)?;
    let description = format!(
        "A tenant-isolated application (generated by `policies template`): {} function(s), each with an execution \
         role of its own that may only write its logs and assume the tenant data role(s); no function reads a \
         table or bucket with its own role.",
        planned.len()
    );
    let mut template = json!({
        "AWSTemplateFormatVersion": "2010-09-09",
        "Transform": "AWS::Serverless-2016-10-31",
        "Description": description,
        "Parameters": t.parameters.into_json(),
        "Resources": t.resources,
        "Outputs": t.outputs,
    });
    if !t.rules.is_empty() {
        template["Rules"] = Value::Object(t.rules);
    }
    Ok(intrinsics(template))
}

/// Resolves every function's handlers, and refuses names, resources and routes that collide.
fn plan<'a>(functions: &'a [Function], linked: &[&'static HandlerSpec]) -> Result<Vec<Planned<'a>>, AuditError> {
    let mut planned: Vec<Planned<'a>> = Vec::new();
    for f in functions {
        if planned.iter().any(|p| p.name() == f.name) {
            return Err(TemplateError::DuplicateFunction(f.name.clone()).into());
        }
        let stream = match &f.source {
            Source::DynamoDbStream(table) => Some(stream_table(f, table, linked)?),
            _ => None,
        };
        planned.push(Planned { arg: f, id: logical_name(&f.name), handlers: f.resolve(linked)?, stream });
    }
    for api in ["HTTP API", "REST API"] {
        let mut taken: BTreeMap<String, &str> = BTreeMap::new();
        for p in &planned {
            let routes = match (&p.arg.source, api) {
                (Source::HttpApi(routes), "HTTP API") | (Source::RestApi(routes), "REST API") => routes,
                _ => continue,
            };
            let keys: Vec<String> = match &routes[..] {
                [] => vec!["every path".to_owned()],
                routes => routes.iter().map(|r| format!("`{r}`")).collect(),
            };
            for route in keys {
                if let Some(first) = taken.insert(route.clone(), p.name()) {
                    return Err(TemplateError::RouteTaken {
                        api,
                        route,
                        first: first.to_owned(),
                        second: p.name().to_owned(),
                    }
                    .into());
                }
            }
        }
    }
    Ok(planned)
}

/// The table of a stream source, named by a linked handler's variable or fixed name.
fn stream_table(f: &Function, table: &str, linked: &[&'static HandlerSpec]) -> Result<StreamTable, TemplateError> {
    let tables: Vec<&'static tenant_isolation::model::PhysicalName> =
        linked.iter().flat_map(|h| h.tables().iter().map(|t| &t.table)).collect();
    let found = tables
        .iter()
        .find(|n| n.env_var() == Some(table))
        .or_else(|| tables.iter().find(|n| n.env_var().is_none() && n.declared() == table));
    match found {
        Some(name) => Ok(StreamTable {
            name: stack_name(name),
            var: name.env_var().map(|var| (var, name.declared())),
            parameter: format!("{}StreamArn", logical_name(table)),
        }),
        None => {
            let mut known: Vec<String> =
                tables.iter().map(|n| format!("`{}`", n.env_var().unwrap_or(n.declared()))).collect();
            known.sort();
            known.dedup();
            Err(TemplateError::UnknownStreamTable {
                function: f.name.clone(),
                table: table.to_owned(),
                tables: known.join(", "),
            })
        }
    }
}

/// A claim API Gateway can name in `context.authorizer.claims.<claim>`. AWS documents mapping
/// expressions as `[a-zA-Z0-9._$-]`; REST APIs also accept a Cognito `custom:` attribute there (as
/// deployed REST APIs map `context.authorizer.claims.custom:…`), while HTTP APIs refuse a colon.
fn is_mappable_claim(claim: &str) -> bool {
    !claim.is_empty() && claim.bytes().all(|b| b.is_ascii_alphanumeric() || b"._$-:".contains(&b))
}

/// The template as it is built: its parameters (each serving one thing), its resources (each
/// owned by one function, or by the template) and its outputs.
#[derive(Default)]
struct Template {
    parameters: Parameters,
    resources: Map<String, Value>,
    owners: BTreeMap<String, String>,
    outputs: Map<String, Value>,
    rules: Map<String, Value>,
}

impl Template {
    /// Adds `resource` as `id`, owned by the function `owner`; another function's resource of
    /// that id is a collision.
    fn add(&mut self, id: String, owner: &str, resource: Value) -> Result<(), TemplateError> {
        if let Some(first) = self.owners.get(&id) {
            return Err(TemplateError::ResourceCollision {
                resource: id,
                first: first.clone(),
                second: owner.to_owned(),
            });
        }
        self.owners.insert(id.clone(), owner.to_owned());
        self.resources.insert(id, resource);
        Ok(())
    }

    fn own(&mut self, name: &str, declaration: Value) -> Result<(), AuditError> {
        Ok(self.parameters.declare(name, format!("the template's parameter `{name}`"), declaration)?)
    }

    fn output(&mut self, id: &str, description: String, value: Value) {
        self.outputs.insert(id.to_owned(), json!({ "Description": description, "Value": value }));
    }

    /// The template's own parameters, a physical name (or KMS key id) per variable of its
    /// handlers, and a stream ARN per stream source. What a parameter allows is read from every
    /// handler `linked` into the binary, not only the template's (`Kind::allowed_pattern`: a
    /// shared queue is no tenant's own queue under any of the application's queue prefixes, also
    /// one deployed by another stack).
    fn parameters(
        &mut self,
        planned: &[Planned<'_>],
        all: &[&'static HandlerSpec],
        linked: &[&'static HandlerSpec],
    ) -> Result<(), AuditError> {
        self.own(
            NAME_PREFIX,
            json!({
                "Type": "String",
                "Description": "Start of the functions', execution roles' and log groups' names: one per stack \
                    in an account (IAM role names are unique per account, whatever their case)",
                "AllowedPattern": "^[a-z][a-z0-9-]{0,23}$",
                "ConstraintDescription": "1-24 characters of a-z, 0-9 and -, starting with a letter",
            }),
        )?;
        for v in bindings::variables(all) {
            let description = format!(
                "{}; the template sets `{}` on the functions of its handlers ({})",
                v.binds(),
                v.var,
                v.handler_list()
            );
            cloudformation::binding_parameter(&mut self.parameters, v.var, (v.kind, linked), v.declared, description)?;
        }
        if all.iter().any(|h| !h.tables().is_empty()) {
            self.own(
                PARTITION_KEY,
                json!({
                    "Type": "String",
                    "Default": "pk",
                    "Description": format!("Partition-key attribute of the tables (`{}`)", vars::PARTITION_KEY),
                }),
            )?;
            self.own(
                TABLE_PARTITION_KEYS,
                json!({
                    "Type": "String",
                    "Default": "",
                    "Description": format!(
                        "`<physical table>=<attribute>,...` for tables whose partition-key attribute differs (`{}`); \
                         empty: none",
                        vars::TABLE_PARTITION_KEYS
                    ),
                }),
            )?;
        }
        if planned.iter().any(|p| p.arg.source.is_http()) {
            self.own(
                JWT_ISSUER,
                json!({
                    "Type": "String",
                    "Description": format!(
                        "The exact `iss` of the callers' tokens (Cognito: https://cognito-idp.<region>.amazonaws.com/<user \
                         pool id>): the HTTP API's JWT authorizer and the functions' `{}`",
                        vars::JWT_ISSUER
                    ),
                }),
            )?;
            self.own(
                JWT_AUDIENCE,
                json!({
                    "Type": "CommaDelimitedList",
                    "Description": format!(
                        "The accepted audiences (Cognito: the app client id): the HTTP API's JWT authorizer and the \
                         functions' `{}`",
                        vars::JWT_AUDIENCE
                    ),
                }),
            )?;
        }
        if planned.iter().any(|p| matches!(p.arg.source, Source::RestApi(_))) {
            self.own(
                USER_POOL_ARN,
                json!({
                    "Type": "String",
                    "Description": "ARN of the Cognito user pool whose tokens the REST API's authorizer accepts \
                        (the pool that issues TenantJwtIssuer's tokens)",
                }),
            )?;
            self.own(
                STAGE,
                json!({
                    "Type": "String",
                    "Default": "prod",
                    "AllowedPattern": "^[A-Za-z0-9_]+$",
                    "Description": "The REST API's stage: its URLs start with /<stage>/",
                }),
            )?;
        }
        for p in planned {
            if let (Source::DynamoDbStream(table), Some(stream)) = (&p.arg.source, &p.stream) {
                // The stream's table by its parameter, also when none of the template's handlers
                // binds its variable (a no-op when one does: the same parameter for the same
                // variable).
                if let Some((var, declared)) = stream.var {
                    let description = format!(
                        "Physical name of the DynamoDB table that `{var}` binds; its stream invokes {}",
                        p.name()
                    );
                    let binds = (Kind::Table, linked);
                    cloudformation::binding_parameter(&mut self.parameters, var, binds, declared, description)?;
                }
                let parameter = &stream.parameter;
                let declaration = json!({
                    "Type": "String",
                    "AllowedPattern": "^arn:aws[a-z-]*:dynamodb:[a-z0-9-]+:[0-9]{12}:table/[A-Za-z0-9_.-]+/stream/.+$",
                    "Description": format!(
                        "Stream ARN of the DynamoDB table `{table}` (aws dynamodb describe-table --query \
                         Table.LatestStreamArn); its records must carry the keys"
                    ),
                });
                self.parameters.declare(parameter, format!("the stream of the table `{table}`"), declaration)?;
            }
        }
        Ok(())
    }

    /// Rules that keep apart the physical names the deployer gives two bindings that would break
    /// what keeps tenants apart on one resource (`kind::Apart`). The audit refuses such a pair
    /// when it can see they are one resource (the same resolved name, the same variable); two
    /// variables, or a variable and a fixed name, become one only through the parameters' values.
    /// Their handlers may run in two functions, where no process sees both (the runtime's claims
    /// are per process). CloudFormation checks `Rules` before it creates anything.
    ///
    /// * `OverlappingPrefixesApart`: key (or object) prefixes where one starts the other. The data
    ///   role grants every tenant's keys on both: with `TENANT#` and `TENANT#ORG#` on one table,
    ///   tenant `ORG` of the first reads every `TENANT#ORG#…` item of the second. Prefixes that do
    ///   not overlap may share a table (single-table design).
    /// * `SharedQueuesApart`: two shared queues whose messages carry their tenant in different
    ///   attributes. Each producer's guard checks its own attribute only, so a tenant could send
    ///   through one with another tenant's id in the other's attribute, and a consumer reading that
    ///   one would run the message as the other tenant. Producers stamping one attribute may share
    ///   a queue.
    ///
    /// KMS keys get no rule: declarations may share a key (`kind::Apart::EncryptionContext`).
    fn rules(&mut self, all: &[&'static HandlerSpec]) {
        let mut bindings: Vec<(&'static HandlerSpec, Kind, &'static PhysicalName, Apart)> = Vec::new();
        for &h in all {
            for kind in Kind::ALL {
                bindings.extend(kind.names(h).into_iter().map(|(name, apart)| (h, kind, name, apart)));
            }
        }
        let mut rules: BTreeMap<&str, Vec<Value>> = BTreeMap::new();
        let mut seen: Vec<(String, String)> = Vec::new();
        for (i, (h, kind, name, apart)) in bindings.iter().enumerate() {
            for (g, _, other, other_apart) in &bindings[i + 1..] {
                if !apart.overlaps(*other_apart) {
                    continue;
                }
                // Two fixed names, or one variable: the audit already compared them.
                if name.env_var().is_none() && other.env_var().is_none() || name.env_var() == other.env_var() {
                    continue;
                }
                let (a, b) = (stack_name(name), stack_name(other));
                let pair = if a < b { (a.clone(), b.clone()) } else { (b.clone(), a.clone()) };
                if seen.contains(&pair) {
                    continue;
                }
                seen.push(pair);
                let spell = |n: &PhysicalName| match n.env_var() {
                    Some(var) => format!("`{var}`"),
                    None => format!("the fixed name `{}`", n.declared()),
                };
                let (rule, why) = match apart {
                    Apart::Prefix(_) => (
                        "OverlappingPrefixesApart",
                        "one prefix starts the other, so a tenant of one would own the other's keys",
                    ),
                    Apart::Attribute(_) => (
                        "SharedQueuesApart",
                        "their messages carry the tenant in different attributes, so a consumer reading one \
                         would trust what the other's guard never checked",
                    ),
                    // Never reached: keys never overlap (`Apart::overlaps`), whatever shares them.
                    Apart::EncryptionContext => continue,
                };
                rules.entry(rule).or_default().push(json!({
                    "Assert": { "Fn::Not": [{ "Fn::Equals": [a, b] }] },
                    "AssertDescription": format!(
                        "{} (handler `{}`, {}) and {} (handler `{}`, {}) must name two {}s: {why}",
                        spell(name),
                        h.name(),
                        apart.describe(),
                        spell(other),
                        g.name(),
                        other_apart.describe(),
                        kind.noun(),
                    ),
                }));
            }
        }
        for (rule, assertions) in rules {
            self.rules.insert(rule.to_owned(), json!({ "Assertions": assertions }));
        }
    }

    /// The data-access role (session-policy handlers) and the session-tag role (session-tag
    /// handlers), each trusting exactly the execution roles of the functions that need it.
    fn data_roles(&mut self, planned: &[Planned<'_>], all: &[&'static HandlerSpec]) -> Result<(), AuditError> {
        let trusted = |needs: &dyn Fn(&Planned<'_>) -> bool| -> Vec<String> {
            planned.iter().filter(|p| needs(p)).map(Planned::role_arn).collect()
        };
        let data = trusted(&|p| p.needs_data_role());
        if !data.is_empty() {
            let policy = stack_policy(&data_access_policy(all, stack_name));
            self.add(
                DATA_ROLE.to_owned(),
                "",
                role(
                    "Per-tenant data access; narrowed by a session policy on every AssumeRole",
                    trust(&data, &["sts:AssumeRole"]),
                    "tenant-data-access",
                    policy,
                ),
            )?;
            self.output(
                "TenantRoleArn",
                format!("The data-access role (the functions' {})", vars::ROLE_ARN),
                json!({ "Fn::GetAtt": [DATA_ROLE, "Arn"] }),
            );
        }
        let tagged = trusted(&|p| p.needs_tag_role());
        if let Some((template, tag)) = tag_policy(all, stack_name)?
            && !tagged.is_empty()
        {
            self.add(
                TAG_ROLE.to_owned(),
                "",
                role(
                    &format!("Per-tenant data access by the session tag `{tag}`; sessions carry no session policy"),
                    // Session tags need `sts:TagSession` in the trust policy (IAM User Guide,
                    // "Passing session tags in AWS STS").
                    trust(&tagged, &["sts:AssumeRole", "sts:TagSession"]),
                    "tenant-tag-access",
                    stack_policy(&template),
                ),
            )?;
            self.output(
                "TenantTagRoleArn",
                format!("The session-tag role (the functions' {})", vars::TAG_ROLE_ARN),
                json!({ "Fn::GetAtt": [TAG_ROLE, "Arn"] }),
            );
        }
        Ok(())
    }

    /// One function: its execution role, log group, queue (SQS) and the function itself.
    fn function(&mut self, p: &Planned<'_>, options: &TemplateOptions) -> Result<(), AuditError> {
        let name = p.name();
        let mut statements = vec![json!({
            "Sid": "Logs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": format!(
                "arn:${{AWS::Partition}}:logs:${{AWS::Region}}:${{AWS::AccountId}}:log-group:/aws/lambda/{}:*",
                p.function_name()
            ),
        })];
        if p.needs_data_role() {
            statements.push(json!({
                "Sid": "AssumeTenantDataRole",
                "Effect": "Allow",
                "Action": "sts:AssumeRole",
                "Resource": { "Fn::GetAtt": [DATA_ROLE, "Arn"] },
            }));
        }
        if p.needs_tag_role() {
            statements.push(json!({
                "Sid": "AssumeTenantTagRole",
                "Effect": "Allow",
                "Action": ["sts:AssumeRole", "sts:TagSession"],
                "Resource": { "Fn::GetAtt": [TAG_ROLE, "Arn"] },
            }));
        }
        let mut events = Map::new();
        match &p.arg.source {
            Source::HttpApi(routes) => {
                let api = json!({ "ApiId": { "Ref": HTTP_API } });
                if routes.is_empty() {
                    // No path and no method: the API's `$default` route, every request no other
                    // route takes.
                    events.insert("Api".to_owned(), json!({ "Type": "HttpApi", "Properties": api }));
                }
                for (i, route) in routes.iter().enumerate() {
                    let mut properties = api.clone();
                    properties["Method"] = route.method.clone().into();
                    properties["Path"] = route.path.clone().into();
                    events.insert(format!("Api{}", i + 1), json!({ "Type": "HttpApi", "Properties": properties }));
                }
            }
            // The REST API's OpenAPI body names the function (`apis`); its permission is here.
            Source::RestApi(_) => self.add(
                p.resource("RestPermission"),
                name,
                json!({
                    "Type": "AWS::Lambda::Permission",
                    "Properties": {
                        "Action": "lambda:InvokeFunction",
                        "FunctionName": { "Ref": p.resource("Function") },
                        "Principal": "apigateway.amazonaws.com",
                        "SourceArn": format!(
                            "arn:${{AWS::Partition}}:execute-api:${{AWS::Region}}:${{AWS::AccountId}}:${{{REST_API}}}/*"
                        ),
                    },
                }),
            )?,
            Source::Sqs => {
                let (queue, dead) = (p.resource("Queue"), p.resource("DeadLetterQueue"));
                // A message that keeps failing goes to the dead-letter queue after 5 receives
                // instead of being retried until it expires.
                self.add(
                    dead.clone(),
                    name,
                    json!({ "Type": "AWS::SQS::Queue", "Properties": { "MessageRetentionPeriod": 1_209_600 } }),
                )?;
                self.add(
                    queue.clone(),
                    name,
                    json!({
                        "Type": "AWS::SQS::Queue",
                        "Properties": {
                            "VisibilityTimeout": VISIBILITY_TIMEOUT_SECONDS,
                            "RedrivePolicy": { "deadLetterTargetArn": { "Fn::GetAtt": [dead, "Arn"] }, "maxReceiveCount": 5 },
                        },
                    }),
                )?;
                // The event source mapping polls with the function's execution role.
                statements.push(json!({
                    "Sid": "PollQueue",
                    "Effect": "Allow",
                    "Action": ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
                    "Resource": { "Fn::GetAtt": [queue, "Arn"] },
                }));
                events.insert(
                    "Queue".to_owned(),
                    json!({
                        "Type": "SQS",
                        "Properties": {
                            "Queue": { "Fn::GetAtt": [queue, "Arn"] },
                            "BatchSize": 10,
                            // Only the records the handler reports failed are retried.
                            "FunctionResponseTypes": ["ReportBatchItemFailures"],
                        },
                    }),
                );
                self.output(&p.resource("QueueUrl"), format!("The queue of {name}"), json!({ "Ref": queue }));
            }
            Source::DynamoDbStream(_) => {
                let StreamTable { name: table, parameter, .. } =
                    p.stream.clone().expect("a stream source has its table (plan)");
                // The event source mapping polls with the function's execution role: these read
                // the stream's records (every tenant's changes), never the table.
                statements.push(json!({
                    "Sid": "PollStream",
                    "Effect": "Allow",
                    "Action": ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"],
                    "Resource": { "Ref": parameter },
                }));
                statements.push(json!({
                    "Sid": "ListStreams",
                    "Effect": "Allow",
                    "Action": "dynamodb:ListStreams",
                    "Resource": format!(
                        "arn:${{AWS::Partition}}:dynamodb:${{AWS::Region}}:${{AWS::AccountId}}:table/{table}/stream/*"
                    ),
                }));
                events.insert(
                    "Stream".to_owned(),
                    json!({
                        "Type": "DynamoDB",
                        "Properties": {
                            "Stream": { "Ref": parameter },
                            // From the oldest record the stream still holds (24 hours): nothing
                            // written before the function existed is skipped.
                            "StartingPosition": "TRIM_HORIZON",
                            "BatchSize": 100,
                            // A failed record is the checkpoint: it and the records after it
                            // are retried, the ones before it are not.
                            "FunctionResponseTypes": ["ReportBatchItemFailures"],
                        },
                    }),
                );
            }
        }

        self.add(
            p.resource("ExecutionRole"),
            name,
            json!({
                "Type": "AWS::IAM::Role",
                "Properties": {
                    // Named, so that the data roles' trust can list it without a reference (see
                    // the module docs).
                    "RoleName": format!("${{{NAME_PREFIX}}}-{name}-exec"),
                    "Description": format!("Execution role of {name}: its logs and the tenant data role(s); no data access of its own"),
                    "AssumeRolePolicyDocument": {
                        "Version": "2012-10-17",
                        "Statement": [{
                            "Effect": "Allow",
                            "Principal": { "Service": "lambda.amazonaws.com" },
                            "Action": "sts:AssumeRole",
                        }],
                    },
                    "Policies": [{
                        "PolicyName": name,
                        "PolicyDocument": { "Version": "2012-10-17", "Statement": statements },
                    }],
                },
            }),
        )?;
        self.add(
            p.resource("LogGroup"),
            name,
            json!({
                "Type": "AWS::Logs::LogGroup",
                "Properties": { "LogGroupName": format!("/aws/lambda/{}", p.function_name()), "RetentionInDays": 30 },
            }),
        )?;

        let mut properties = json!({
            "FunctionName": p.function_name(),
            "Description": format!("{name}: {} tenant-isolated handler(s), invoked by {}", p.handlers.len(), p.arg.source.kind()),
            "CodeUri": format!("{}/{name}/", options.code_dir.trim_end_matches('/')),
            "Handler": "bootstrap",
            "Runtime": "provided.al2023",
            "Architectures": ["arm64"],
            "Timeout": TIMEOUT_SECONDS,
            "Role": { "Fn::GetAtt": [p.resource("ExecutionRole"), "Arn"] },
            "LoggingConfig": { "LogGroup": { "Ref": p.resource("LogGroup") } },
            "Environment": { "Variables": environment(p, options) },
        });
        if !events.is_empty() {
            properties["Events"] = Value::Object(events);
        }
        if matches!(p.arg.source, Source::RestApi(_)) {
            // Lambda's tenant isolation mode: set at creation only (changing it replaces the
            // function). REST APIs are the one HTTP path that can pass Lambda a tenant id
            // (`apis` maps it from the authorizer's verified claim).
            properties["TenancyConfig"] = json!({ "TenantIsolationMode": "PER_TENANT" });
        }
        self.add(
            p.resource("Function"),
            name,
            json!({
                "Type": "AWS::Serverless::Function",
                // What the function links, for readers and for tests that check the environment
                // against the handlers' bindings.
                "Metadata": {
                    "TenantIsolation": {
                        "Source": p.arg.source.kind(),
                        "Handlers": p.handlers.iter().map(|h| path_of(h)).collect::<Vec<_>>(),
                    },
                },
                "Properties": properties,
            }),
        )?;
        Ok(())
    }

    /// The HTTP API (a JWT authorizer on every route) and the REST API (a Cognito user pool
    /// authorizer on every method, Lambda's tenant id mapped from the verified claim), each when
    /// a function uses it.
    fn apis(&mut self, planned: &[Planned<'_>], options: &TemplateOptions) -> Result<(), AuditError> {
        if planned.iter().any(|p| matches!(p.arg.source, Source::HttpApi(_))) {
            self.add(
                HTTP_API.to_owned(),
                "",
                json!({
                    "Type": "AWS::Serverless::HttpApi",
                    "Properties": {
                        "Auth": {
                            "Authorizers": {
                                "TenantJwt": {
                                    "IdentitySource": "$request.header.Authorization",
                                    "JwtConfiguration": { "issuer": { "Ref": JWT_ISSUER }, "audience": { "Ref": JWT_AUDIENCE } },
                                },
                            },
                            "DefaultAuthorizer": "TenantJwt",
                        },
                    },
                }),
            )?;
            self.output(
                "HttpApiUrl",
                "The HTTP API".to_owned(),
                json!(format!("https://${{{HTTP_API}}}.execute-api.${{AWS::Region}}.${{AWS::URLSuffix}}/")),
            );
        }
        let rest: Vec<&Planned<'_>> = planned.iter().filter(|p| matches!(p.arg.source, Source::RestApi(_))).collect();
        if rest.is_empty() {
            return Ok(());
        }
        let mut paths = Map::new();
        for p in &rest {
            let Source::RestApi(routes) = &p.arg.source else { continue };
            let default = [
                Route { method: "ANY".to_owned(), path: "/".to_owned() },
                Route { method: "ANY".to_owned(), path: "/{proxy+}".to_owned() },
            ];
            let routes = if routes.is_empty() { &default[..] } else { &routes[..] };
            for route in routes {
                let method = match route.method.as_str() {
                    "ANY" => "x-amazon-apigateway-any-method".to_owned(),
                    m => m.to_ascii_lowercase(),
                };
                let operation = json!({
                    "security": [{ "TenantCognito": [] }],
                    "x-amazon-apigateway-integration": {
                        "type": "aws_proxy",
                        "httpMethod": "POST",
                        "uri": format!(
                            "arn:${{AWS::Partition}}:apigateway:${{AWS::Region}}:lambda:path/2015-03-31/functions/${{{}.Arn}}/invocations",
                            p.resource("Function")
                        ),
                        // Lambda's tenant id from the claim the authorizer verified, never from
                        // a header or parameter the caller chooses (Lambda would then reuse
                        // another tenant's execution environment).
                        "requestParameters": {
                            "integration.request.header.X-Amz-Tenant-Id": format!("context.authorizer.claims.{}", options.tenant_claim),
                        },
                    },
                });
                let path = paths.entry(route.path.clone()).or_insert_with(|| json!({}));
                path[method] = operation;
            }
        }
        self.add(
            REST_API.to_owned(),
            "",
            json!({
                "Type": "AWS::Serverless::Api",
                "Properties": {
                    "StageName": { "Ref": STAGE },
                    "EndpointConfiguration": { "Type": "REGIONAL" },
                    "DefinitionBody": {
                        "swagger": "2.0",
                        "info": { "title": "tenant-isolated REST API", "version": "1.0" },
                        "securityDefinitions": {
                            "TenantCognito": {
                                "type": "apiKey",
                                "name": "Authorization",
                                "in": "header",
                                "x-amazon-apigateway-authtype": "cognito_user_pools",
                                "x-amazon-apigateway-authorizer": {
                                    "type": "cognito_user_pools",
                                    "providerARNs": [{ "Ref": USER_POOL_ARN }],
                                },
                            },
                        },
                        "paths": paths,
                    },
                },
            }),
        )?;
        self.output(
            "RestApiUrl",
            "The REST API's stage".to_owned(),
            json!(format!("https://${{{REST_API}}}.execute-api.${{AWS::Region}}.${{AWS::URLSuffix}}/${{{STAGE}}}/")),
        );
        Ok(())
    }
}

/// A role with `trust` and one inline policy.
fn role(description: &str, trust: Value, policy_name: &str, policy: Value) -> Value {
    json!({
        "Type": "AWS::IAM::Role",
        "Properties": {
            "Description": description,
            // Sessions assumed by a Lambda role are role chaining, capped at one hour whatever
            // this says.
            "MaxSessionDuration": 3600,
            "AssumeRolePolicyDocument": trust,
            "Policies": [{ "PolicyName": policy_name, "PolicyDocument": policy }],
        },
    })
}

/// A data role's trust: the account (always there, see the module docs), on the condition that
/// the caller is one of `roles`.
fn trust(roles: &[String], actions: &[&str]) -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "FunctionExecutionRolesAssume",
            "Effect": "Allow",
            "Principal": { "AWS": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root" },
            "Action": actions,
            "Condition": { "ArnEquals": { "aws:PrincipalArn": roles } },
        }],
    })
}

/// What the runtime of `p` reads: its roles, every variable its handlers bind, the partition-key
/// settings, and for an HTTP source the token settings (and, behind a REST API, Lambda's tenant
/// id required and the stage-path switch).
fn environment(p: &Planned<'_>, options: &TemplateOptions) -> Map<String, Value> {
    let mut env = Map::new();
    if p.needs_data_role() {
        env.insert(vars::ROLE_ARN.to_owned(), json!({ "Fn::GetAtt": [DATA_ROLE, "Arn"] }));
    }
    if p.needs_tag_role() {
        env.insert(vars::TAG_ROLE_ARN.to_owned(), json!({ "Fn::GetAtt": [TAG_ROLE, "Arn"] }));
    }
    for v in bindings::variables(&p.handlers) {
        env.insert(v.var.to_owned(), json!({ "Ref": parameter_name(v.var) }));
    }
    if p.handlers.iter().any(|h| !h.tables().is_empty()) {
        env.insert(vars::PARTITION_KEY.to_owned(), json!({ "Ref": PARTITION_KEY }));
        env.insert(vars::TABLE_PARTITION_KEYS.to_owned(), json!({ "Ref": TABLE_PARTITION_KEYS }));
    }
    if p.arg.source.is_http() {
        env.insert(vars::JWT_ISSUER.to_owned(), json!({ "Ref": JWT_ISSUER }));
        env.insert(vars::JWT_AUDIENCE.to_owned(), json!({ "Fn::Join": [",", { "Ref": JWT_AUDIENCE }] }));
        env.insert(vars::CLAIM.to_owned(), options.tenant_claim.clone().into());
    }
    if matches!(p.arg.source, Source::RestApi(_)) {
        env.insert(vars::LAMBDA_TENANT_ID.to_owned(), vars::LAMBDA_TENANT_ID_REQUIRED.into());
        env.insert(IGNORE_STAGE_IN_PATH.to_owned(), "true".into());
    }
    env
}
