//! Validation of the arguments into the handler's [`HandlerModel`], every problem reported at
//! its own span.

use crate::args::{ActionName, Args, BucketArgs, Entry, NamedArgs, RecordsArg, TableArgs};
use proc_macro2::Span;
use tenant_isolation_core::{
    Action, BucketModel, Confinement, DEFAULT_KEY_PREFIX, DEFAULT_OBJECT_PREFIX, HandlerModel, KeyRule, NameRule,
    NamedAction, NamedModel, NamedRefusal, ObjectAction, ObjectRefusal, ObjectRule, PhysicalName, Refusal, Service,
    SharedQueue, SpecError, TableModel, valid_named_names, valid_names, valid_object_names,
};

/// Collects errors so that every problem is reported in one compilation.
#[derive(Default)]
pub(crate) struct Errors(pub(crate) Option<syn::Error>);

impl Errors {
    pub(crate) fn push(&mut self, span: Span, message: impl std::fmt::Display) {
        self.push_error(syn::Error::new(span, message));
    }
    /// An error spanning all of `tokens` (`&self`, `a: A, b: B`), not just their first token.
    pub(crate) fn push_spanned(&mut self, tokens: impl quote::ToTokens, message: impl std::fmt::Display) {
        self.push_error(syn::Error::new_spanned(tokens, message));
    }
    pub(crate) fn push_error(&mut self, e: syn::Error) {
        match &mut self.0 {
            Some(all) => all.combine(e),
            None => self.0 = Some(e),
        }
    }
}

/// How the handler's parameters name its tables, buckets, secrets, parameters and queues.
pub(crate) struct Bindings {
    /// `None`: the one-table form, whose one `TenantTable` parameter is the table whatever its
    /// name. `Some`: the names in `tables(...)`, in order.
    pub(crate) tables: Option<Vec<syn::Ident>>,
    /// The names in `buckets(...)`, in order.
    pub(crate) buckets: Vec<syn::Ident>,
    /// The names in `secrets(...)`, `parameters(...)` and `queues(...)` with their service, in
    /// the model's order (the index is the declaration's in `HandlerModel::named`).
    pub(crate) named: Vec<(Service, syn::Ident)>,
    /// Both table forms at once (reported by [`model`]): the parameters are not checked, as
    /// either reading of them would report errors that are not the mistake.
    pub(crate) conflict: bool,
}

impl Bindings {
    pub(crate) fn of(args: &Args) -> Bindings {
        fn names<A>(entries: &[Entry<A>]) -> Vec<syn::Ident> {
            entries.iter().map(|e| e.name.clone()).collect()
        }
        Bindings {
            tables: match (&args.tables, args.has_single()) {
                (Some((entries, _)), false) => Some(names(entries)),
                (None, false) if args.buckets.is_some() || !args.named.is_empty() => Some(Vec::new()),
                _ => None,
            },
            buckets: args.buckets.as_ref().map(|(entries, _)| names(entries)).unwrap_or_default(),
            named: args.named_entries().map(|(service, e)| (service, e.name.clone())).collect(),
            conflict: args.tables.is_some() && args.has_single(),
        }
    }
}

/// Where each declared action was written: the capability types carry that span, so that
/// notes point into the attribute.
pub(crate) type Spans<A> = Vec<(A, Span)>;

/// The validated attribute.
pub(crate) struct Model {
    /// The handler's model, compiled by the same `HandlerModel::compile` the runtime checks
    /// the spec with.
    pub(crate) model: HandlerModel,
    pub(crate) table_spans: Vec<Spans<Action>>,
    pub(crate) bucket_spans: Vec<Spans<ObjectAction>>,
    pub(crate) named_spans: Vec<Spans<NamedAction>>,
    pub(crate) template: String,
    pub(crate) pretty: String,
    pub(crate) worst_case: usize,
    pub(crate) krate: syn::Path,
    /// `records = ...`: the event source whose records the handler takes.
    pub(crate) records: Option<Records>,
}

/// A record handler's event source, and where its records' tenants are (validated).
pub(crate) enum Records {
    Sqs { tenant_attribute: String },
    EventBridge { tenant_field: String },
    DynamoDbStream { key_prefix: String },
    S3Events { prefix: String },
}

impl Records {
    /// The source's type and the constant expression of its value, in the runtime's terms.
    pub(crate) fn tokens(&self, krate: &syn::Path) -> (proc_macro2::TokenStream, proc_macro2::TokenStream) {
        use quote::quote;
        let r = quote!(#krate::records);
        match self {
            Records::Sqs { tenant_attribute } => {
                (quote!(#r::Sqs), quote!(#r::Sqs::tenant_attribute(#tenant_attribute)))
            }
            Records::EventBridge { tenant_field } => {
                (quote!(#r::EventBridge), quote!(#r::EventBridge::tenant_field(#tenant_field)))
            }
            Records::DynamoDbStream { key_prefix } => (
                quote!(#r::DynamoDbStream),
                quote!(#r::DynamoDbStream::keyed(#krate::__private::KeyRule::new(#key_prefix))),
            ),
            Records::S3Events { prefix } => {
                (quote!(#r::S3Events), quote!(#r::S3Events::keyed(#krate::__private::ObjectRule::new(#prefix))))
            }
        }
    }
}

/// The sources `records = ...` takes, each with its arguments (name, default).
const SOURCES: &str = "`sqs(tenant_attribute = \"...\")`, `eventbridge(tenant_field = \"...\")`, \
     `dynamodb_stream(key_prefix = \"TENANT#\")` or `s3_events(prefix = \"tenants/\")`";

/// Validates `records = source(...)`: a known source, its own arguments once each, the ones
/// without a default given (an attribute some producer writes is trusted on purpose, so it is
/// never implied), and prefixes by the same rules as the tables' and buckets'.
fn records(arg: &RecordsArg, errors: &mut Errors) -> Option<(Records, Option<Span>)> {
    let source = arg.source.to_string();
    let allowed: &[(&str, Option<&str>)] = match source.as_str() {
        "sqs" => &[("tenant_attribute", None)],
        "eventbridge" => &[("tenant_field", None)],
        "dynamodb_stream" => &[("key_prefix", Some(tenant_isolation_core::DEFAULT_KEY_PREFIX))],
        "s3_events" => &[("prefix", Some(tenant_isolation_core::DEFAULT_OBJECT_PREFIX))],
        _ => {
            errors.push(arg.source.span(), format!("unknown record source `{source}`: expected {SOURCES}"));
            return None;
        }
    };
    let mut ok = true;
    let mut values: Vec<Option<(String, Span)>> = vec![None; allowed.len()];
    for (name, value) in &arg.args {
        match allowed.iter().position(|(n, _)| name == n) {
            Some(i) if values[i].is_some() => {
                errors.push(name.span(), format!("`{name}` is given twice"));
                ok = false;
            }
            Some(i) => values[i] = Some((value.value(), value.span())),
            None => {
                let expected: Vec<String> = allowed.iter().map(|(n, _)| format!("`{n}`")).collect();
                errors.push(name.span(), format!("`{source}` takes {}, not `{name}`", expected.join(" and ")));
                ok = false;
            }
        }
    }
    if !ok {
        // A misplaced argument is the mistake: not also reported as the missing one.
        return None;
    }
    // The span of the prefix argument when it was given (`None`: the default was taken).
    let prefix_given = match source.as_str() {
        "dynamodb_stream" => values[0].as_ref().map(|(_, span)| *span),
        "s3_events" => values[0].as_ref().map(|(_, span)| *span),
        _ => None,
    };
    let mut get = |i: usize| -> Option<(String, Span)> {
        let (name, default) = allowed[i];
        match (&values[i], default) {
            (Some((v, span)), _) if v.trim().is_empty() || v.trim() != v => {
                errors.push(*span, format!("`{name}` must be a name without surrounding spaces"));
                None
            }
            (Some(v), _) => Some(v.clone()),
            (None, Some(d)) => Some((d.to_owned(), arg.source.span())),
            (None, None) => {
                errors.push(
                    arg.source.span(),
                    format!(
                        "`{source}` needs `{name} = \"...\"`: where each record names its tenant, declared on purpose"
                    ),
                );
                None
            }
        }
    };
    let records = match source.as_str() {
        "sqs" => Records::Sqs { tenant_attribute: get(0)?.0 },
        "eventbridge" => Records::EventBridge { tenant_field: get(0)?.0 },
        "dynamodb_stream" => {
            let (key_prefix, span) = get(0)?;
            if let Some(e) = tenant_isolation_core::key_prefix_error(&KeyRule::owned(key_prefix.clone())) {
                errors.push(span, e);
                return None;
            }
            Records::DynamoDbStream { key_prefix }
        }
        _ => {
            let (prefix, span) = get(0)?;
            if let Some(e) = tenant_isolation_core::object_prefix_error(&ObjectRule::owned(prefix.clone())) {
                errors.push(span, e);
                return None;
            }
            Records::S3Events { prefix }
        }
    };
    Some((records, prefix_given))
}

/// A Streams or S3 source reads a record's tenant by the rule that confines writes to its table
/// or bucket: the one the handler declares. Two rules for one resource would let a tenant whose
/// id is the rest of the longer prefix (tenant `tenants` under `prefix = ""`, writing
/// `tenants/globex/...`) name another tenant. Without a prefix argument, the source takes the
/// declared resources' (when they agree); with one, it must be a declared resource's.
fn reconcile(
    records: Records,
    given: Option<Span>,
    tables: &[TableModel],
    buckets: &[BucketModel],
    errors: &mut Errors,
) -> Option<Records> {
    let (declared, what, argument): (Vec<&str>, &str, &str) = match &records {
        Records::DynamoDbStream { .. } => (tables.iter().map(|t| t.keys.prefix()).collect(), "table", "key_prefix"),
        Records::S3Events { .. } => (buckets.iter().map(|b| b.objects.prefix()).collect(), "bucket", "prefix"),
        _ => return Some(records),
    };
    let Some(first) = declared.first() else { return Some(records) };
    let prefix = match (&records, given) {
        (_, None) if declared.iter().all(|d| d == first) => (*first).to_owned(),
        (_, None) => {
            errors.push(
                Span::call_site(),
                format!("the declared {what}s have different prefixes: name the source's with `{argument} = \"...\"`"),
            );
            return None;
        }
        (Records::DynamoDbStream { key_prefix: p, .. } | Records::S3Events { prefix: p }, Some(span)) => {
            if !declared.contains(&p.as_str()) {
                let declared: Vec<String> = declared.iter().map(|d| format!("`{d}`")).collect();
                errors.push(
                    span,
                    format!(
                        "`{argument} = \"{p}\"` is no declared {what}'s prefix ({}): a record's tenant is read by the rule its {what} confines writes by",
                        declared.join(", ")
                    ),
                );
                return None;
            }
            p.clone()
        }
        _ => return Some(records),
    };
    Some(match records {
        Records::DynamoDbStream { .. } => Records::DynamoDbStream { key_prefix: prefix },
        _ => Records::S3Events { prefix },
    })
}

/// Validates the arguments into a policy model, reporting every problem.
pub(crate) fn model(args: Args, errors: &mut Errors) -> Option<Model> {
    let mut tables = Vec::new();
    let mut table_spans = Vec::new();
    let mut ok = true;
    // The tables: the one-table form, `tables(...)`, or none beside `buckets(...)`.
    match (&args.tables, args.has_single().then_some(())) {
        (Some((_, span)), Some(())) => {
            errors.push(
                *span,
                "`tables(...)` and a top-level `table = ...` cannot be combined: declare every table in `tables(...)`",
            );
            ok = false;
        }
        (None, Some(())) => match table_model(&args.single, &args.misspelt, None, errors) {
            Some((table, spans)) => {
                tables.push(table);
                table_spans.push(spans);
            }
            None => ok = false,
        },
        (Some((entries, _)), None) => {
            for (i, entry) in entries.iter().enumerate() {
                duplicate_name(entries, i, "table", errors);
                match table_model(&entry.args, &entry.misspelt, Some(&entry.name), errors) {
                    Some((table, spans)) => {
                        tables.push(table);
                        table_spans.push(spans);
                    }
                    None => ok = false,
                }
            }
        }
        (None, None) if args.buckets.is_some() || !args.named.is_empty() => {}
        (None, None) => {
            errors.push(
                Span::call_site(),
                "missing argument `table`: expected `table = \"TableName\"` (or `tables(...)`, `buckets(...)`, \
                 `secrets(...)`, `parameters(...)` or `queues(...)`)",
            );
            return None;
        }
    }
    let mut buckets = Vec::new();
    let mut bucket_spans = Vec::new();
    for (i, entry) in args.buckets.iter().flat_map(|(entries, _)| entries).enumerate() {
        duplicate_name(args.buckets.as_ref().map_or(&[][..], |(e, _)| e), i, "bucket", errors);
        match bucket_model(&entry.args, &entry.misspelt, &entry.name, errors) {
            Some((bucket, spans)) => {
                buckets.push(bucket);
                bucket_spans.push(spans);
            }
            None => ok = false,
        }
    }
    let mut named = Vec::new();
    let mut named_spans = Vec::new();
    let all: Vec<_> = args.named_entries().collect();
    for (i, (service, entry)) in all.iter().enumerate() {
        // The name is the parameter's, whichever service declares it: one name, one handle.
        // Checked here rather than left to the model's own check (`DuplicateNamed`), which runs
        // only once every other argument is valid: every error in one compilation.
        if all[..i].iter().any(|(_, e)| e.name == entry.name) {
            errors.push(entry.name.span(), SpecError::DuplicateNamed(entry.name.to_string()));
        }
        match named_model(*service, entry, errors) {
            Some((model, spans)) => {
                named.push(model);
                named_spans.push(spans);
            }
            None => ok = false,
        }
    }
    let records = match &args.records {
        Some(arg) => match records(arg, errors).and_then(|(r, given)| reconcile(r, given, &tables, &buckets, errors)) {
            Some(r) => Some(r),
            None => {
                ok = false;
                None
            }
        },
        None => None,
    };
    if let (Some(axum), Some(arg)) = (args.axum, &args.records) {
        errors.push(
            axum,
            format!("a handler takes a request (`axum`) or a record (`records = {}(...)`), not both", arg.source),
        );
        ok = false;
    }
    let confinement = match &args.session_tag {
        Some(tag) => Confinement::SessionTag(tag.value().into()),
        None => Confinement::SessionPolicy,
    };
    if !ok || errors.0.is_some() {
        return None;
    }
    let model = HandlerModel { tables: tables.into(), buckets: buckets.into(), named: named.into(), confinement };
    match model.compile() {
        Ok(compiled) => Some(Model {
            template: compiled.template,
            worst_case: compiled.worst_case,
            pretty: compiled.pretty,
            model,
            table_spans,
            bucket_spans,
            named_spans,
            krate: args.krate.unwrap_or_else(|| syn::parse_quote!(::tenant_isolation)),
            records,
        }),
        Err(spec_errors) => {
            // Each resource was validated at its own spans above; what is left is the whole
            // handler's: its size, its tag key, a table or bucket declared twice and two
            // declarations whose names overlap (a declaration's name twice is reported above).
            for e in spec_errors {
                let span = match &e {
                    SpecError::TooLarge { .. } => match (&args.tables, &args.buckets, &args.single.indexes) {
                        (_, _, Some((_, kw))) => *kw,
                        (Some((_, kw)), _, _) | (None, Some((_, kw)), _) => *kw,
                        _ => args
                            .single
                            .table
                            .as_ref()
                            .map(|t| t.span())
                            .or(args.named.first().map(|l| l.span))
                            .unwrap_or_else(Span::call_site),
                    },
                    SpecError::BadTagKey(_) => args.session_tag.as_ref().map_or_else(Span::call_site, |l| l.span()),
                    SpecError::DuplicateTable(name) => later_literal(&args.tables, name, |a| a.table.as_ref()),
                    SpecError::DuplicateBucket(name) => later_literal(&args.buckets, name, |a| a.bucket.as_ref()),
                    // At the (later) shared queue's name.
                    SpecError::DuplicateQueue(queue) | SpecError::SharedQueueOwned { queue, .. } => all
                        .iter()
                        .rev()
                        .find_map(|(_, e)| e.args.queue.as_ref().filter(|l| l.value() == *queue).map(|l| l.span()))
                        .unwrap_or_else(Span::call_site),
                    // At the later declaration's prefix: `second` is the later one's.
                    SpecError::OverlappingNames { service, second, .. } => all
                        .iter()
                        .rev()
                        .find(|(s, e)| s == service && prefix_of(*s, &e.args).as_deref() == Some(second.as_str()))
                        .map_or_else(Span::call_site, |(_, e)| prefix_span(e)),
                    _ => Span::call_site(),
                };
                errors.push(span, e);
            }
            None
        }
    }
}

/// The span of the last entry whose literal is `name` (the second declaration).
fn later_literal<A>(
    entries: &Option<(Vec<Entry<A>>, Span)>,
    name: &str,
    literal: impl Fn(&A) -> Option<&syn::LitStr>,
) -> Span {
    entries
        .iter()
        .flat_map(|(e, _)| e.iter().rev())
        .find_map(|e| literal(&e.args).filter(|l| l.value() == name).map(|l| l.span()))
        .unwrap_or_else(Span::call_site)
}

fn duplicate_name<A>(entries: &[Entry<A>], i: usize, what: &str, errors: &mut Errors) {
    let name = &entries[i].name;
    if entries[..i].iter().any(|e| e.name == *name) {
        errors.push(name.span(), format!("{what} `{name}` is declared twice"));
    }
}

/// The actions of one table or bucket, each refused name reported at its entry.
fn actions<A: PartialEq + Copy + std::fmt::Display>(
    list: &Option<(Vec<ActionName>, Span)>,
    misspelt: &[&'static str],
    whose: &str,
    classify: impl Fn(&str) -> Result<A, String>,
    valid: impl Fn() -> String,
    errors: &mut Errors,
) -> Option<(Vec<A>, Spans<A>, bool)> {
    let mut actions = Vec::new();
    let mut spans = Vec::new();
    let mut refused = false;
    match list {
        None if misspelt.contains(&"actions") => return None,
        None => {
            errors.push(
                Span::call_site(),
                format!("missing argument `actions`{whose}: expected `actions = [...]` with some of: {}", valid()),
            );
            return None;
        }
        Some((names, span)) if names.is_empty() => {
            errors.push(*span, format!("no actions declared: a tenant policy needs at least one of: {}", valid()));
            return None;
        }
        Some((names, _)) => {
            for entry in names {
                match classify(&entry.name) {
                    Ok(action) if actions.contains(&action) => {
                        errors.push_error(entry.error(format!("`{action}` is declared twice")))
                    }
                    Ok(action) => {
                        actions.push(action);
                        spans.push((action, entry.span));
                    }
                    Err(message) => {
                        refused = true;
                        errors.push_error(entry.error(message));
                    }
                }
            }
        }
    }
    Some((actions, spans, refused))
}

/// One table's model, or `None` after reporting why not.
fn table_model(
    args: &TableArgs,
    misspelt: &[&'static str],
    binding: Option<&syn::Ident>,
    errors: &mut Errors,
) -> Option<(TableModel, Spans<Action>)> {
    let whose = binding.map(|b| format!(" in `{b}(...)`")).unwrap_or_default();
    let classify = |name: &str| {
        Action::classify(name).map_err(|refusal| match refusal {
            Refusal::Unknown { suggestion } => {
                let hint = suggestion.map(|a| format!(": did you mean `{a}`?")).unwrap_or_default();
                format!("unknown DynamoDB action `{name}`{hint}\nexpected one of: {}", valid_names())
            }
            Refusal::Wildcard => format!("`{name}`: {refusal}"),
            _ => format!("`{name}` {refusal}"),
        })
    };
    let declared = actions(&args.actions, misspelt, &whose, classify, valid_names, errors);
    let table = match &args.table {
        Some(t) => Some(t.value()),
        None => {
            // A misspelt `tabel = ...` was already reported with a suggestion.
            if !misspelt.contains(&"table") {
                let at = binding.map_or_else(Span::call_site, |b| b.span());
                errors.push(at, format!("missing argument `table`{whose}: expected `table = \"TableName\"`"));
            }
            None
        }
    };
    let (actions, spans, refused) = declared?;
    // Without `table`, the other arguments are still checked (against a placeholder name)
    // so that every argument error shows up in one compilation.
    let table_missing = table.is_none();
    let table = table.unwrap_or_else(|| "Table".to_owned());
    let name = match &args.table_env {
        Some(var) => PhysicalName::FromEnv { var: var.value().into(), default: table.into() },
        None => PhysicalName::Fixed(table.into()),
    };
    let index_list = args.indexes.as_ref().map(|(list, _)| list.as_slice()).unwrap_or_default();
    let key_prefix = args.key_prefix.as_ref().map(|l| l.value()).unwrap_or_else(|| DEFAULT_KEY_PREFIX.to_owned());
    let model = TableModel {
        table: name,
        indexes: index_list.iter().map(|l| l.value().into()).collect::<Vec<_>>().into(),
        actions: actions.into(),
        keys: KeyRule::owned(key_prefix),
    };
    let table_span =
        args.table.as_ref().map_or_else(|| binding.map_or_else(Span::call_site, |b| b.span()), |t| t.span());
    let index_span = |name: &str| index_list.iter().rev().find(|l| l.value() == name).map_or(table_span, |l| l.span());
    let mut valid = true;
    for e in model.validate() {
        let span = match &e {
            // Reported at their own spans above; with every action refused, the list is empty
            // only because of those errors.
            SpecError::DuplicateAction(_) | SpecError::NoActions => continue,
            // `actions = [Qurey], indexes = [...]`: the refused name may be the `Query` that reads them.
            SpecError::IndexesWithoutQuery if refused => continue,
            SpecError::IndexesWithoutQuery => index_list.first().map_or(table_span, |l| l.span()),
            SpecError::BadIndexName(n) | SpecError::DuplicateIndex(n) => index_span(n),
            SpecError::BadKeyPrefix(_) | SpecError::KeyPrefixWithoutSeparator(_) => {
                args.key_prefix.as_ref().map_or(table_span, |l| l.span())
            }
            SpecError::BadEnvVar(_) => args.table_env.as_ref().map_or(table_span, |l| l.span()),
            _ => table_span,
        };
        valid = false;
        errors.push(span, e);
    }
    (valid && !table_missing && !model.actions.is_empty()).then_some((model, spans))
}

/// One bucket's model, or `None` after reporting why not.
fn bucket_model(
    args: &BucketArgs,
    misspelt: &[&'static str],
    binding: &syn::Ident,
    errors: &mut Errors,
) -> Option<(BucketModel, Spans<ObjectAction>)> {
    let whose = format!(" in `{binding}(...)`");
    let classify = |name: &str| {
        ObjectAction::classify(name).map_err(|refusal| match refusal {
            ObjectRefusal::Unknown { suggestion } => {
                let hint = suggestion.map(|a| format!(": did you mean `{a}`?")).unwrap_or_default();
                format!("unknown S3 object action `{name}`{hint}\nexpected one of: {}", valid_object_names())
            }
            ObjectRefusal::Wildcard => format!("`{name}`: {refusal}"),
            _ => format!("`{name}` {refusal}"),
        })
    };
    let declared = actions(&args.actions, misspelt, &whose, classify, valid_object_names, errors);
    let bucket = match &args.bucket {
        Some(b) => Some(b.value()),
        None => {
            if !misspelt.contains(&"bucket") {
                errors.push(
                    binding.span(),
                    format!("missing argument `bucket`{whose}: expected `bucket = \"bucket-name\"`"),
                );
            }
            None
        }
    };
    let (actions, spans, _) = declared?;
    let bucket_missing = bucket.is_none();
    let bucket = bucket.unwrap_or_else(|| "bucket".to_owned());
    let name = match &args.bucket_env {
        Some(var) => PhysicalName::FromEnv { var: var.value().into(), default: bucket.into() },
        None => PhysicalName::Fixed(bucket.into()),
    };
    let prefix = args.prefix.as_ref().map(|l| l.value()).unwrap_or_else(|| DEFAULT_OBJECT_PREFIX.to_owned());
    let model = BucketModel { bucket: name, actions: actions.into(), objects: ObjectRule::owned(prefix) };
    let bucket_span = args.bucket.as_ref().map_or_else(|| binding.span(), |b| b.span());
    let mut valid = true;
    for e in model.validate() {
        let span = match &e {
            SpecError::DuplicateAction(_) | SpecError::NoActions => continue,
            SpecError::BadObjectPrefix(_) | SpecError::ObjectPrefixWithoutSeparator(_) => {
                args.prefix.as_ref().map_or(bucket_span, |l| l.span())
            }
            SpecError::BadEnvVar(_) => args.bucket_env.as_ref().map_or(bucket_span, |l| l.span()),
            _ => bucket_span,
        };
        valid = false;
        errors.push(span, e);
    }
    (valid && !bucket_missing && !model.actions.is_empty()).then_some((model, spans))
}

/// A declaration's prefix: the one given, or its service's default (`None`: a queue's, which
/// has none).
fn prefix_of(service: Service, args: &NamedArgs) -> Option<String> {
    match &args.prefix {
        Some(p) => Some(p.value()),
        None => service.default_prefix().map(str::to_owned),
    }
}

/// Where a declaration's prefix is written: its literal, or its name when it takes the default.
fn prefix_span(entry: &Entry<NamedArgs>) -> Span {
    entry.args.prefix.as_ref().map_or_else(|| entry.name.span(), |l| l.span())
}

/// One declaration of secrets, parameters or a queue, or `None` after reporting why not.
fn named_model(
    service: Service,
    entry: &Entry<NamedArgs>,
    errors: &mut Errors,
) -> Option<(NamedModel, Spans<NamedAction>)> {
    let (args, binding) = (&entry.args, &entry.name);
    let whose = format!(" in `{binding}(...)`");
    let classify = |name: &str| {
        NamedAction::classify(service, name).map_err(|refusal| match refusal {
            NamedRefusal::Unknown { suggestion } => {
                let hint = suggestion.map(|a| format!(": did you mean `{a}`?")).unwrap_or_default();
                format!("unknown {service} action `{name}`{hint}\nexpected one of: {}", valid_named_names(service))
            }
            NamedRefusal::Wildcard => format!("`{name}`: {refusal}"),
            _ => format!("`{name}` {refusal}"),
        })
    };
    let declared = actions(&args.actions, &entry.misspelt, &whose, classify, || valid_named_names(service), errors);
    let mut valid = shared_queue_arguments(entry, &whose, errors);
    let prefix = prefix_of(service, args);
    let misspelt = |name| entry.misspelt.contains(&name);
    if prefix.is_none() && args.queue.is_none() && !misspelt("prefix") && !misspelt("queue") {
        // A queue is named `<prefix><tenant>` and nothing else: no default could be the
        // deployment's queues' (and `""` would make every queue named like a tenant id one).
        errors.push(
            binding.span(),
            format!(
                "missing argument `prefix`{whose}: a tenant's queue is named `<prefix><tenant>` and nothing else, so \
                 queues have no default prefix; expected `prefix = \"...\"`, for example `prefix = \"{binding}-\"` for \
                 queues named `{binding}-<tenant>` (or, for one queue that every tenant's messages share, \
                 `queue = \"...\"` with `tenant_attribute = \"...\"`)"
            ),
        );
    }
    let (actions, spans, _) = declared?;
    let names = match &args.queue {
        Some(queue) => {
            let queue_name = match &args.queue_env {
                Some(var) => PhysicalName::FromEnv { var: var.value().into(), default: queue.value().into() },
                None => PhysicalName::Fixed(queue.value().into()),
            };
            // A missing attribute is reported above; the rest is still checked.
            let attribute = args.tenant_attribute.as_ref().map_or_else(|| "tenant_id".to_owned(), |a| a.value());
            NameRule::shared(SharedQueue { queue: queue_name, tenant_attribute: attribute.into() })
        }
        None if args.fifo.is_some() => NameRule::owned(service, prefix?).fifo(),
        None => NameRule::owned(service, prefix?),
    };
    // `kms_key = "<id>"` written in; with `kms_key_env`, bound at run time (the id, if written,
    // is the default; without one the runtime refuses to start until the variable is set).
    let names = match (&args.kms_key, &args.kms_key_env) {
        (key, Some(var)) => names.with_kms_key(PhysicalName::FromEnv {
            var: var.value().into(),
            default: key.as_ref().map(syn::LitStr::value).unwrap_or_default().into(),
        }),
        (Some(key), None) => names.with_kms_key(PhysicalName::Fixed(key.value().into())),
        (None, None) => names,
    };
    let model = NamedModel { name: binding.to_string().into(), actions: actions.into(), names };
    let literal_span = |literal: &Option<syn::LitStr>| literal.as_ref().map_or_else(|| binding.span(), |l| l.span());
    for e in model.validate() {
        let span = match &e {
            // Reported at their own spans above.
            SpecError::DuplicateAction(_) | SpecError::NoActions => continue,
            SpecError::BadNamePrefix { .. } => prefix_span(entry),
            SpecError::SharedQueueAction(action) => {
                spans.iter().find(|(a, _)| a.name() == *action).map_or_else(|| binding.span(), |(_, span)| *span)
            }
            SpecError::BadQueueName(_) => literal_span(&args.queue),
            SpecError::BadEnvVar(v) if args.kms_key_env.as_ref().is_some_and(|k| k.value() == *v) => {
                literal_span(&args.kms_key_env)
            }
            SpecError::BadEnvVar(_) => literal_span(&args.queue_env),
            SpecError::BadKmsKeyId(_) => literal_span(&args.kms_key),
            SpecError::KmsKeyOutside { .. } | SpecError::KmsKeyUnused(_) => {
                literal_span(if args.kms_key.is_some() { &args.kms_key } else { &args.kms_key_env })
            }
            SpecError::BadMessageAttribute(_) => literal_span(&args.tenant_attribute),
            _ => binding.span(),
        };
        valid = false;
        errors.push(span, e);
    }
    (valid && !model.actions.is_empty()).then_some((model, spans))
}

/// A queue declaration is of one shape: each tenant's own queue (`prefix`, `fifo`) or one queue
/// that every tenant's messages share (`queue`, `queue_env`, and `tenant_attribute`, required,
/// because the consumer trusts it). `false` after reporting an argument of the other shape or a
/// missing attribute.
fn shared_queue_arguments(entry: &Entry<NamedArgs>, whose: &str, errors: &mut Errors) -> bool {
    let args = &entry.args;
    let mut ok = true;
    let mut refuse = |span: Span, message: String| {
        errors.push(span, message);
        ok = false;
    };
    match &args.queue {
        Some(queue) => {
            if args.prefix.is_some() {
                refuse(
                    queue.span(),
                    "`prefix` and `queue` cannot be combined: `prefix` declares each tenant's own queue \
                     `<prefix><tenant>`, `queue` one queue that every tenant's messages share"
                        .to_owned(),
                );
            }
            if let Some(fifo) = args.fifo {
                refuse(
                    fifo,
                    "a shared queue is named in full: write its `.fifo` suffix in `queue = \"...\"`".to_owned(),
                );
            }
            if args.tenant_attribute.is_none() && !entry.misspelt.contains(&"tenant_attribute") {
                refuse(
                    queue.span(),
                    format!(
                        "missing argument `tenant_attribute`{whose}: a shared queue holds every tenant's messages, each \
                         carrying its sender's tenant in a message attribute; expected `tenant_attribute = \"...\"`, \
                         the attribute the consumer's `records = sqs(tenant_attribute = \"...\")` reads"
                    ),
                );
            }
        }
        None => {
            if let Some(attribute) = &args.tenant_attribute {
                refuse(
                    attribute.span(),
                    "`tenant_attribute` belongs to a shared queue (`queue = \"...\"`): a tenant's own queue \
                     `<prefix><tenant>` holds its tenant's messages alone"
                        .to_owned(),
                );
            }
            if let Some(var) = &args.queue_env {
                refuse(
                    var.span(),
                    "`queue_env` binds the name of a shared queue declared with `queue = \"...\"`".to_owned(),
                );
            }
        }
    }
    ok
}
