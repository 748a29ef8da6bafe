//! Parsing `#[tenant_isolated(...)]` arguments.
//!
//! ```text
//! table = "Orders", actions = [GetItem, Query], indexes = ["ByStatus"],
//! key_prefix = "TENANT#", table_env = "ORDERS_TABLE", session_tag = "tenant",
//! crate = "::tenant_isolation"
//! ```
//!
//! or, for several tables and buckets, and for secrets, parameters and queues, one entry per
//! handler parameter (by its name):
//!
//! ```text
//! tables(
//!     orders(table = "Orders", actions = [PutItem], table_env = "ORDERS_TABLE"),
//!     customers(table = "Customers", actions = [GetItem]),
//! ),
//! buckets(attachments(bucket = "order-attachments", actions = [PutObject], prefix = "tenants/")),
//! secrets(webhooks(prefix = "tenants/", actions = [GetSecretValue])),
//! parameters(settings(prefix = "/tenants/", actions = [GetParameter, GetParametersByPath])),
//! queues(jobs(prefix = "jobs-", fifo, actions = [SendMessage, ReceiveMessage])),
//! queues(events(queue = "order-events", queue_env = "ORDER_EVENTS_QUEUE", tenant_attribute = "tenant_id", actions = [SendMessage])),
//! ```
//!
//! `fifo` is a flag, written bare like `axum`: the tenants' queues are FIFO queues. `queue`
//! (with `queue_env`, as `table`/`table_env`) names a queue every tenant's messages share instead
//! of a prefix, and `tenant_attribute` the message attribute that carries the sender's tenant.

use proc_macro2::{Span, TokenStream, TokenTree};
use quote::ToTokens;
use syn::parse::{Parse, ParseStream};
use syn::punctuated::Punctuated;
use syn::{LitStr, Token, bracketed, parenthesized};
use tenant_isolation_core::Service;

mod kw {
    syn::custom_keyword!(table);
    syn::custom_keyword!(tables);
    syn::custom_keyword!(bucket);
    syn::custom_keyword!(buckets);
    syn::custom_keyword!(secrets);
    syn::custom_keyword!(parameters);
    syn::custom_keyword!(queues);
    syn::custom_keyword!(fifo);
    syn::custom_keyword!(queue);
    syn::custom_keyword!(queue_env);
    syn::custom_keyword!(kms_key);
    syn::custom_keyword!(kms_key_env);
    syn::custom_keyword!(tenant_attribute);
    syn::custom_keyword!(actions);
    syn::custom_keyword!(indexes);
    syn::custom_keyword!(key_prefix);
    syn::custom_keyword!(table_env);
    syn::custom_keyword!(bucket_env);
    syn::custom_keyword!(prefix);
    syn::custom_keyword!(session_tag);
    syn::custom_keyword!(axum);
    syn::custom_keyword!(records);
}

const NAMES: [&str; 14] = [
    "table",
    "actions",
    "indexes",
    "key_prefix",
    "table_env",
    "tables",
    "buckets",
    "secrets",
    "parameters",
    "queues",
    "session_tag",
    "crate",
    "axum",
    "records",
];
const ARGUMENTS: &str = "`table`, `actions`, `indexes`, `key_prefix`, `table_env`, `tables`, `buckets`, `secrets`, `parameters`, `queues`, `session_tag`, `crate`, `axum`, `records`";
const TABLE_NAMES: [&str; 5] = ["table", "actions", "indexes", "key_prefix", "table_env"];
const TABLE_ARGUMENTS: &str = "`table`, `actions`, `indexes`, `key_prefix`, `table_env`";
const BUCKET_NAMES: [&str; 4] = ["bucket", "actions", "prefix", "bucket_env"];
const BUCKET_ARGUMENTS: &str = "`bucket`, `actions`, `prefix`, `bucket_env`";
const NAMED_NAMES: [&str; 4] = ["prefix", "actions", "kms_key", "kms_key_env"];
const NAMED_ARGUMENTS: &str = "`prefix`, `actions`, `kms_key`, `kms_key_env`";
const QUEUE_NAMES: [&str; 6] = ["prefix", "actions", "fifo", "queue", "queue_env", "tenant_attribute"];
const QUEUE_ARGUMENTS: &str = "`prefix`, `actions`, `fifo`, `queue`, `queue_env`, `tenant_attribute`";

/// One entry of `actions = [...]`: the tokens up to the next comma, joined (`Get*` is
/// `Get` and `*`), kept so that an error covers the whole entry.
pub(crate) struct ActionName {
    pub(crate) name: String,
    pub(crate) span: Span,
    tokens: TokenStream,
}

impl ActionName {
    /// An error spanning the whole entry (`Get*`, not just `Get`).
    pub(crate) fn error(&self, message: impl std::fmt::Display) -> syn::Error {
        syn::Error::new_spanned(&self.tokens, message)
    }
}

impl Parse for ActionName {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let mut name = String::new();
        let mut span = None;
        let mut tokens = TokenStream::new();
        while !input.is_empty() && !input.peek(Token![,]) {
            let tt: TokenTree = input.parse()?;
            span.get_or_insert(tt.span());
            tt.to_tokens(&mut tokens);
            match &tt {
                TokenTree::Literal(lit) => {
                    // `"GetItem"` is accepted as a spelling of `GetItem`.
                    let s = lit.to_string();
                    name.push_str(s.trim_matches('"'));
                }
                other => name.push_str(&other.to_string()),
            }
        }
        match span {
            Some(span) => Ok(ActionName { name, span, tokens }),
            None => Err(input.error("expected an action such as `GetItem`")),
        }
    }
}

/// The arguments of one table: at the top level (one table) or in `tables(name(...))`.
#[derive(Default)]
pub(crate) struct TableArgs {
    pub(crate) table: Option<LitStr>,
    pub(crate) actions: Option<(Vec<ActionName>, Span)>,
    pub(crate) indexes: Option<(Vec<LitStr>, Span)>,
    pub(crate) key_prefix: Option<LitStr>,
    pub(crate) table_env: Option<LitStr>,
}

impl TableArgs {
    fn is_empty(&self) -> bool {
        self.table.is_none()
            && self.actions.is_none()
            && self.indexes.is_none()
            && self.key_prefix.is_none()
            && self.table_env.is_none()
    }
}

/// The arguments of one bucket, in `buckets(name(...))`.
#[derive(Default)]
pub(crate) struct BucketArgs {
    pub(crate) bucket: Option<LitStr>,
    pub(crate) actions: Option<(Vec<ActionName>, Span)>,
    pub(crate) prefix: Option<LitStr>,
    pub(crate) bucket_env: Option<LitStr>,
}

/// The arguments of one declaration in `secrets(name(...))`, `parameters(name(...))` or
/// `queues(name(...))`.
#[derive(Default)]
pub(crate) struct NamedArgs {
    pub(crate) prefix: Option<LitStr>,
    pub(crate) actions: Option<(Vec<ActionName>, Span)>,
    /// `fifo` (queues only): the tenants' queues are `<prefix><tenant>.fifo`.
    pub(crate) fifo: Option<Span>,
    /// `queue = "..."` (queues only): a queue every tenant's messages share, by its name.
    pub(crate) queue: Option<LitStr>,
    /// `queue_env = "..."`: the variable that binds the shared queue's name at run time.
    pub(crate) queue_env: Option<LitStr>,
    /// `tenant_attribute = "..."`: the message attribute that carries the sender's tenant.
    pub(crate) tenant_attribute: Option<LitStr>,
    /// `kms_key = "..."` (secrets and parameters): the id of the customer-managed KMS key that
    /// encrypts their values.
    pub(crate) kms_key: Option<LitStr>,
    /// `kms_key_env = "..."`: the variable that binds that key id at run time.
    pub(crate) kms_key_env: Option<LitStr>,
}

/// `secrets(...)`, `parameters(...)` or `queues(...)`: one service's declarations.
pub(crate) struct NamedList {
    pub(crate) service: Service,
    pub(crate) entries: Vec<Entry<NamedArgs>>,
    /// The keyword's span.
    pub(crate) span: Span,
}

/// `records = source(name = "value", ...)`: the handler takes one record of an event source,
/// whose tenant is where the arguments say. Validated in `model`.
pub(crate) struct RecordsArg {
    /// `sqs`, `eventbridge`, `dynamodb_stream` or `s3_events`.
    pub(crate) source: syn::Ident,
    pub(crate) args: Vec<(syn::Ident, LitStr)>,
}

/// `name(args...)`: a table, bucket, or declaration of secrets, parameters or a queue, bound to
/// the handler parameter `name`.
pub(crate) struct Entry<A> {
    pub(crate) name: syn::Ident,
    pub(crate) args: A,
    /// Arguments reported as a near miss (`tabel` → `table`): not reported again as missing.
    pub(crate) misspelt: Vec<&'static str>,
}

/// The raw arguments, each with its span for errors.
#[derive(Default)]
pub(crate) struct Args {
    /// `table = ...` and its arguments at the top level: the one-table form.
    pub(crate) single: TableArgs,
    /// `tables(...)`, with the span of the keyword.
    pub(crate) tables: Option<(Vec<Entry<TableArgs>>, Span)>,
    /// `buckets(...)`, with the span of the keyword.
    pub(crate) buckets: Option<(Vec<Entry<BucketArgs>>, Span)>,
    /// `secrets(...)`, `parameters(...)` and `queues(...)`, each at most once, in the
    /// attribute's order: the order of the model's `named`.
    pub(crate) named: Vec<NamedList>,
    pub(crate) session_tag: Option<LitStr>,
    pub(crate) krate: Option<syn::Path>,
    /// `axum`: the handler is an axum handler (extractors beside its tables), not a Lambda one.
    pub(crate) axum: Option<Span>,
    /// `records = ...`: a record handler.
    pub(crate) records: Option<RecordsArg>,
    /// Arguments that an unknown argument was reported as a near miss of (`tabel` →
    /// `table`): not reported again as missing.
    pub(crate) misspelt: Vec<&'static str>,
}

impl Args {
    /// Parses every argument, collecting all errors (unknown and duplicate arguments) into one.
    /// The arguments that did parse are returned too, so that their validation errors are
    /// reported in the same compilation.
    pub(crate) fn parse(tokens: TokenStream) -> (Args, Option<syn::Error>) {
        let parsed = syn::parse::Parser::parse2(Args::parse_all, tokens);
        // `parse_all` recovers from every error; this arm is for safety only.
        parsed.unwrap_or_else(|e| (Args::default(), Some(e)))
    }

    /// Every declaration of secrets, parameters and queues with its service, in the model's
    /// order.
    pub(crate) fn named_entries(&self) -> impl Iterator<Item = (Service, &Entry<NamedArgs>)> {
        self.named.iter().flat_map(|list| list.entries.iter().map(move |e| (list.service, e)))
    }

    /// Whether the one-table form is used (any of its arguments at the top level).
    pub(crate) fn has_single(&self) -> bool {
        !self.single.is_empty() || self.misspelt.iter().any(|m| TABLE_NAMES.contains(m))
    }

    fn parse_all(input: ParseStream<'_>) -> syn::Result<(Args, Option<syn::Error>)> {
        let mut args = Args::default();
        let mut errors = Errors::default();
        comma_separated(input, &mut errors, |input, errors| args.parse_one(input, errors))?;
        Ok((args, errors.0))
    }

    fn parse_one(&mut self, input: ParseStream<'_>, errors: &mut Errors) -> syn::Result<()> {
        let lookahead = input.lookahead1();
        if let Some(result) = self.single.parse_one(input, &lookahead) {
            return result;
        }
        if lookahead.peek(kw::tables) {
            let k: kw::tables = input.parse()?;
            let entries = entries(input, errors, TableArgs::parse_one, &TABLE_NAMES, TABLE_ARGUMENTS)?;
            set_once(&mut self.tables, (entries, k.span), k.span, "tables")
        } else if lookahead.peek(kw::buckets) {
            let k: kw::buckets = input.parse()?;
            let entries = entries(input, errors, BucketArgs::parse_one, &BUCKET_NAMES, BUCKET_ARGUMENTS)?;
            set_once(&mut self.buckets, (entries, k.span), k.span, "buckets")
        } else if lookahead.peek(kw::secrets) || lookahead.peek(kw::parameters) || lookahead.peek(kw::queues) {
            let k: syn::Ident = input.parse()?;
            let service = Service::from_argument(&k.to_string()).expect("one of the services' arguments");
            let entries = match service {
                Service::Sqs => entries(input, errors, NamedArgs::parse_queue, &QUEUE_NAMES, QUEUE_ARGUMENTS)?,
                _ => entries(input, errors, NamedArgs::parse_named, &NAMED_NAMES, NAMED_ARGUMENTS)?,
            };
            if self.named.iter().any(|l| l.service == service) {
                return Err(syn::Error::new(k.span(), format!("duplicate argument `{k}`")));
            }
            self.named.push(NamedList { service, entries, span: k.span() });
            Ok(())
        } else if lookahead.peek(kw::session_tag) {
            let k: kw::session_tag = input.parse()?;
            input.parse::<Token![=]>()?;
            set_once(&mut self.session_tag, input.parse()?, k.span, "session_tag")
        } else if lookahead.peek(kw::axum) {
            let k: kw::axum = input.parse()?;
            set_once(&mut self.axum, k.span, k.span, "axum")
        } else if lookahead.peek(kw::records) {
            let k: kw::records = input.parse()?;
            input.parse::<Token![=]>()?;
            let source: syn::Ident = input.parse()?;
            let content;
            parenthesized!(content in input);
            let list = Punctuated::<RecordArg, Token![,]>::parse_terminated(&content)?;
            let args = list.into_iter().map(|a| (a.name, a.value)).collect();
            set_once(&mut self.records, RecordsArg { source, args }, k.span, "records")
        } else if lookahead.peek(Token![crate]) {
            let k: Token![crate] = input.parse()?;
            input.parse::<Token![=]>()?;
            let lit: LitStr = input.parse()?;
            let path = lit.parse::<syn::Path>()?;
            set_once(&mut self.krate, path, k.span, "crate")
        } else if input.peek(syn::Ident) {
            Err(unknown(input, &NAMES, ARGUMENTS, &mut self.misspelt))
        } else {
            Err(lookahead.error())
        }
    }
}

impl TableArgs {
    /// One table argument, or `None` when the next token starts none.
    fn parse_one(&mut self, input: ParseStream<'_>, lookahead: &syn::parse::Lookahead1<'_>) -> Option<syn::Result<()>> {
        let result = if lookahead.peek(kw::table) {
            (|| {
                let k: kw::table = input.parse()?;
                input.parse::<Token![=]>()?;
                set_once(&mut self.table, input.parse()?, k.span, "table")
            })()
        } else if lookahead.peek(kw::actions) {
            (|| {
                let k: kw::actions = input.parse()?;
                set_once(&mut self.actions, action_list(input)?, k.span, "actions")
            })()
        } else if lookahead.peek(kw::indexes) {
            (|| {
                let k: kw::indexes = input.parse()?;
                input.parse::<Token![=]>()?;
                let content;
                bracketed!(content in input);
                let list = Punctuated::<LitStr, Token![,]>::parse_terminated(&content)?;
                set_once(&mut self.indexes, (list.into_iter().collect(), k.span), k.span, "indexes")
            })()
        } else if lookahead.peek(kw::key_prefix) {
            (|| {
                let k: kw::key_prefix = input.parse()?;
                input.parse::<Token![=]>()?;
                set_once(&mut self.key_prefix, input.parse()?, k.span, "key_prefix")
            })()
        } else if lookahead.peek(kw::table_env) {
            (|| {
                let k: kw::table_env = input.parse()?;
                input.parse::<Token![=]>()?;
                set_once(&mut self.table_env, input.parse()?, k.span, "table_env")
            })()
        } else {
            return None;
        };
        Some(result)
    }
}

impl BucketArgs {
    fn parse_one(&mut self, input: ParseStream<'_>, lookahead: &syn::parse::Lookahead1<'_>) -> Option<syn::Result<()>> {
        let result = if lookahead.peek(kw::bucket) {
            (|| {
                let k: kw::bucket = input.parse()?;
                input.parse::<Token![=]>()?;
                set_once(&mut self.bucket, input.parse()?, k.span, "bucket")
            })()
        } else if lookahead.peek(kw::actions) {
            (|| {
                let k: kw::actions = input.parse()?;
                set_once(&mut self.actions, action_list(input)?, k.span, "actions")
            })()
        } else if lookahead.peek(kw::prefix) {
            (|| {
                let k: kw::prefix = input.parse()?;
                input.parse::<Token![=]>()?;
                set_once(&mut self.prefix, input.parse()?, k.span, "prefix")
            })()
        } else if lookahead.peek(kw::bucket_env) {
            (|| {
                let k: kw::bucket_env = input.parse()?;
                input.parse::<Token![=]>()?;
                set_once(&mut self.bucket_env, input.parse()?, k.span, "bucket_env")
            })()
        } else {
            return None;
        };
        Some(result)
    }
}

impl NamedArgs {
    /// An argument of a secrets or parameters declaration.
    fn parse_named(
        &mut self,
        input: ParseStream<'_>,
        lookahead: &syn::parse::Lookahead1<'_>,
    ) -> Option<syn::Result<()>> {
        if input.peek(kw::fifo) {
            let k: kw::fifo = match input.parse() {
                Ok(k) => k,
                Err(e) => return Some(Err(e)),
            };
            return Some(Err(syn::Error::new(k.span, "only queues are FIFO: `fifo` belongs in `queues(...)`")));
        }
        for (peeked, name) in
            [(lookahead.peek(kw::kms_key), "kms_key"), (lookahead.peek(kw::kms_key_env), "kms_key_env")]
        {
            if peeked {
                return Some((|| {
                    let k: syn::Ident = input.parse()?;
                    input.parse::<Token![=]>()?;
                    let slot = if name == "kms_key" { &mut self.kms_key } else { &mut self.kms_key_env };
                    set_once(slot, input.parse()?, k.span(), name)
                })());
            }
        }
        self.parse_one(input, lookahead)
    }

    /// An argument of a queues declaration: those of the others, `fifo`, and a shared queue's
    /// `queue`, `queue_env` and `tenant_attribute`.
    fn parse_queue(
        &mut self,
        input: ParseStream<'_>,
        lookahead: &syn::parse::Lookahead1<'_>,
    ) -> Option<syn::Result<()>> {
        macro_rules! literal {
            ($kw:ident) => {
                if lookahead.peek(kw::$kw) {
                    return Some((|| {
                        let k: kw::$kw = input.parse()?;
                        input.parse::<Token![=]>()?;
                        set_once(&mut self.$kw, input.parse()?, k.span, stringify!($kw))
                    })());
                }
            };
        }
        literal!(queue);
        literal!(queue_env);
        literal!(tenant_attribute);
        if lookahead.peek(kw::kms_key) || lookahead.peek(kw::kms_key_env) {
            return Some((|| {
                let k: syn::Ident = input.parse()?;
                Err(syn::Error::new(
                    k.span(),
                    format!(
                        "`{k}` belongs in `secrets(...)` and `parameters(...)`: a queue declaration cannot name a KMS key \
                         (a queue encrypted with a customer-managed key is not supported: sending to or receiving from \
                         it is denied by KMS)"
                    ),
                ))
            })());
        }
        if lookahead.peek(kw::fifo) {
            return Some((|| {
                let k: kw::fifo = input.parse()?;
                if input.peek(Token![=]) {
                    return Err(syn::Error::new(
                        k.span,
                        "`fifo` is a flag and takes no value: write `fifo` for FIFO queues, and nothing for standard ones",
                    ));
                }
                set_once(&mut self.fifo, k.span, k.span, "fifo")
            })());
        }
        self.parse_one(input, lookahead)
    }

    fn parse_one(&mut self, input: ParseStream<'_>, lookahead: &syn::parse::Lookahead1<'_>) -> Option<syn::Result<()>> {
        let result = if lookahead.peek(kw::prefix) {
            (|| {
                let k: kw::prefix = input.parse()?;
                input.parse::<Token![=]>()?;
                set_once(&mut self.prefix, input.parse()?, k.span, "prefix")
            })()
        } else if lookahead.peek(kw::actions) {
            (|| {
                let k: kw::actions = input.parse()?;
                set_once(&mut self.actions, action_list(input)?, k.span, "actions")
            })()
        } else {
            return None;
        };
        Some(result)
    }
}

/// `name = "value"` inside `records = source(...)`.
struct RecordArg {
    name: syn::Ident,
    value: LitStr,
}

impl Parse for RecordArg {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let name = input.parse()?;
        input.parse::<Token![=]>()?;
        Ok(RecordArg { name, value: input.parse()? })
    }
}

/// `= [A, B, ...]` after `actions`.
fn action_list(input: ParseStream<'_>) -> syn::Result<(Vec<ActionName>, Span)> {
    input.parse::<Token![=]>()?;
    let content;
    let bracket = bracketed!(content in input);
    let list = Punctuated::<ActionName, Token![,]>::parse_terminated(&content)?;
    Ok((list.into_iter().collect(), bracket.span.join()))
}

/// `(name(args...), ...)` after `tables`, `buckets`, `secrets`, `parameters` or `queues`.
fn entries<A: Default>(
    input: ParseStream<'_>,
    errors: &mut Errors,
    parse_one: fn(&mut A, ParseStream<'_>, &syn::parse::Lookahead1<'_>) -> Option<syn::Result<()>>,
    names: &'static [&'static str],
    arguments: &str,
) -> syn::Result<Vec<Entry<A>>> {
    let content;
    parenthesized!(content in input);
    let mut out = Vec::new();
    comma_separated(&content, errors, |input, errors| {
        let name: syn::Ident = input.parse()?;
        let inner;
        parenthesized!(inner in input);
        let mut entry = Entry { name, args: A::default(), misspelt: Vec::new() };
        comma_separated(&inner, errors, |input, _| {
            let lookahead = input.lookahead1();
            if let Some(result) = parse_one(&mut entry.args, input, &lookahead) {
                result
            } else if input.peek(syn::Ident) {
                Err(unknown(input, names, arguments, &mut entry.misspelt))
            } else {
                Err(lookahead.error())
            }
        })?;
        out.push(entry);
        Ok(())
    })?;
    Ok(out)
}

/// `item, item, ...` where each failed item is reported and skipped up to the next comma, so
/// that every error shows up in one compilation.
fn comma_separated(
    input: ParseStream<'_>,
    errors: &mut Errors,
    mut item: impl FnMut(ParseStream<'_>, &mut Errors) -> syn::Result<()>,
) -> syn::Result<()> {
    while !input.is_empty() {
        if let Err(e) = item(input, errors) {
            errors.push(e);
            while !input.is_empty() && !input.peek(Token![,]) {
                input.parse::<TokenTree>()?;
            }
        }
        if input.is_empty() {
            break;
        }
        input.parse::<Token![,]>()?;
    }
    Ok(())
}

/// An unknown argument, with the nearest known one.
fn unknown(
    input: ParseStream<'_>,
    names: &'static [&'static str],
    arguments: &str,
    misspelt: &mut Vec<&'static str>,
) -> syn::Error {
    let ident: syn::Ident = match input.parse() {
        Ok(ident) => ident,
        Err(e) => return e,
    };
    let name = ident.to_string();
    let hint = match tenant_isolation_core::closest(&name, names.iter().copied()) {
        Some(near) => {
            misspelt.extend(names.iter().find(|n| **n == near));
            format!(": did you mean `{near}`?")
        }
        None => String::new(),
    };
    syn::Error::new(ident.span(), format!("unknown argument `{name}`{hint}\nexpected one of: {arguments}"))
}

#[derive(Default)]
struct Errors(Option<syn::Error>);

impl Errors {
    fn push(&mut self, e: syn::Error) {
        match &mut self.0 {
            Some(all) => all.combine(e),
            None => self.0 = Some(e),
        }
    }
}

fn set_once<T>(slot: &mut Option<T>, value: T, span: Span, name: &str) -> syn::Result<()> {
    if slot.is_some() {
        return Err(syn::Error::new(span, format!("duplicate argument `{name}`")));
    }
    *slot = Some(value);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    #[test]
    fn parses_every_argument() {
        let (args, errors) = Args::parse(quote! {
            table = "Orders", actions = [GetItem, Query, Get*], indexes = ["ByStatus"],
            key_prefix = "T#", table_env = "ORDERS_TABLE", crate = "::my::reexport",
        });
        assert!(errors.is_none());
        let single = args.single;
        assert_eq!(single.table.unwrap().value(), "Orders");
        let names: Vec<_> = single.actions.unwrap().0.into_iter().map(|a| a.name).collect();
        assert_eq!(names, ["GetItem", "Query", "Get*"]);
        assert_eq!(single.indexes.unwrap().0[0].value(), "ByStatus");
        assert_eq!(single.key_prefix.unwrap().value(), "T#");
        assert_eq!(single.table_env.unwrap().value(), "ORDERS_TABLE");
        let krate = args.krate.unwrap();
        assert_eq!(quote!(#krate).to_string(), ":: my :: reexport");
    }

    #[test]
    fn parses_tables_and_buckets() {
        let (args, errors) = Args::parse(quote! {
            tables(
                orders(table = "Orders", actions = [PutItem], table_env = "ORDERS_TABLE"),
                customers(table = "Customers", actions = [GetItem], key_prefix = "ORG#"),
            ),
            buckets(files(bucket = "order-files", actions = [GetObject, PutObject], prefix = "t/", bucket_env = "FILES")),
        });
        assert!(errors.is_none(), "{}", errors.unwrap());
        assert!(!args.has_single());
        let (tables, _) = args.tables.unwrap();
        assert_eq!(tables.iter().map(|e| e.name.to_string()).collect::<Vec<_>>(), ["orders", "customers"]);
        assert_eq!(tables[1].args.key_prefix.as_ref().unwrap().value(), "ORG#");
        let (buckets, _) = args.buckets.unwrap();
        assert_eq!(buckets[0].args.bucket.as_ref().unwrap().value(), "order-files");
        assert_eq!(buckets[0].args.prefix.as_ref().unwrap().value(), "t/");
        assert_eq!(buckets[0].args.bucket_env.as_ref().unwrap().value(), "FILES");
    }

    #[test]
    fn parses_secrets_parameters_and_queues_in_their_order() {
        let (args, errors) = Args::parse(quote! {
            queues(jobs(prefix = "jobs-", fifo, actions = [SendMessage])),
            secrets(webhooks(actions = [GetSecretValue]), keys(prefix = "keys/", actions = [PutSecretValue])),
            parameters(settings(prefix = "/t/", actions = [GetParameter, GetParametersByPath])),
        });
        assert!(errors.is_none(), "{}", errors.unwrap());
        assert!(!args.has_single());
        let named: Vec<_> = args.named_entries().map(|(s, e)| (s, e.name.to_string())).collect();
        assert_eq!(
            named,
            [
                (Service::Sqs, "jobs".to_owned()),
                (Service::SecretsManager, "webhooks".to_owned()),
                (Service::SecretsManager, "keys".to_owned()),
                (Service::Ssm, "settings".to_owned()),
            ]
        );
        let entries: Vec<_> = args.named_entries().map(|(_, e)| e).collect();
        assert!(entries[0].args.fifo.is_some());
        assert_eq!(entries[0].args.prefix.as_ref().unwrap().value(), "jobs-");
        assert!(entries[1].args.prefix.is_none() && entries[1].args.fifo.is_none());
        let actions: Vec<_> = entries[3].args.actions.as_ref().unwrap().0.iter().map(|a| a.name.clone()).collect();
        assert_eq!(actions, ["GetParameter", "GetParametersByPath"]);
    }

    #[test]
    fn parses_a_shared_queue() {
        let (args, errors) = Args::parse(quote! {
            queues(events(queue = "order-events", queue_env = "ORDER_EVENTS_QUEUE", tenant_attribute = "tenant_id", actions = [SendMessage])),
        });
        assert!(errors.is_none(), "{}", errors.unwrap());
        let (_, events) = args.named_entries().next().unwrap();
        assert_eq!(events.args.queue.as_ref().unwrap().value(), "order-events");
        assert_eq!(events.args.queue_env.as_ref().unwrap().value(), "ORDER_EVENTS_QUEUE");
        assert_eq!(events.args.tenant_attribute.as_ref().unwrap().value(), "tenant_id");
        assert!(events.args.prefix.is_none());
        let (_, err) =
            Args::parse(quote!(queues(a(queue = "a", queue = "b", tenant_atribute = "t")), secrets(b(queue = "x")),));
        let messages: Vec<String> = err.unwrap().into_iter().map(|e| e.to_string()).collect();
        assert_eq!(
            messages,
            [
                "duplicate argument `queue`".to_owned(),
                format!(
                    "unknown argument `tenant_atribute`: did you mean `tenant_attribute`?\nexpected one of: {QUEUE_ARGUMENTS}"
                ),
                format!("unknown argument `queue`\nexpected one of: {NAMED_ARGUMENTS}"),
            ]
        );
    }

    #[test]
    fn fifo_is_a_bare_flag_of_queues_only() {
        let (args, err) = Args::parse(quote!(
            queues(a(prefix = "a-", fifo = true, actions = [SendMessage]), b(prefix = "b-", fifo, fifo)),
            secrets(c(fifo, prefx = "x/")),
            secrets(d(actions = [GetSecretValue])),
        ));
        let messages: Vec<String> = err.unwrap().into_iter().map(|e| e.to_string()).collect();
        assert_eq!(
            messages,
            [
                "`fifo` is a flag and takes no value: write `fifo` for FIFO queues, and nothing for standard ones"
                    .to_owned(),
                "duplicate argument `fifo`".to_owned(),
                "only queues are FIFO: `fifo` belongs in `queues(...)`".to_owned(),
                format!("unknown argument `prefx`: did you mean `prefix`?\nexpected one of: {NAMED_ARGUMENTS}"),
                "duplicate argument `secrets`".to_owned(),
            ]
        );
        // The arguments after a refused `fifo = true` are still read.
        let entries: Vec<_> = args.named_entries().map(|(_, e)| e).collect();
        assert_eq!(entries[0].args.actions.as_ref().unwrap().0[0].name, "SendMessage");
        assert!(entries[0].args.fifo.is_none());
        assert_eq!(entries[2].misspelt, ["prefix"]);
    }

    #[test]
    fn reports_all_argument_errors_at_once() {
        let (args, err) = Args::parse(quote!(
            tabel = "Orders",
            table = "A",
            table = "B",
            colour = 1,
            actions = [Query],
            buckets(f(bukket = "x"))
        ));
        let messages: Vec<String> = err.unwrap().into_iter().map(|e| e.to_string()).collect();
        assert_eq!(
            messages,
            [
                format!("unknown argument `tabel`: did you mean `table`?\nexpected one of: {ARGUMENTS}"),
                "duplicate argument `table`".to_owned(),
                format!("unknown argument `colour`\nexpected one of: {ARGUMENTS}"),
                format!("unknown argument `bukket`: did you mean `bucket`?\nexpected one of: {BUCKET_ARGUMENTS}"),
            ]
        );
        // What did parse is kept, to be validated in the same compilation.
        assert_eq!(args.single.table.unwrap().value(), "A");
        assert_eq!(args.single.actions.unwrap().0[0].name, "Query");
        assert_eq!(args.misspelt, ["table"]);
        assert_eq!(args.buckets.unwrap().0[0].misspelt, ["bucket"]);
    }
}
