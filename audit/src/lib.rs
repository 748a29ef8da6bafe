//! # tenant-isolation-audit
//!
//! The policy audit of [`tenant_isolation`]: what every `#[tenant_isolated]` handler linked
//! into a binary may do, as IAM would see it, printed by a small `policies` command any
//! binary can offer.
//!
//! ```no_run
//! // src/bin/policies.rs of a crate whose library defines the handlers. Add
//! // `use your_crate as _;` so that the library (and so every handler's registration) is
//! // linked into this binary even though nothing else of it is used here.
//! fn main() -> std::process::ExitCode {
//!     tenant_isolation_audit::main()
//! }
//! ```
//!
//! ```text
//! policies list                                         every handler, its declaration and template
//! policies render --tenant acme --role-arn ARN --region us-east-1
//!                                                       the session policy each handler gets for `acme`
//! policies role [--role-arn ARN --region R] [--lambda-role-arn ARN]... [--cloudformation]
//!                                                       the data-access role: policy, trust policy, CloudFormation
//! policies template --function NAME=SOURCE:HANDLERS...   one CloudFormation/SAM template for the whole
//!                                                       application: per function its execution role,
//!                                                       environment and event source; the data roles
//! policies actions                                      the DynamoDB actions a handler may declare
//! policies classify NAME...                             how `actions = [...]` treats each name
//! ```
//!
//! Output is JSON on stdout; exit status 0 on success, 1 for an invalid value (such as a
//! tenant id `*`), 2 for a usage error. The handlers are the ones
//! [`tenant_isolation::audit::registered_handlers`] lists. The output is what the repository's
//! policy proof (`tests/policy/run.sh`) evaluates with an independent IAM simulator and
//! lints with parliament; `docs/DEPLOYING.md` shows it.

#![forbid(unsafe_code)]

mod bindings;
mod cli;
mod cloudformation;
mod error;
mod function;
mod kind;
mod report;
mod template;

pub use cli::{CliError, Output, main, run_from, tenant_isolation_mode_properties};
pub use error::{AuditError, TemplateError};
pub use function::Function;
pub use report::{actions_json, classify_json, list_json, render_json, role_json};
pub use template::{TemplateOptions, template_json};
