//! Validation of the arguments and the handler, and the expansion.

use crate::args::Args;
use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use tenant_isolation_core::{
    Action, Confinement, DEFAULT_KEY_PREFIX, HandlerModel, KeyRule, Refusal, SpecError, TableModel, TableName,
    valid_names,
};

/// Collects errors so that every problem is reported in one compilation.
#[derive(Default)]
struct Errors(Option<syn::Error>);

impl Errors {
    fn push(&mut self, span: Span, message: impl std::fmt::Display) {
        self.push_error(syn::Error::new(span, message));
    }
    /// An error spanning all of `tokens` (`&self`, `a: A, b: B`), not just their first token.
    fn push_spanned(&mut self, tokens: impl quote::ToTokens, message: impl std::fmt::Display) {
        self.push_error(syn::Error::new_spanned(tokens, message));
    }
    fn push_error(&mut self, e: syn::Error) {
        match &mut self.0 {
            Some(all) => all.combine(e),
            None => self.0 = Some(e),
        }
    }
}

/// The validated attribute.
pub(crate) struct Model {
    /// The handler's model, compiled by the same `HandlerModel::compile` the runtime checks
    /// the spec with.
    model: HandlerModel,
    /// Where each action is declared: the `Allows` impls carry that span, so that
    /// "`Allows<GetItem>` is implemented" notes point into the attribute.
    action_spans: Vec<(Action, Span)>,
    template: String,
    pretty: String,
    worst_case: usize,
    krate: syn::Path,
}

/// Validates the arguments into a policy model, reporting every problem.
fn model(args: Args, errors: &mut Errors) -> Option<Model> {
    let table = match &args.table {
        Some(t) => Some(t.value()),
        None => {
            // A misspelt `tabel = ...` was already reported with a suggestion.
            if !args.misspelt.contains(&"table") {
                errors.push(Span::call_site(), "missing argument `table`: expected `table = \"TableName\"`");
            }
            None
        }
    };
    let mut actions = Vec::new();
    let mut action_spans = Vec::new();
    let mut refused = false;
    match &args.actions {
        None if args.misspelt.contains(&"actions") => {}
        None => errors.push(
            Span::call_site(),
            format!("missing argument `actions`: expected `actions = [...]` with some of: {}", valid_names()),
        ),
        Some((names, span)) if names.is_empty() => {
            errors.push(*span, format!("no actions declared: a tenant policy needs at least one of: {}", valid_names()))
        }
        Some((names, _)) => {
            for entry in names {
                let name = &entry.name;
                match Action::classify(name) {
                    Ok(action) if actions.contains(&action) => {
                        errors.push_error(entry.error(format!("`{action}` is declared twice")))
                    }
                    Ok(action) => {
                        actions.push(action);
                        action_spans.push((action, entry.span));
                    }
                    Err(refusal) => {
                        refused = true;
                        let message = match refusal {
                            Refusal::Unknown { suggestion } => {
                                let hint = suggestion.map(|a| format!(": did you mean `{a}`?")).unwrap_or_default();
                                format!("unknown DynamoDB action `{name}`{hint}\nexpected one of: {}", valid_names())
                            }
                            Refusal::Wildcard => format!("`{name}`: {refusal}"),
                            _ => format!("`{name}` {refusal}"),
                        };
                        errors.push_error(entry.error(message));
                    }
                }
            }
        }
    }
    if args.actions.as_ref().is_none_or(|(names, _)| names.is_empty()) {
        // Already reported; the remaining checks need actions.
        return None;
    }
    // Without `table`, the other arguments are still checked (against a placeholder name)
    // so that every argument error shows up in one compilation.
    let table_missing = table.is_none();
    let table = table.unwrap_or_else(|| "Table".to_owned());
    let table_name = match &args.table_env {
        Some(var) => TableName::FromEnv { var: var.value().into(), default: table.into() },
        None => TableName::Fixed(table.into()),
    };
    let index_list = args.indexes.as_ref().map(|(list, _)| list.as_slice()).unwrap_or_default();
    let indexes: Vec<_> = index_list.iter().map(|l| l.value().into()).collect();
    let key_prefix = args.key_prefix.as_ref().map(|l| l.value()).unwrap_or_else(|| DEFAULT_KEY_PREFIX.to_owned());
    let spec = TableModel {
        table: table_name,
        indexes: indexes.into(),
        actions: actions.into(),
        keys: KeyRule::owned(key_prefix),
    };
    let table_span = args.table.as_ref().map_or_else(Span::call_site, |t| t.span());
    let index_span = |name: &str| index_list.iter().rev().find(|l| l.value() == name).map_or(table_span, |l| l.span());
    let mut spec_errors = spec.validate();
    spec_errors.retain(|e| match e {
        // Reported at their own spans above; with every action refused, the list is empty
        // only because of those errors.
        SpecError::DuplicateAction(_) | SpecError::NoActions => false,
        // `actions = [Qurey], indexes = [...]`: the refused name may be the `Query` that reads them.
        SpecError::IndexesWithoutQuery => !refused,
        _ => true,
    });
    let confinement = match &args.session_tag {
        Some(tag) => Confinement::SessionTag(tag.value().into()),
        None => Confinement::SessionPolicy,
    };
    let model = HandlerModel { table: spec, confinement };
    let built = if !spec_errors.is_empty() {
        Err(spec_errors)
    } else if model.table.actions.is_empty() {
        // Every action was refused, and reported.
        return None;
    } else {
        // `compile` validates again; after the errors above only the tag key (session-tag
        // mode) and the size check (session-policy mode) are new.
        model.compile().map_err(|e| {
            e.into_iter().filter(|e| matches!(e, SpecError::TooLarge { .. } | SpecError::BadTagKey(_))).collect()
        })
    };
    match built {
        Ok(compiled) if errors.0.is_none() && !table_missing => Some(Model {
            template: compiled.template,
            worst_case: compiled.worst_case,
            pretty: compiled.pretty,
            model,
            action_spans,
            krate: args.krate.unwrap_or_else(|| syn::parse_quote!(::tenant_isolation)),
        }),
        Ok(_) => None,
        Err(spec_errors) => {
            for e in spec_errors {
                let span = match &e {
                    SpecError::BadTableName(_) | SpecError::NoActions | SpecError::DuplicateAction(_) => table_span,
                    // Indexes are what usually grows a policy; without any, the table name.
                    SpecError::TooLarge { .. } => args.indexes.as_ref().map_or(table_span, |(_, kw)| *kw),
                    SpecError::BadIndexName(n) | SpecError::DuplicateIndex(n) => index_span(n),
                    SpecError::IndexesWithoutQuery => index_list.first().map_or(table_span, |l| l.span()),
                    SpecError::BadKeyPrefix(_) | SpecError::KeyPrefixWithoutSeparator(_) => {
                        args.key_prefix.as_ref().map_or(table_span, |l| l.span())
                    }
                    SpecError::BadEnvVar(_) => args.table_env.as_ref().map_or(table_span, |l| l.span()),
                    SpecError::BadTagKey(_) => args.session_tag.as_ref().map_or(table_span, |l| l.span()),
                };
                errors.push(span, e);
            }
            None
        }
    }
}

/// The handler's shape: which parameter is the table, and what else it takes.
struct Handler {
    table_index: usize,
    kind: Kind,
}

/// A Lambda handler takes its event; an axum handler takes any extractors.
enum Kind {
    /// `async fn(table, event)`: the event's type.
    Lambda(syn::Type),
    /// `async fn(table, extractors...)`: every parameter's type but the table's, in order.
    Axum(Vec<syn::Type>),
}

/// Is `ty` a path ending in `TenantTable` (with or without `<_>`/`<P>`)?
fn is_tenant_table(ty: &syn::Type) -> bool {
    match ty {
        syn::Type::Path(p) => p.path.segments.last().is_some_and(|s| s.ident == "TenantTable"),
        syn::Type::Reference(r) => is_tenant_table(&r.elem),
        _ => false,
    }
}

fn check_handler(f: &syn::ItemFn, axum: bool, errors: &mut Errors) -> Option<Handler> {
    let sig = &f.sig;
    let mut ok = true;
    if sig.asyncness.is_none() {
        errors.push(sig.fn_token.span, "`#[tenant_isolated]` handlers must be `async fn`");
        ok = false;
    }
    if !sig.generics.params.is_empty() || sig.generics.where_clause.is_some() {
        errors.push_spanned(
            &sig.generics,
            "`#[tenant_isolated]` handlers cannot be generic: the session policy is fixed per handler",
        );
        ok = false;
    }
    if let Some(receiver) = sig.receiver() {
        errors.push_spanned(
            receiver,
            "`#[tenant_isolated]` handlers cannot take `self`: write a free `async fn(table: TenantTable, event: E)`",
        );
        return None;
    }
    let table_params: Vec<usize> = sig
        .inputs
        .iter()
        .enumerate()
        .filter_map(|(i, arg)| match arg {
            syn::FnArg::Typed(pt) if is_tenant_table(&pt.ty) => Some(i),
            _ => None,
        })
        .collect();
    if axum {
        if table_params.len() != 1 {
            let message = format!(
                "expected the tenant's table among the handler's extractors: `async fn {}(table: TenantTable, Path(id): Path<String>, ...)`",
                sig.ident
            );
            match sig.inputs.is_empty() {
                true => errors.push(sig.ident.span(), message),
                false => errors.push_spanned(&sig.inputs, message),
            }
            return None;
        }
    } else if sig.inputs.len() != 2 || table_params.len() != 1 {
        let message = format!(
            "expected two parameters, the tenant's table and the event: `async fn {}(table: TenantTable, event: E)`",
            sig.ident
        );
        if sig.inputs.is_empty() {
            errors.push(sig.ident.span(), message);
        } else {
            errors.push_spanned(&sig.inputs, message);
        }
        return None;
    }
    if let syn::FnArg::Typed(pt) = &sig.inputs[table_params[0]]
        && let syn::Type::Reference(r) = &*pt.ty
    {
        errors.push_spanned(r, "take the table by value: `table: TenantTable` (it is a zero-sized capability)");
        ok = false;
    }
    let others: Vec<&syn::PatType> = sig
        .inputs
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != table_params[0])
        .filter_map(|(_, arg)| match arg {
            syn::FnArg::Typed(pt) => Some(pt),
            syn::FnArg::Receiver(_) => None,
        })
        .collect();
    for pt in &others {
        if let syn::Type::ImplTrait(it) = &*pt.ty {
            let what = if axum { "extractor types" } else { "the event type" };
            errors.push_spanned(it, format!("{what} must be concrete (for example `lambda_http::Request`)"));
            ok = false;
        }
    }
    let kind = if axum {
        Kind::Axum(others.iter().map(|pt| (*pt.ty).clone()).collect())
    } else {
        Kind::Lambda((*others[0].ty).clone())
    };
    ok.then_some(Handler { table_index: table_params[0], kind })
}

/// Rewrites the `TenantTable` parameter's type to `TenantTable<policy>`.
fn with_policy(f: &mut syn::ItemFn, table_index: usize, policy: &syn::Type) {
    if let syn::FnArg::Typed(pt) = &mut f.sig.inputs[table_index] {
        set_policy(&mut pt.ty, policy);
    }
}

/// `TenantTable` (or `&TenantTable`) → `TenantTable<policy>`; other types are left alone.
fn set_policy(ty: &mut syn::Type, policy: &syn::Type) {
    match ty {
        syn::Type::Path(p) => {
            if let Some(last) = p.path.segments.last_mut().filter(|s| s.ident == "TenantTable") {
                last.arguments = syn::PathArguments::AngleBracketed(syn::parse_quote!(<#policy>));
            }
        }
        syn::Type::Reference(r) => set_policy(&mut r.elem, policy),
        _ => {}
    }
}

/// The whole attribute: on error, the original function (with a placeholder policy so
/// the body still type-checks in IDEs) and every `compile_error!`.
pub(crate) fn tenant_isolated(args: TokenStream, item: TokenStream) -> TokenStream {
    let mut errors = Errors::default();
    let (parsed_args, arg_errors) = Args::parse(args);
    let mut f: syn::ItemFn = match syn::parse2(item.clone()) {
        Ok(f) => f,
        Err(_) => {
            let e = syn::Error::new(Span::call_site(), "`#[tenant_isolated]` goes on an `async fn` handler");
            let ce = e.to_compile_error();
            return quote!(#ce #item);
        }
    };
    let handler = check_handler(&f, parsed_args.axum.is_some(), &mut errors);
    if let Some(e) = arg_errors {
        errors.push_error(e);
    }
    let krate: syn::Path = parsed_args.krate.clone().unwrap_or_else(|| syn::parse_quote!(::tenant_isolation));
    let model = model(parsed_args, &mut errors);
    match (errors.0, model, handler) {
        (None, Some(model), Some(handler)) => expand(f, model, handler),
        (errors, _, _) => {
            // Every `TenantTable` parameter gets the placeholder policy, even when the
            // signature is wrong, so that the only errors are the ones above.
            let unchecked: syn::Type = syn::parse_quote!(#krate::__private::Unchecked);
            for arg in &mut f.sig.inputs {
                if let syn::FnArg::Typed(pt) = arg {
                    set_policy(&mut pt.ty, &unchecked);
                }
            }
            let ce = errors.map(|e| e.to_compile_error()).unwrap_or_default();
            quote!(#ce #f)
        }
    }
}

fn expand(mut f: syn::ItemFn, model: Model, handler: Handler) -> TokenStream {
    let Model { model, action_spans, template, pretty, worst_case, krate } = model;
    let spec = &model.table;
    let session_tag = model.session_tag();
    let name = f.sig.ident.clone();
    let vis = f.vis.clone();
    let policy_ty: syn::Type = syn::parse_quote!(#name);
    let output = match &f.sig.output {
        syn::ReturnType::Default => quote_spanned!(f.sig.ident.span()=> ()),
        syn::ReturnType::Type(_, ty) => quote!(#ty),
    };
    let outer_attrs: Vec<_> = f.attrs.drain(..).collect();

    // The original function, renamed and moved into the policy type's impl.
    let inner_name = format_ident!("__tenant_handler", span = Span::mixed_site());
    with_policy(&mut f, handler.table_index, &policy_ty);
    f.sig.ident = inner_name.clone();
    f.vis = syn::Visibility::Inherited;
    let inner = &f;

    let table = spec.table.declared();
    let indexes: Vec<&str> = spec.indexes.iter().map(|i| &**i).collect();
    let key_prefix = spec.keys.prefix();
    let sorted = spec.sorted_actions();
    let action_variants: Vec<_> = sorted.iter().map(|a| format_ident!("{}", a.name())).collect();
    let cow = quote!(#krate::__private::Cow::Borrowed);
    let table_name = match spec.table.env_var() {
        Some(var) => quote!(#krate::__private::TableName::FromEnv { var: #cow(#var), default: #cow(#table) }),
        None => quote!(#krate::__private::TableName::Fixed(#cow(#table))),
    };
    let confinement = match session_tag {
        Some(tag) => quote!(#krate::__private::Confinement::SessionTag(#cow(#tag))),
        None => quote!(#krate::__private::Confinement::SessionPolicy),
    };
    let name_str = name.to_string();
    // The inner handler's arguments, in the user's order, with the table where it was.
    let others = match &handler.kind {
        Kind::Lambda(_) => 1,
        Kind::Axum(types) => types.len(),
    };
    let arg_names: Vec<syn::Ident> =
        (0..others).map(|i| format_ident!("__tenant_arg{}", i, span = Span::mixed_site())).collect();
    let mut call_args: Vec<TokenStream> = arg_names.iter().map(|a| quote!(#a)).collect();
    call_args.insert(handler.table_index, quote!(__tenant_table));
    let call = quote!(#name::#inner_name(#(#call_args),*));
    // One associated type per action, `Declared` for the declared ones (spanned at the
    // action in the attribute, so that notes point at the `actions = [...]` list) and
    // `Undeclared` for the rest. `Allows<A>` follows from these by the runtime's blanket impls;
    // the macro writes no `Allows` impl, and neither can anyone else.
    let grants = Action::ALL.iter().map(|action| {
        let a = format_ident!("{}", action.name());
        match action_spans.iter().find(|(x, _)| x == action) {
            Some((_, span)) => quote_spanned!(*span=> type #a = #krate::grant::Declared;),
            None => quote!(type #a = #krate::grant::Undeclared;),
        }
    });
    let action_list = sorted.iter().map(|a| format!("`{a}`")).collect::<Vec<_>>().join(", ");
    let call_with_sentence = match &handler.kind {
        Kind::Lambda(_) => format!(
            ", call the handler under an explicit [`Isolation`]({}::Isolation) with [`{name}::call_with`]",
            quote!(#krate).to_string().replace(' ', "")
        ),
        Kind::Axum(_) => String::new(),
    };
    let struct_doc = format!(
        "Isolation policy of the [`{name}`]({name}()) handler: `{table}` with {action_list}.\n\n\
         Generated by `#[tenant_isolated]`. Use it as the capability type of the handler's \
         table (`TenantTable<{name}>`){call_with_sentence}, and read the session policy in \
         [`{name}::POLICY_TEMPLATE`].",
    );
    let call_with_doc = format!(
        "Runs `{name}` under an explicit [`Isolation`]({krate_doc}::Isolation) instead of the \
         process-wide one (tests, several configurations in one process).",
        krate_doc = quote!(#krate).to_string().replace(' ', ""),
    );
    let table_ph = if spec.table.env_var().is_some() { ", `{{table}}`" } else { "" };
    let template_doc = match session_tag {
        None => format!(
            "The session policy template of `{name}` (compact form; the runtime fills \
             `{{{{partition}}}}`, `{{{{region}}}}`, `{{{{account}}}}`{table_ph} and `{{{{tenant}}}}`).\n\n\
             At most {worst_case} characters once rendered (STS limit: 2048).\n\n```json\n{pretty}\n```"
        ),
        Some(tag) => format!(
            "The role policy that `{name}` needs (session-tag mode: the tenant is the session tag \
             `{tag}`, read by IAM as `${{aws:PrincipalTag/{tag}}}`; no session policy is sent). \
             Deploy it on the session-tag role; `{{{{partition}}}}`, `{{{{region}}}}`, \
             `{{{{account}}}}`{table_ph} are filled at deployment.\n\n```json\n{pretty}\n```"
        ),
    };
    let arg0 = &arg_names[..1.min(arg_names.len())];
    let (outer, lambda_items, handler_impl) = match &handler.kind {
        // Both keep the user's spans: `impl Handler` names them, so that an event that is not
        // a `TenantEvent` (or an output that is not a `Result`) is reported once, there.
        Kind::Lambda(event_ty) => (
            quote! {
                #(#outer_attrs)*
                #vis async fn #name(__tenant_event: #event_ty) -> #output {
                    #krate::__private::run_global::<#name, _, _>(__tenant_event, |__tenant_table, #(#arg0),*| #call).await
                }
            },
            quote! {
                #[doc = #call_with_doc]
                #[allow(dead_code)]
                pub async fn call_with(isolation: &#krate::Isolation, event: #event_ty) -> #output {
                    #krate::__private::run_with::<#name, _, _>(isolation, event, |__tenant_table, #(#arg0),*| #call).await
                }
            },
            quote! {
                impl #krate::__private::Handler for #name {
                    type Event = #event_ty;
                    type Output = #output;
                }
            },
        ),
        // An ordinary axum handler: the scope's extractor first (its rejection is the refusal's
        // response), then the user's extractors in their order; the body runs in the scope.
        Kind::Axum(types) => (
            quote! {
                #(#outer_attrs)*
                #vis async fn #name(
                    __tenant_entered: #krate::__private::axum::Entered<#name>,
                    #(#arg_names: #types),*
                ) -> #output {
                    __tenant_entered.run(|__tenant_table| #call).await
                }
            },
            quote!(),
            quote!(),
        ),
    };

    quote! {
        #outer

        #[doc = #struct_doc]
        #[allow(non_camel_case_types)]
        #vis struct #name {
            _private: (),
        }

        impl #name {
            #[doc = #template_doc]
            pub const POLICY_TEMPLATE: &'static str = #template;

            /// Everything the runtime needs to isolate this handler: its model, and the template
            /// compiled from it (checked again by the runtime before first use).
            pub const SPEC: &'static #krate::HandlerSpec = &#krate::HandlerSpec::__from_macro(
                #name_str,
                ::core::module_path!(),
                #krate::__private::HandlerModel {
                    table: #krate::__private::TableModel {
                        table: #table_name,
                        indexes: #cow(&[#(#cow(#indexes)),*]),
                        actions: #cow(&[#(#krate::__private::Action::#action_variants),*]),
                        keys: #krate::__private::KeyRule::new(#key_prefix),
                    },
                    confinement: #confinement,
                },
                #name::POLICY_TEMPLATE,
            );

            #lambda_items

            #[doc(hidden)]
            #inner
        }

        impl #krate::__private::Policy for #name {
            const SPEC: &'static #krate::HandlerSpec = #name::SPEC;
            #(#grants)*
        }

        #handler_impl

        #krate::__private::inventory::submit! {
            #krate::__private::Registration(#name::SPEC)
        }
    }
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
        assert!(out.contains("type GetItem = :: tenant_isolation :: grant :: Declared"));
        assert!(out.contains("type Query = :: tenant_isolation :: grant :: Declared"));
        assert!(out.contains("type PutItem = :: tenant_isolation :: grant :: Undeclared"));
        assert!(out.contains("orders : TenantTable < get_order >"));
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
}
