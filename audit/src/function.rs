//! What `policies template --function` describes: one Lambda function of the application, its
//! binary, the handlers it links and the event source that invokes it.
//!
//! ```text
//! --function NAME=SOURCE:HANDLER[,HANDLER...]
//!
//! orders-api=rest-api:api::*                          the axum router behind a REST API, every path
//! get-order=http-api@GET/orders/{id}:handlers::get_order
//! fulfil-order=sqs:fulfil_order                       a queue the template creates
//! count-orders=dynamodb-stream@ORDERS_TABLE:count_orders
//! ```
//!
//! The value is parsed here ([`Function`], a usage error when malformed); its handler
//! patterns are resolved against the handlers linked into the binary by [`Function::resolve`]
//! (an invalid value when one matches nothing or too much).

use crate::error::TemplateError;
use std::fmt;
use std::str::FromStr;
use tenant_isolation::HandlerSpec;

/// The longest function name: with the template's `NamePrefix` (at most 24 characters) and
/// `-exec`, an execution role's name stays within IAM's 64 characters.
pub(crate) const MAX_NAME_LEN: usize = 24;

/// One function of the application, as `--function NAME=SOURCE:HANDLER[,HANDLER...]` gives it
/// (parse it with [`str::parse`]): its name (also its binary's), the event source that invokes
/// it and the handlers it links. See the module docs and `policies template --help`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Function {
    /// The function and its binary (`cargo lambda build --bin NAME`).
    pub(crate) name: String,
    /// What invokes it.
    pub(crate) source: Source,
    /// Handler patterns, as given.
    pub(crate) handlers: Vec<String>,
}

/// What invokes a function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Source {
    /// An API Gateway HTTP API with a JWT authorizer; no routes: every path (`$default`).
    HttpApi(Vec<Route>),
    /// An API Gateway REST API with a Cognito user pool authorizer, the function in Lambda's
    /// tenant isolation mode; no routes: every path (`/` and `/{proxy+}`, any method).
    RestApi(Vec<Route>),
    /// An SQS queue the template creates.
    Sqs,
    /// The stream of a table, named by its variable or its fixed name.
    DynamoDbStream(String),
}

impl Source {
    /// The word written on the command line.
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Source::HttpApi(_) => "http-api",
            Source::RestApi(_) => "rest-api",
            Source::Sqs => "sqs",
            Source::DynamoDbStream(_) => "dynamodb-stream",
        }
    }

    /// HTTP sources verify a caller's token; record sources have none.
    pub(crate) fn is_http(&self) -> bool {
        matches!(self, Source::HttpApi(_) | Source::RestApi(_))
    }
}

/// `METHOD /path` of an API.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Route {
    /// Upper case, or `ANY`.
    pub(crate) method: String,
    /// Starts with `/`.
    pub(crate) path: String,
}

impl fmt::Display for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.method, self.path)
    }
}

const METHODS: [&str; 8] = ["ANY", "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"];

impl FromStr for Route {
    type Err = String;

    /// `GET/orders/{id}`: the method, then the path from its first `/`.
    fn from_str(s: &str) -> Result<Route, String> {
        let at =
            s.find('/').ok_or_else(|| format!("route `{s}` has no path: write it `METHOD/path`, as `GET/orders`"))?;
        let (method, path) = s.split_at(at);
        let method = method.to_ascii_uppercase();
        if !METHODS.contains(&method.as_str()) {
            let expected = METHODS.map(|m| format!("`{m}`")).join(", ");
            return Err(format!("route `{s}`: unknown method `{method}`; expected one of: {expected}"));
        }
        // API Gateway's path characters (a `{name}` parameter, a greedy `{name+}` at the end).
        let bad = path.chars().find(|c| !(c.is_ascii_alphanumeric() || "/-._~{}+".contains(*c)));
        if let Some(c) = bad {
            return Err(format!("route `{s}`: `{c}` cannot appear in an API path"));
        }
        Ok(Route { method, path: path.to_owned() })
    }
}

impl FromStr for Function {
    type Err = String;

    /// `NAME=SOURCE:HANDLER[,HANDLER...]`; the error says what is malformed and the form expected.
    fn from_str(s: &str) -> Result<Function, String> {
        const FORM: &str =
            "expected `NAME=SOURCE:HANDLER[,HANDLER...]`, as `get-order=http-api@GET/orders/{id}:get_order`";
        let (name, rest) = s.split_once('=').ok_or_else(|| format!("`{s}` has no `=`: {FORM}"))?;
        let (source, handlers) =
            rest.split_once(':').ok_or_else(|| format!("`{s}` has no `:` before the handlers: {FORM}"))?;
        let valid_name = name.len() <= MAX_NAME_LEN
            && name.starts_with(|c: char| c.is_ascii_lowercase())
            && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
        if !valid_name {
            return Err(format!(
                "function name `{name}`: 1-{MAX_NAME_LEN} characters of `a-z`, `0-9`, `-` and `_`, starting with a letter (the binary's name)"
            ));
        }
        let mut parts = source.split('@');
        let kind = parts.next().unwrap_or_default();
        let args: Vec<&str> = parts.collect();
        let routes = || args.iter().map(|r| r.parse()).collect::<Result<Vec<Route>, String>>();
        let source = match kind {
            "http-api" => Source::HttpApi(routes()?),
            "rest-api" => Source::RestApi(routes()?),
            "sqs" if args.is_empty() => Source::Sqs,
            "sqs" => return Err("`sqs` takes no `@`: the template creates the queue".to_owned()),
            "dynamodb-stream" => match args[..] {
                [table] if !table.is_empty() => Source::DynamoDbStream(table.to_owned()),
                _ => {
                    return Err("`dynamodb-stream` takes one table: `dynamodb-stream@ORDERS_TABLE` (its variable) or \
                                `dynamodb-stream@Orders` (a fixed name)"
                        .to_owned());
                }
            },
            other => {
                return Err(format!(
                    "unknown source `{other}`; expected one of: `http-api`, `rest-api`, `sqs`, `dynamodb-stream`"
                ));
            }
        };
        let handlers: Vec<String> = handlers.split(',').map(str::trim).map(str::to_owned).collect();
        if handlers.iter().any(String::is_empty) {
            return Err(format!("`{s}`: an empty handler name: {FORM}"));
        }
        Ok(Function { name: name.to_owned(), source, handlers })
    }
}

/// `module::path::name`, as a pattern matches it.
pub(crate) fn path_of(spec: &HandlerSpec) -> String {
    match spec.module_path() {
        "" => spec.name().to_owned(),
        module => format!("{module}::{}", spec.name()),
    }
}

/// `tail` is `path` or ends it at a `::` boundary (`handlers::get_order` ends
/// `orders_example::handlers::get_order`; `ders::get_order` does not).
fn ends_path(path: &str, tail: &str) -> bool {
    path == tail || path.strip_suffix(tail).is_some_and(|rest| rest.ends_with("::"))
}

impl Function {
    /// The handlers its patterns name among `linked`, in order, each once. A pattern is a
    /// handler's name or the end of its path (`get_order`, `handlers::get_order`), and must name
    /// exactly one; `MODULE::*` names every handler of a module (`api::*`), and `*` every
    /// handler, at least one.
    pub(crate) fn resolve(&self, linked: &[&'static HandlerSpec]) -> Result<Vec<&'static HandlerSpec>, TemplateError> {
        let mut found: Vec<&'static HandlerSpec> = Vec::new();
        for pattern in &self.handlers {
            let matches: Vec<&'static HandlerSpec> = match pattern.strip_suffix('*') {
                Some("") => linked.to_vec(),
                Some(module) => match module.strip_suffix("::") {
                    Some(module) => linked.iter().copied().filter(|h| ends_path(h.module_path(), module)).collect(),
                    None => Vec::new(),
                },
                None => linked.iter().copied().filter(|h| ends_path(&path_of(h), pattern)).collect(),
            };
            let glob = pattern.ends_with('*');
            match matches[..] {
                [] => {
                    return Err(TemplateError::UnknownHandler {
                        function: self.name.clone(),
                        pattern: pattern.clone(),
                        linked: linked.iter().map(|h| format!("`{}`", path_of(h))).collect::<Vec<_>>().join(", "),
                    });
                }
                [_, _, ..] if !glob => {
                    return Err(TemplateError::AmbiguousHandler {
                        function: self.name.clone(),
                        pattern: pattern.clone(),
                        matches: matches.iter().map(|h| format!("`{}`", path_of(h))).collect::<Vec<_>>().join(", "),
                    });
                }
                _ => {}
            }
            for h in matches {
                if !found.iter().any(|f| std::ptr::eq(*f, h)) {
                    found.push(h);
                }
            }
        }
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Function, String> {
        s.parse()
    }

    #[test]
    fn a_function_is_a_name_a_source_and_handlers() {
        let f = parse("get-order=http-api@GET/orders/{id}@head/orders/{id}:handlers::get_order").unwrap();
        assert_eq!(f.name, "get-order");
        assert_eq!(
            f.source,
            Source::HttpApi(vec![
                Route { method: "GET".into(), path: "/orders/{id}".into() },
                Route { method: "HEAD".into(), path: "/orders/{id}".into() },
            ])
        );
        assert_eq!(f.handlers, ["handlers::get_order"]);
        assert_eq!(parse("orders-api=rest-api:api::*").unwrap().source, Source::RestApi(vec![]));
        let f = parse("fulfil=sqs:fulfil_order, notify").unwrap();
        assert_eq!((f.source, f.handlers), (Source::Sqs, vec!["fulfil_order".to_owned(), "notify".to_owned()]));
        assert_eq!(
            parse("count=dynamodb-stream@ORDERS_TABLE:count_orders").unwrap().source,
            Source::DynamoDbStream("ORDERS_TABLE".into())
        );
    }

    #[test]
    fn malformed_values_say_what_is_expected() {
        for (value, says) in [
            ("get-order", "has no `=`"),
            ("get-order=http-api", "has no `:`"),
            ("Get-Order=http-api:x", "function name `Get-Order`"),
            ("a-name-that-is-longer-than-24=sqs:x", "1-24 characters"),
            ("f=http:x", "unknown source `http`; expected one of: `http-api`, `rest-api`, `sqs`, `dynamodb-stream`"),
            ("f=http-api@orders:x", "route `orders` has no path"),
            ("f=http-api@FETCH/orders:x", "unknown method `FETCH`; expected one of: `ANY`"),
            ("f=http-api@GET/orders?x:x", "`?` cannot appear"),
            ("f=sqs@queue:x", "`sqs` takes no `@`"),
            ("f=dynamodb-stream:x", "`dynamodb-stream` takes one table"),
            ("f=dynamodb-stream@A@B:x", "`dynamodb-stream` takes one table"),
            ("f=sqs:a,,b", "an empty handler name"),
        ] {
            let e = parse(value).unwrap_err();
            assert!(e.contains(says), "{value}: {e}");
        }
    }

    #[test]
    fn paths_end_at_a_module_boundary() {
        assert!(ends_path("orders_example::handlers::get_order", "handlers::get_order"));
        assert!(ends_path("orders_example::handlers::get_order", "get_order"));
        assert!(ends_path("get_order", "get_order"));
        assert!(!ends_path("orders_example::handlers::get_order", "ers::get_order"));
        assert!(!ends_path("orders_example::handlers::forget_order", "get_order"));
    }
}
