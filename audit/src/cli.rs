//! The `policies` command line, parsed by clap: `list`, `render`, `role`, `template`,
//! `actions`, `classify` and `help`.

use crate::error::AuditError;
use crate::function::Function;
use crate::kind::Kind;
use crate::report::{actions_json, classify_json, list_json, render_json, role_json};
use crate::template::{TemplateOptions, template_json};
use clap::builder::NonEmptyStringValueParser;
use clap::{Parser, Subcommand};
use serde_json::Value;
use std::ffi::OsString;
use std::fmt;
use std::process::ExitCode;

/// What the registered `#[tenant_isolated]` handlers may do, as IAM sees it.
#[derive(Debug, Parser)]
#[command(
    name = "policies",
    after_help = "Output is JSON on stdout. Exit status: 0 success, 1 invalid value, 2 usage error."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

// Options take a non-empty value: an empty `--tenant=` is a usage error (2), as a missing
// one is, not an invalid tenant (1).
#[derive(Debug, Subcommand)]
enum Command {
    /// Every handler: declaration, policy template, worst-case size
    List,
    /// The session policy of every handler for one tenant
    Render {
        /// The tenant id, as the runtime validates it
        #[arg(long, value_name = "ID", value_parser = NonEmptyStringValueParser::new())]
        tenant: String,
        /// The data-access role (its partition and account name the resources)
        #[arg(long, value_name = "ARN", value_parser = NonEmptyStringValueParser::new())]
        role_arn: String,
        /// The region of the tables
        #[arg(long, value_name = "REGION", value_parser = NonEmptyStringValueParser::new())]
        region: String,
    },
    /// The data-access role policy, its trust policy and a CloudFormation template
    Role {
        /// The data-access role; without it and `--region`, `{{...}}` placeholders stay
        #[arg(long, value_name = "ARN", requires = "region", value_parser = NonEmptyStringValueParser::new())]
        role_arn: Option<String>,
        /// The region of the tables (goes with `--role-arn`)
        #[arg(long, value_name = "REGION", requires = "role_arn", value_parser = NonEmptyStringValueParser::new())]
        region: Option<String>,
        /// A Lambda execution role that assumes the data-access role; give it once per role
        /// (the trust policy trusts exactly these)
        #[arg(long, value_name = "ARN", value_parser = NonEmptyStringValueParser::new())]
        lambda_role_arn: Vec<String>,
        /// Print only the CloudFormation template (JSON) that creates the data-access role
        #[arg(long)]
        cloudformation: bool,
        /// Also print the properties that put each function in Lambda's tenant isolation mode
        /// (`TenancyConfig`, and `TENANT_LAMBDA_TENANT_ID=required`)
        #[arg(long)]
        lambda_tenant_isolation: bool,
    },
    /// One CloudFormation/SAM template (JSON) for the whole application: per function its
    /// execution role, environment and event source, and the data role(s) that trust exactly
    /// those execution roles
    #[command(after_help = template_help())]
    Template {
        /// A function of the application, `NAME=SOURCE:HANDLER[,HANDLER...]`; once per function
        /// (see below)
        #[arg(long = "function", value_name = "NAME=SOURCE:HANDLERS", required = true)]
        functions: Vec<Function>,
        /// The claim of the callers' tokens that names the tenant (the functions' `TENANT_CLAIM`;
        /// behind a REST API, also Lambda's tenant id)
        #[arg(long, value_name = "CLAIM", default_value = "custom:tenant_id", value_parser = NonEmptyStringValueParser::new())]
        tenant_claim: String,
        /// Where `cargo lambda build` writes each binary's directory, relative to the template
        #[arg(long, value_name = "DIR", default_value = "target/lambda", value_parser = NonEmptyStringValueParser::new())]
        code_dir: String,
    },
    /// The DynamoDB actions a handler may declare
    Actions,
    /// How `actions = [...]` treats each name: allowed, or refused and why
    Classify {
        /// Action names (`GetItem`, `dynamodb:Scan`, ...)
        #[arg(required = true, value_name = "NAME")]
        names: Vec<String>,
    },
}

/// The grammar of `--function`, after `policies template --help`'s options.
const TEMPLATE_HELP: &str = "\
A function: NAME=SOURCE:HANDLER[,HANDLER...]
  NAME     the binary (`cargo lambda build --release --arm64 --bin NAME`, code in
           <code-dir>/NAME/), and the function's name after the stack's NamePrefix:
           1-24 characters of a-z, 0-9, - and _, starting with a letter
  SOURCE   what invokes it:
           http-api[@ROUTE...]    an API Gateway HTTP API with a JWT authorizer
           rest-api[@ROUTE...]    an API Gateway REST API with a Cognito user pool authorizer; the
                                  function runs in Lambda's tenant isolation mode (PER_TENANT), its
                                  tenant id mapped from the verified claim, the stage kept out of
                                  the path (AWS_LAMBDA_HTTP_IGNORE_STAGE_IN_PATH)
           sqs                    a queue the template creates (ReportBatchItemFailures)
           dynamodb-stream@TABLE  the stream of TABLE, a handler's table variable or fixed name
                                  (ReportBatchItemFailures, from TRIM_HORIZON)
  ROUTE    METHOD/PATH, as GET/orders/{id}; without one, every path of the API
  HANDLER  a linked handler's name or the end of its path (get_order, handlers::get_order),
           MODULE::* for every handler of a module (api::*), * for every linked handler

Example (the orders example's axum function behind a REST API, one handler behind an HTTP API):
  policies template --function 'orders-api=rest-api:api::*' \\
                    --function 'get-order=http-api@GET/orders/{id}:handlers::get_order'

Each function gets an execution role of its own (its logs, sts:AssumeRole on the data role(s) it
needs, and its event source's polling); the data roles trust exactly those roles. docs/DEPLOYING.md
walks through deploying it with `cargo lambda build` and `sam deploy`.";

/// [`TEMPLATE_HELP`], and the parameters of the names (and KMS key ids) bound at run time, whose
/// kinds are the audit's one list of them (`kind::Kind::ALL`).
fn template_help() -> String {
    let attributes: Vec<&str> = Kind::ALL.iter().map(|k| k.attribute()).collect();
    format!(
        "{TEMPLATE_HELP}

Names bound at run time ({}):
each variable is a parameter of the template (ORDERS_TABLE -> OrdersTable), defaulting to the
declared name; the template sets the variable on the functions of its handlers, and the data
roles name the resource through it. A KMS key's parameter takes the key id (`!Ref` of the
AWS::KMS::Key, which its AllowedPattern checks: no alias, ARN or `*`), defaulting to the
declared kms_key, or to nothing when only kms_key_env is given.",
        attributes.join(", ")
    )
}

/// What a `policies` command produced.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Output {
    /// A JSON document (every command), printed pretty.
    Json(Value),
    /// Text printed as it is (`--help`, `help`).
    Text(String),
}

impl fmt::Display for Output {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // `{:#}`: serde_json's pretty form.
            Output::Json(v) => writeln!(f, "{v:#}"),
            Output::Text(t) => f.write_str(t),
        }
    }
}

/// Why a `policies` command failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CliError {
    /// The command line does not parse (exit status 2); clap's message names the problem
    /// and shows the usage.
    #[error(transparent)]
    Usage(clap::Error),
    /// A value parsed but is refused, such as a tenant id `*` (exit status 1).
    #[error(transparent)]
    Invalid(#[from] AuditError),
}

impl CliError {
    /// The process exit status: 2 for a usage error (clap's own), 1 for an invalid value.
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Usage(_) => 2,
            CliError::Invalid(_) => 1,
        }
    }

    /// Prints the error on stderr: clap's message (with the usage) or `error: <message>`.
    pub fn print(&self) {
        match self {
            CliError::Usage(e) => {
                // Nothing sensible is left to do when stderr cannot be written.
                let _ = e.print();
            }
            CliError::Invalid(e) => eprintln!("error: {e}"),
        }
    }
}

/// Runs one `policies` command line. `args` starts with the program name, as
/// [`std::env::args_os`] does.
pub fn run_from<I, T>(args: I) -> Result<Output, CliError>
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        // `--help` and `help` are not failures: the text, on stdout, with exit status 0.
        Err(e) if e.exit_code() == 0 => return Ok(Output::Text(e.render().to_string())),
        Err(e) => return Err(CliError::Usage(e)),
    };
    let json = match cli.command {
        Command::List => list_json(),
        Command::Render { tenant, role_arn, region } => render_json(&tenant, &role_arn, &region)?,
        Command::Role { role_arn, region, lambda_role_arn, cloudformation, lambda_tenant_isolation } => {
            let lambda_roles: Vec<&str> = lambda_role_arn.iter().map(String::as_str).collect();
            let mut role = role_json(role_arn.as_deref(), region.as_deref(), &lambda_roles)?;
            if lambda_tenant_isolation {
                role["lambda_function_properties"] = tenant_isolation_mode_properties();
            }
            if cloudformation { role["cloudformation"].take() } else { role }
        }
        Command::Template { functions, tenant_claim, code_dir } => {
            template_json(&functions, &TemplateOptions::default().tenant_claim(tenant_claim).code_dir(code_dir))?
        }
        Command::Actions => actions_json(),
        Command::Classify { names } => names.iter().map(|n| classify_json(n)).collect(),
    };
    Ok(Output::Json(json))
}

/// The `policies` command over this process's arguments: prints the output on stdout, or
/// the error on stderr, and returns the exit status (0 success, 1 invalid value, 2 usage
/// error). The whole `main` of an audit binary; see the crate docs.
pub fn main() -> ExitCode {
    match run_from(std::env::args_os()) {
        Ok(output) => {
            print!("{output}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            e.print();
            ExitCode::from(e.exit_code())
        }
    }
}

/// The `AWS::Lambda::Function` properties of a function in Lambda's tenant isolation mode:
/// `TenancyConfig` (`PER_TENANT`, the only value; set at creation only — CloudFormation replaces
/// the function to change it) and the runtime setting that requires every invocation to carry a
/// tenant id (AWS CloudFormation Template Reference, `AWS::Lambda::Function TenancyConfig`).
pub fn tenant_isolation_mode_properties() -> serde_json::Value {
    use tenant_isolation::audit::vars;
    serde_json::json!({
        "TenancyConfig": { "TenantIsolationMode": "PER_TENANT" },
        "Environment": { "Variables": { vars::LAMBDA_TENANT_ID: vars::LAMBDA_TENANT_ID_REQUIRED } },
    })
}
