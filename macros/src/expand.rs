//! The expansion. [`tenant_isolated`] reads the handler ([`crate::handler`]) and the
//! arguments ([`crate::model`]), then expands them, or, on error, emits the original function
//! beside every error. The generated items are written by one module each: the capability
//! types (`capabilities`), the `SPEC` constant (`spec`), the docs (`docs`) and the function
//! each front end calls (`front_end`).

mod capabilities;
mod docs;
mod front_end;
mod spec;

use crate::args::Args;
use crate::handler::{self, Handler, Kind, Resource, named_handle};
use crate::model::{Bindings, Errors, Model, model};
use capabilities::{Markers, set_marker};
use front_end::Generated;
use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use tenant_isolation_core::Service;

/// The whole attribute: on error, the original function (with placeholder capabilities so
/// the body still type-checks in IDEs) and every `compile_error!`.
pub(crate) fn tenant_isolated(args: TokenStream, item: TokenStream) -> TokenStream {
    let mut errors = Errors::default();
    let (parsed_args, arg_errors) = Args::parse(args);
    let f: syn::ItemFn = match syn::parse2(item.clone()) {
        Ok(f) => f,
        Err(_) => {
            let e = syn::Error::new(Span::call_site(), "`#[tenant_isolated]` goes on an `async fn` handler");
            let ce = e.to_compile_error();
            return quote!(#ce #item);
        }
    };
    let bindings = Bindings::of(&parsed_args);
    let mut handler = handler::check(&f, parsed_args.axum.is_some(), &bindings, &mut errors);
    if let Some(e) = arg_errors {
        errors.push_error(e);
    }
    let krate: syn::Path = parsed_args.krate.clone().unwrap_or_else(|| syn::parse_quote!(::tenant_isolation));
    let model = model(parsed_args, &mut errors);
    // A missing `axum` is reported, and the handler expanded as the axum handler it is.
    let missing_axum = handler.as_mut().and_then(|h| h.missing_axum.take());
    match (errors.0, model, handler) {
        (None, Some(model), Some(handler)) => {
            let ce = missing_axum.map(|e| e.to_compile_error());
            let expanded = expand(f, model, handler, bindings.tables.is_none());
            quote!(#ce #expanded)
        }
        (errors, _, _) => {
            let mut errors = Errors(errors);
            if let Some(e) = missing_axum {
                errors.push_error(e);
            }
            unexpanded(f, errors, &krate)
        }
    }
}

/// The original function and the errors. Every handle parameter gets the placeholder
/// capability, even when the signature is wrong, so that the only errors are the ones reported.
fn unexpanded(mut f: syn::ItemFn, errors: Errors, krate: &syn::Path) -> TokenStream {
    let unchecked: syn::Type = syn::parse_quote!(#krate::__private::Unchecked);
    for arg in &mut f.sig.inputs {
        if let syn::FnArg::Typed(pt) = arg {
            set_marker(&mut pt.ty, "TenantTable", &unchecked);
            set_marker(&mut pt.ty, "TenantBucket", &unchecked);
            for service in Service::ALL {
                set_marker(&mut pt.ty, named_handle(*service), &unchecked);
            }
        }
    }
    let ce = errors.0.map(|e| e.to_compile_error()).unwrap_or_default();
    quote!(#ce #f)
}

/// `one_table`: the one-table form (`table = ...`), whose table's capability type is the
/// handler's own type.
fn expand(mut f: syn::ItemFn, model: Model, handler: Handler, one_table: bool) -> TokenStream {
    let Model { model, table_spans, bucket_spans, named_spans, template, pretty, worst_case, krate, records } = model;
    let name = f.sig.ident.clone();
    let vis = f.vis.clone();
    let output = match &f.sig.output {
        syn::ReturnType::Default => quote_spanned!(f.sig.ident.span()=> ()),
        syn::ReturnType::Type(_, ty) => quote!(#ty),
    };
    let attrs: Vec<_> = f.attrs.drain(..).collect();
    let markers = Markers::of(&f, &handler, one_table);
    let inner = inner_function(f, &handler, &markers);
    let (args, call) = call(&name, &handler, &markers, &krate);

    let capability_items =
        capabilities::items(&model, &table_spans, &bucket_spans, &named_spans, &markers, &vis, &krate);
    let s3_check = (!model.buckets.is_empty()).then(|| quote!(const _: () = #krate::__private::require_s3();));
    // Each declared service's feature, checked as `require_s3` checks `s3`.
    let feature_checks = Service::ALL.iter().filter(|s| model.named.iter().any(|n| n.service() == **s)).map(|s| {
        let require = format_ident!("require_{}", s.iam_prefix());
        quote!(const _: () = #krate::__private::#require();)
    });
    let spec_items = spec::items(&name, &model, &krate);
    let docs = docs::docs(&name, &model, &handler.kind, one_table, &pretty, worst_case, &krate);
    let (handler_doc, template_doc) = (&docs.handler, &docs.template);

    let generated =
        Generated { attrs: &attrs, vis: &vis, name: &name, output: &output, args: &args, call: &call, krate: &krate };
    let (function, call_with, handler_impl) = match (&handler.kind, &records) {
        (Kind::Lambda(record), Some(records)) => front_end::records(&generated, record, records, &docs.call_with),
        (Kind::Lambda(event), None) => front_end::lambda(&generated, event, &docs.call_with),
        (Kind::Axum(types), _) => (front_end::axum(&generated, types), quote!(), quote!()),
    };

    quote! {
        #function

        #[doc = #handler_doc]
        #[allow(non_camel_case_types)]
        #vis struct #name {
            _private: (),
        }

        impl #name {
            #[doc = #template_doc]
            pub const POLICY_TEMPLATE: &'static str = #template;

            #spec_items

            #call_with

            #[doc(hidden)]
            #inner
        }

        impl #krate::__private::Isolated for #name {
            const SPEC: &'static #krate::HandlerSpec = #name::SPEC;
        }

        #(#capability_items)*

        #s3_check
        #(#feature_checks)*

        #handler_impl

        #krate::__private::inventory::submit! {
            #krate::__private::Registration(#name::SPEC)
        }
    }
}

/// The user's function, renamed `__tenant_handler` and private (it moves into the handler
/// type's impl), with each handle parameter given its capability type.
fn inner_function(mut f: syn::ItemFn, handler: &Handler, markers: &Markers) -> syn::ItemFn {
    for (i, r) in &handler.resources {
        let m = markers.of_resource(*r);
        let ty: syn::Type = syn::parse_quote!(#m);
        if let syn::FnArg::Typed(pt) = &mut f.sig.inputs[*i] {
            match r {
                Resource::Table(_) => set_marker(&mut pt.ty, "TenantTable", &ty),
                Resource::Bucket(_) => set_marker(&mut pt.ty, "TenantBucket", &ty),
                Resource::Named(service, _) => set_marker(&mut pt.ty, named_handle(*service), &ty),
            }
        }
    }
    f.sig.ident = inner_name();
    f.vis = syn::Visibility::Inherited;
    f
}

fn inner_name() -> syn::Ident {
    format_ident!("__tenant_handler", span = Span::mixed_site())
}

/// The generated function's own parameters (the event, or the extractors) and the call of the
/// inner function with them and its handles, in the user's order.
fn call(name: &syn::Ident, handler: &Handler, markers: &Markers, krate: &syn::Path) -> (Vec<syn::Ident>, TokenStream) {
    let others = match &handler.kind {
        Kind::Lambda(_) => 1,
        Kind::Axum(types) => types.len(),
    };
    let args: Vec<syn::Ident> =
        (0..others).map(|i| format_ident!("__tenant_arg{}", i, span = Span::mixed_site())).collect();
    let mut call_args: Vec<TokenStream> = args.iter().map(|a| quote!(#a)).collect();
    let mut resources = handler.resources.clone();
    resources.sort_by_key(|(i, _)| *i);
    for (i, r) in &resources {
        let m = markers.of_resource(*r);
        let make = match r {
            Resource::Table(_) => quote!(#krate::__private::table::<#m>()),
            Resource::Bucket(_) => quote!(#krate::__private::bucket::<#m>()),
            Resource::Named(Service::SecretsManager, _) => quote!(#krate::__private::secrets::<#m>()),
            Resource::Named(Service::Ssm, _) => quote!(#krate::__private::parameters::<#m>()),
            Resource::Named(Service::Sqs, _) => quote!(#krate::__private::queue::<#m>()),
        };
        call_args.insert(*i, make);
    }
    let inner = inner_name();
    (args, quote!(#name::#inner(#(#call_args),*)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn messages(args: TokenStream, item: TokenStream) -> Vec<String> {
        let out = tenant_isolated(args, item).to_string();
        out.split("compile_error ! {")
            .skip(1)
            .map(|s| {
                let start = s.find('"').unwrap() + 1;
                let end = s.find("\" }").unwrap();
                s[start..end].to_owned()
            })
            .collect()
    }

    #[test]
    fn expansion_has_the_template_and_the_capabilities() {
        let out = tenant_isolated(
            quote!(table = "Orders", actions = [Query, GetItem], indexes = ["ByStatus"]),
            quote!(
                async fn get_order(orders: TenantTable, req: Request) -> Result<Response, Error> {
                    todo!()
                }
            ),
        )
        .to_string();
        assert!(!out.contains("compile_error"), "{out}");
        assert!(out.contains("pub const POLICY_TEMPLATE : & 'static str ="));
        assert!(out.contains(r#"\"dynamodb:GetItem\",\"dynamodb:Query\""#), "{out}");
        assert!(out.contains("type GetItem = :: tenant_isolation :: __private :: grant :: Declared"));
        assert!(out.contains("type Query = :: tenant_isolation :: __private :: grant :: Declared"));
        assert!(out.contains("type PutItem = :: tenant_isolation :: __private :: grant :: Undeclared"));
        assert!(out.contains("orders : TenantTable < get_order >"));
    }

    #[test]
    fn secrets_parameters_and_queues_expand_to_their_models_and_capabilities() {
        let out = tenant_isolated(
            quote!(
                secrets(webhooks(actions = [GetSecretValue])),
                parameters(settings(actions = [GetParameter, GetParametersByPath])),
                queues(jobs(prefix = "jobs-", fifo, actions = [ReceiveMessage, SendMessage])),
                records = sqs(tenant_attribute = "tenant")
            ),
            quote!(
                async fn work(
                    jobs: TenantQueue,
                    webhooks: TenantSecrets,
                    m: SqsMessage,
                    settings: TenantParameters,
                ) -> Result<(), E> {
                    todo!()
                }
            ),
        )
        .to_string();
        assert!(!out.contains("compile_error"), "{out}");
        let p = ":: tenant_isolation :: __private ::";
        // The models, in declaration order, with the default prefixes of secrets and parameters.
        for expected in [
            format!(
                "const __TENANT_NAMED : & 'static [{p} NamedModel] = & [{p} NamedModel {{ name : {p} Cow :: Borrowed (\"webhooks\")"
            ),
            format!("names : {p} NameRule :: new ({p} Service :: SecretsManager , \"tenants/\")"),
            format!("names : {p} NameRule :: new ({p} Service :: Ssm , \"/tenants/\")"),
            format!(
                "actions : {p} Cow :: Borrowed (& [{p} NamedAction :: ReceiveMessage , {p} NamedAction :: SendMessage]) , names : {p} NameRule :: fifo_queues (\"jobs-\")"
            ),
            format!("named : {p} Cow :: Borrowed (work :: __TENANT_NAMED)"),
        ] {
            assert!(out.contains(&expected), "{expected}\n{out}");
        }
        let webhooks = out.find("impl :: tenant_isolation :: __private :: NamedPolicy for work_webhooks").unwrap();
        let jobs = out.find("impl :: tenant_isolation :: __private :: NamedPolicy for work_jobs").unwrap();
        let settings = out.find("impl :: tenant_isolation :: __private :: NamedPolicy for work_settings").unwrap();
        // Each declaration's index, and its own actions only (another service's are undeclared).
        assert!(
            out[webhooks..]
                .starts_with(&format!("impl {p} NamedPolicy for work_webhooks {{ const NAMED : usize = 0usize ;"))
        );
        assert!(
            out[settings..]
                .starts_with(&format!("impl {p} NamedPolicy for work_settings {{ const NAMED : usize = 1usize ;"))
        );
        assert!(
            out[jobs..].starts_with(&format!("impl {p} NamedPolicy for work_jobs {{ const NAMED : usize = 2usize ;"))
        );
        let body = |at: usize| &out[at..at + out[at..].find('}').unwrap()];
        assert!(body(webhooks).contains(&format!("type GetSecretValue = {p} grant :: Declared")));
        assert!(body(webhooks).contains(&format!("type GetParameter = {p} grant :: Undeclared")));
        assert!(body(webhooks).contains(&format!("type PutSecretValue = {p} grant :: Undeclared")));
        assert!(body(settings).contains(&format!("type GetParametersByPath = {p} grant :: Declared")));
        assert!(body(jobs).contains(&format!("type SendMessage = {p} grant :: Declared")));
        assert!(body(jobs).contains(&format!("type DeleteMessage = {p} grant :: Undeclared")));
        // The handles, in the user's order, each of its service, and each service's feature.
        assert!(
            out.contains(&format!(
                "work :: __tenant_handler ({p} queue :: < work_jobs > () , {p} secrets :: < work_webhooks > () , __tenant_arg0 , {p} parameters :: < work_settings > ())"
            )),
            "{out}"
        );
        assert!(out.contains("jobs : TenantQueue < work_jobs >"), "{out}");
        for require in ["require_secretsmanager", "require_ssm", "require_sqs"] {
            assert!(out.contains(&format!("const _ : () = {p} {require} () ;")), "{require}");
        }
        assert!(!out.contains("require_s3"));
        // Only the declared services' features are required.
        let out = tenant_isolated(
            quote!(table = "Orders", actions = [GetItem], secrets(webhooks(actions = [GetSecretValue]))),
            quote!(
                async fn h(t: TenantTable, webhooks: TenantSecrets, e: E) {}
            ),
        )
        .to_string();
        assert!(!out.contains("compile_error"), "{out}");
        assert!(out.contains("require_secretsmanager") && !out.contains("require_ssm") && !out.contains("require_sqs"));
    }

    #[test]
    fn secrets_parameters_and_queues_errors_are_each_at_their_declaration() {
        let item = quote!(
            async fn h(a: TenantSecrets, b: TenantParameters, c: TenantQueue, e: E) {}
        );
        let m = messages(
            quote!(
                secrets(a(actions = [ListSecrets, GetParameter, "secretsmanager:*", GetSecretValu])),
                parameters(b(prefix = "tenants", actions = [GetParameter])),
                queues(c(actions = [SendMessageBatch, SendMessage]))
            ),
            item.clone(),
        );
        assert_eq!(m.len(), 7, "{m:#?}");
        assert!(m[0].starts_with("`ListSecrets` takes no resource, so IAM cannot confine it"), "{m:#?}");
        assert_eq!(m[1], "`GetParameter` is a Parameter Store action: declare it in `parameters(...)`");
        assert!(m[2].starts_with("`secretsmanager:*`: wildcards are never granted"), "{m:#?}");
        assert!(
            m[3].starts_with("unknown Secrets Manager action `GetSecretValu`: did you mean `GetSecretValue`?"),
            "{m:#?}"
        );
        assert!(m[3].ends_with("expected one of: `CreateSecret`, `DeleteSecret`, `DescribeSecret`, `GetSecretValue`, `PutSecretValue`, `UpdateSecret`"), "{m:#?}");
        assert!(m[4].starts_with("invalid parameter prefix `tenants`: use at most 64 characters"), "{m:#?}");
        assert_eq!(m[5], "`SendMessageBatch` is an API operation, not an IAM action: declare `SendMessage`");
        assert!(
            m[6].starts_with("missing argument `prefix` in `c(...)`: a tenant's queue is named `<prefix><tenant>`"),
            "{m:#?}"
        );
        // Across declarations: a name twice, and prefixes one of which starts the other.
        let m = messages(
            quote!(
                secrets(a(actions = [GetSecretValue]), b(prefix = "tenants/ORG/", actions = [GetSecretValue])),
                parameters(b(actions = [GetParameter])),
                queues(c(prefix = "c-", actions = [SendMessage]))
            ),
            item.clone(),
        );
        assert_eq!(m, ["`b` is declared twice"]);
        let m = messages(
            quote!(
                secrets(a(actions = [GetSecretValue])),
                parameters(b(actions = [GetParameter])),
                queues(c(prefix = "c-", actions = [SendMessage]), d(prefix = "c-high-", actions = [SendMessage]))
            ),
            quote!(
                async fn h(a: TenantSecrets, b: TenantParameters, c: TenantQueue, d: TenantQueue, e: E) {}
            ),
        );
        assert_eq!(m.len(), 1, "{m:#?}");
        assert!(m[0].starts_with("queue prefixes `c-` and `c-high-` overlap"), "{m:#?}");
    }

    #[test]
    fn a_customer_kms_key_expands_to_its_rule_and_a_grant_under_the_tenants_context() {
        let out = tenant_isolated(
            quote!(
                secrets(webhooks(actions = [GetSecretValue], kms_key_env = "WEBHOOKS_KEY")),
                parameters(settings(actions = [GetParameter], kms_key = "1234abcd-12ab-34cd-56ef-1234567890ab"))
            ),
            quote!(
                async fn h(webhooks: TenantSecrets, settings: TenantParameters, e: E) -> Result<(), E> {
                    todo!()
                }
            ),
        )
        .to_string();
        assert!(!out.contains("compile_error"), "{out}");
        let p = ":: tenant_isolation :: __private ::";
        for expected in [
            format!(
                "names : {p} NameRule :: encrypted ({p} Service :: SecretsManager , \"tenants/\" , {p} PhysicalName :: FromEnv {{ var : {p} Cow :: Borrowed (\"WEBHOOKS_KEY\") , default : {p} Cow :: Borrowed (\"\") }})"
            ),
            format!(
                "names : {p} NameRule :: encrypted ({p} Service :: Ssm , \"/tenants/\" , {p} PhysicalName :: Fixed ({p} Cow :: Borrowed (\"1234abcd-12ab-34cd-56ef-1234567890ab\")))"
            ),
        ] {
            assert!(out.contains(&expected), "{expected}\n{out}");
        }
        assert!(out.contains(r#"\"Action\":[\"kms:Decrypt\"],\"Resource\":[\"arn:{{partition}}:kms:{{region}}:{{account}}:key/{{kms}}\"],\"Condition\":{\"StringLike\":{\"kms:EncryptionContext:SecretARN\":[\"arn:{{partition}}:secretsmanager:{{region}}:{{account}}:secret:tenants/{{tenant}}/*\"]}}"#), "{out}");
    }

    #[test]
    fn a_kms_key_is_refused_where_no_value_is_read_or_written_by_alias_and_on_queues() {
        let m = messages(
            quote!(
                secrets(webhooks(actions = [DescribeSecret], kms_key = "1234abcd-12ab-34cd-56ef-1234567890ab")),
                parameters(settings(actions = [GetParameter], kms_key = "alias/settings"))
            ),
            quote!(
                async fn h(webhooks: TenantSecrets, settings: TenantParameters, e: E) {}
            ),
        );
        assert_eq!(m.len(), 2, "{m:#?}");
        assert!(
            m[0].starts_with("`webhooks` declares a KMS key, but none of its actions reads or writes a value"),
            "{m:#?}"
        );
        assert!(m[1].starts_with("invalid KMS key id `alias/settings`"), "{m:#?}");
        let m = messages(
            quote!(queues(jobs(
                prefix = "jobs-",
                actions = [SendMessage],
                kms_key = "1234abcd-12ab-34cd-56ef-1234567890ab"
            ))),
            quote!(
                async fn h(jobs: TenantQueue, e: E) {}
            ),
        );
        assert_eq!(m.len(), 1, "{m:#?}");
        assert!(m[0].starts_with("`kms_key` belongs in `secrets(...)` and `parameters(...)`"), "{m:#?}");
    }

    #[test]
    fn a_shared_queue_expands_to_its_rule_and_a_send_only_capability() {
        let out = tenant_isolated(
            quote!(queues(
                jobs(prefix = "jobs-", actions = [ReceiveMessage]),
                events(
                    queue = "order-events",
                    queue_env = "ORDER_EVENTS_QUEUE",
                    tenant_attribute = "tenant_id",
                    actions = [SendMessage]
                ),
            )),
            quote!(
                async fn produce(jobs: TenantQueue, events: TenantQueue, e: E) -> Result<(), E> {
                    todo!()
                }
            ),
        )
        .to_string();
        assert!(!out.contains("compile_error"), "{out}");
        let p = ":: tenant_isolation :: __private ::";
        let expected = format!(
            "names : {p} NameRule :: shared ({p} SharedQueue {{ queue : {p} PhysicalName :: FromEnv {{ var : {p} Cow :: Borrowed (\"ORDER_EVENTS_QUEUE\") , default : {p} Cow :: Borrowed (\"order-events\") }} , tenant_attribute : {p} Cow :: Borrowed (\"tenant_id\") , }})"
        );
        assert!(out.contains(&expected), "{expected}\n{out}");
        // The template the macro compiled: SendMessage on the bound queue, no tenant in it.
        assert!(out.contains(r#"\"Action\":[\"sqs:SendMessage\"],\"Resource\":[\"arn:{{partition}}:sqs:{{region}}:{{account}}:{{queue}}\"]"#), "{out}");
        let events = out.find(&format!("impl {p} NamedPolicy for produce_events")).unwrap();
        let body = &out[events..events + out[events..].find('}').unwrap()];
        assert!(body.contains("const NAMED : usize = 1usize"), "{body}");
        assert!(body.contains(&format!("type SendMessage = {p} grant :: Declared")), "{body}");
        assert!(body.contains(&format!("type ReceiveMessage = {p} grant :: Undeclared")), "{body}");
        assert!(out.contains("shared queue `events` (`order-events`, bound by `ORDER_EVENTS_QUEUE`; each message's tenant in `tenant_id`)"), "{out}");
    }

    #[test]
    fn a_shared_queues_errors_are_each_at_their_argument() {
        let item = quote!(
            async fn h(a: TenantQueue, b: TenantQueue, c: TenantQueue, d: TenantQueue, e: E) {}
        );
        let m = messages(
            quote!(queues(
                a(
                    queue = "order-events",
                    tenant_attribute = "tenant_id",
                    actions = [SendMessage, ReceiveMessage, DeleteMessage]
                ),
                b(
                    queue = "order events",
                    queue_env = "events",
                    tenant_attribute = "AWS.tenant",
                    actions = [SendMessage]
                ),
                c(queue = "c-all", prefix = "c-", fifo, actions = [SendMessage]),
                d(queue = "d", actions = [SendMessage]),
            )),
            item.clone(),
        );
        assert_eq!(m.len(), 9, "{m:#?}");
        assert!(
            m[0].starts_with("`ReceiveMessage` cannot be declared on a shared queue: it holds every tenant's messages"),
            "{m:#?}"
        );
        assert!(m[1].starts_with("`DeleteMessage` cannot be declared on a shared queue"), "{m:#?}");
        assert!(m[2].starts_with("invalid queue name `order events`: SQS queue names are 1-80 characters"), "{m:#?}");
        assert_eq!(m[3], "invalid environment variable name `events`: expected `[A-Z_][A-Z0-9_]*`");
        assert!(m[4].starts_with("invalid message attribute name `AWS.tenant`"), "{m:#?}");
        assert!(m[5].starts_with("`prefix` and `queue` cannot be combined"), "{m:#?}");
        assert!(m[6].starts_with("a shared queue is named in full: write its `.fifo` suffix"), "{m:#?}");
        // `c` has no attribute either: each declaration's missing argument is its own error.
        assert!(m[7].starts_with("missing argument `tenant_attribute` in `c(...)`"), "{m:#?}");
        assert!(
            m[8].starts_with(
                "missing argument `tenant_attribute` in `d(...)`: a shared queue holds every tenant's messages"
            ) && m[8].contains("`records = sqs(tenant_attribute"),
            "{m:#?}"
        );
        // A tenant's own queue takes neither a tenant attribute nor a queue variable.
        let m = messages(
            quote!(queues(a(prefix = "a-", tenant_attribute = "tenant_id", queue_env = "A", actions = [SendMessage]))),
            quote!(
                async fn h(a: TenantQueue, e: E) {}
            ),
        );
        assert_eq!(m.len(), 2, "{m:#?}");
        assert!(m[0].starts_with("`tenant_attribute` belongs to a shared queue"), "{m:#?}");
        assert!(m[1].starts_with("`queue_env` binds the name of a shared queue"), "{m:#?}");
        // Across declarations: a prefix that makes the shared queue a tenant's own, the same queue twice.
        let m = messages(
            quote!(queues(
                a(prefix = "jobs-", actions = [ReceiveMessage]),
                b(queue = "jobs-all", tenant_attribute = "tenant_id", actions = [SendMessage]),
            )),
            quote!(
                async fn h(a: TenantQueue, b: TenantQueue, e: E) {}
            ),
        );
        assert_eq!(m.len(), 1, "{m:#?}");
        assert!(
            m[0].starts_with("the shared queue `jobs-all` is also a tenant's own queue under prefix `jobs-`"),
            "{m:#?}"
        );
        let m = messages(
            quote!(queues(
                a(queue = "events", tenant_attribute = "tenant_id", actions = [SendMessage]),
                b(queue = "events", tenant_attribute = "tenant", actions = [SendMessage]),
            )),
            quote!(
                async fn h(a: TenantQueue, b: TenantQueue, e: E) {}
            ),
        );
        assert_eq!(m, ["queue `events` is declared twice"]);
    }

    #[test]
    fn a_handle_is_its_declarations_by_name_and_service() {
        let args = quote!(
            secrets(webhooks(actions = [GetSecretValue])),
            queues(jobs(prefix = "jobs-", actions = [SendMessage]))
        );
        // A handle of another service's type; a handle without a declaration; a declaration
        // without a handle.
        let m = messages(
            args.clone(),
            quote!(
                async fn h(webhooks: TenantQueue, settings: TenantParameters, e: E) {}
            ),
        );
        assert_eq!(
            m,
            [
                "`webhooks` is declared in `secrets(...)`, not in `queues(...)`: take it as `webhooks: TenantSecrets`",
                "no `parameters(...)` declaration named `settings`: add `parameters(settings(...))` to the attribute",
                "`queues(jobs(...))` is declared, but the handler takes no `jobs: TenantQueue` parameter",
            ]
        );
        let m = messages(
            args.clone(),
            quote!(
                async fn h(webhooks: &TenantSecrets, job: TenantQueue, e: E) {}
            ),
        );
        assert_eq!(
            m,
            [
                "take the `TenantSecrets` by value (it is a zero-sized capability)",
                "no `queues(...)` declaration named `job`: `TenantQueue` parameters are named as declared: `jobs`",
                "`queues(jobs(...))` is declared, but the handler takes no `jobs: TenantQueue` parameter",
            ]
        );
        // On error, the handles get the placeholder capability, so the body still type-checks.
        let out = tenant_isolated(
            args,
            quote!(
                async fn h(webhooks: TenantSecrets, e: E) {}
            ),
        )
        .to_string();
        assert!(out.contains("webhooks : TenantSecrets < :: tenant_isolation :: __private :: Unchecked >"), "{out}");
    }

    #[test]
    fn a_record_sources_prefix_is_the_one_its_resource_is_confined_by() {
        let s3 = quote!(
            async fn f(files: TenantBucket, r: S3EventRecord) -> Result<(), E> {
                todo!()
            }
        );
        // Not given: the bucket's own (`""`), not the source's default `tenants/`.
        let out = tenant_isolated(
            quote!(buckets(files(bucket = "uploads", prefix = "", actions = [GetObject])), records = s3_events()),
            s3.clone(),
        )
        .to_string();
        assert!(!out.contains("compile_error"), "{out}");
        assert!(
            out.contains("S3Events :: keyed (:: tenant_isolation :: __private :: ObjectRule :: new (\"\"))"),
            "{out}"
        );
        // Given, and no declared bucket's: refused.
        let m = messages(
            quote!(
                buckets(files(bucket = "uploads", prefix = "", actions = [GetObject])),
                records = s3_events(prefix = "tenants/")
            ),
            s3,
        );
        assert!(m.iter().any(|m| m.contains("is no declared bucket's prefix")), "{m:?}");
        let m = messages(
            quote!(
                table = "Orders",
                key_prefix = "T#",
                actions = [UpdateItem],
                records = dynamodb_stream(key_prefix = "T#ORG#")
            ),
            quote!(
                async fn f(orders: TenantTable, r: EventRecord) -> Result<(), E> {
                    todo!()
                }
            ),
        );
        assert!(m.iter().any(|m| m.contains("is no declared table's prefix")), "{m:?}");
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let m = messages(
            quote!(table = "x", actions = [Scan, GetItems, GetItem, GetItem, "*", TransactWriteItems]),
            quote!(
                fn h(t: TenantTable, e: E) {}
            ),
        );
        assert_eq!(m.len(), 7, "{m:#?}");
        assert!(m[0].starts_with("`#[tenant_isolated]` handlers must be `async fn`"));
        assert!(m[1].starts_with("`Scan` reads every tenant"));
        assert!(m[2].starts_with("unknown DynamoDB action `GetItems`: did you mean `GetItem`?"));
        assert_eq!(m[3], "`GetItem` is declared twice");
        assert!(m[4].starts_with("`*`: wildcards are never granted"));
        assert!(m[5].starts_with("`TransactWriteItems` is not an IAM action"));
        assert!(m[6].starts_with("invalid table name `x`"));
    }

    #[test]
    fn refused_actions_are_not_reported_again_as_an_empty_list() {
        let item = quote!(
            async fn h(t: TenantTable, e: E) {}
        );
        let m = messages(quote!(table = "Orders", actions = [Scan]), item.clone());
        assert_eq!(m.len(), 1, "{m:#?}");
        // `Qurey` may be the `Query` that reads the indexes: no "indexes without `Query`".
        let m = messages(quote!(table = "Orders", actions = [GetItem, Qurey], indexes = ["ByStatus"]), item);
        assert_eq!(m.len(), 1, "{m:#?}");
        assert!(m[0].starts_with("unknown DynamoDB action `Qurey`: did you mean `Query`?"));
    }

    #[test]
    fn argument_errors_do_not_hide_validation_errors() {
        let m = messages(
            quote!(tabel = "Orders", actions = [Scan, GetItem], key_prefix = "T*"),
            quote!(
                async fn h(t: TenantTable, e: E) {}
            ),
        );
        assert_eq!(m.len(), 3, "{m:#?}");
        assert!(m[0].starts_with("unknown argument `tabel`: did you mean `table`?"));
        assert!(m[1].starts_with("`Scan` reads every tenant"));
        assert!(m[2].starts_with("invalid key prefix `T*`"));
    }

    #[test]
    fn the_original_function_is_still_emitted_on_error() {
        let out = tenant_isolated(
            quote!(table = "Orders", actions = [Scan]),
            quote!(
                async fn h(t: TenantTable, e: E) {}
            ),
        )
        .to_string();
        assert!(out.contains("compile_error"));
        assert!(out.contains("async fn h (t : TenantTable < :: tenant_isolation :: __private :: Unchecked >"), "{out}");
    }

    #[test]
    fn handler_shape_errors() {
        let m = messages(
            quote!(table = "Orders", actions = [GetItem]),
            quote!(
                async fn h(e: E) {}
            ),
        );
        assert_eq!(
            m,
            ["expected two parameters, the tenant's table and the event: `async fn h(table: TenantTable, event: E)`"]
        );
        let m = messages(
            quote!(table = "Orders", actions = [GetItem]),
            quote!(
                async fn h(&self, e: E) {}
            ),
        );
        assert!(m[0].contains("cannot take `self`"));
    }

    #[test]
    fn axum_extractors_without_axum_are_one_error_and_an_axum_expansion() {
        let add = "for an axum handler, add `axum` to the attribute: `#[tenant_isolated(axum, ...)]`";
        let args = quote!(table = "Orders", actions = [GetItem]);
        let item = quote!(
            async fn h(t: TenantTable, Path(id): Path<String>) -> Result<String, E> {}
        );
        let out = tenant_isolated(args.clone(), item).to_string();
        assert_eq!(
            messages(
                args.clone(),
                quote!(
                    async fn h(t: TenantTable, Path(id): Path<String>) {}
                )
            ),
            [format!("`Path` is an axum extractor: {add}")]
        );
        // Expanded as the axum handler it is, so that its router reports nothing more.
        assert!(out.contains(":: tenant_isolation :: __private :: axum :: Entered < h >"), "{out}");
        assert!(!out.contains("__private :: Handler for h"), "{out}");
        // Through an `axum::` path, or a plain extractor name.
        for ty in [quote!(axum::extract::RawQuery), quote!(HeaderMap), quote!(State<App>)] {
            let m = messages(args.clone(), quote!(async fn h(t: TenantTable, x: #ty) {}));
            assert_eq!(m.len(), 1, "{m:#?}");
            assert!(m[0].ends_with(add), "{m:#?}");
        }
        // Two parameters beside the table: a Lambda handler takes one event.
        let m = messages(
            args.clone(),
            quote!(
                async fn h(t: TenantTable, a: A, b: B) {}
            ),
        );
        assert_eq!(m, [format!("a Lambda handler takes one event after its handles; {add}")]);
        // A Lambda event, even one named like an extractor without its type argument, is not one.
        for ty in [quote!(Request), quote!(LambdaEvent<ApiGatewayV2httpRequest>), quote!(Query)] {
            assert!(messages(args.clone(), quote!(async fn h(t: TenantTable, e: #ty) {})).is_empty());
        }
        // With `axum`, extractors are what the handler takes.
        let m = messages(
            quote!(axum, table = "Orders", actions = [GetItem]),
            quote!(
                async fn h(t: TenantTable, Path(id): Path<String>, b: B) {}
            ),
        );
        assert!(m.is_empty(), "{m:#?}");
        // Beside another error, the handler is not expanded, and both are reported.
        let m = messages(
            quote!(table = "Orders", actions = [Scan]),
            quote!(
                async fn h(t: TenantTable, Path(id): Path<String>) {}
            ),
        );
        assert_eq!(m.len(), 2, "{m:#?}");
        assert!(m[1].starts_with("`Path` is an axum extractor"), "{m:#?}");
    }
}
