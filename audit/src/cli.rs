//! The `policies` command line, parsed by clap: `list`, `render`, `role`, `actions`,
//! `classify` and `help`.

use crate::error::AuditError;
use crate::report::{actions_json, classify_json, list_json, render_json, role_json};
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
    /// The DynamoDB actions a handler may declare
    Actions,
    /// How `actions = [...]` treats each name: allowed, or refused and why
    Classify {
        /// Action names (`GetItem`, `dynamodb:Scan`, ...)
        #[arg(required = true, value_name = "NAME")]
        names: Vec<String>,
    },
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
    serde_json::json!({
        "TenancyConfig": { "TenantIsolationMode": "PER_TENANT" },
        "Environment": { "Variables": { "TENANT_LAMBDA_TENANT_ID": "required" } },
    })
}
