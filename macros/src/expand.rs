//! The handler's shape, and the expansion.

use crate::args::Args;
use crate::model::{Bindings, Errors, Model, model};
use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use tenant_isolation_core::{Action, ObjectAction, PhysicalName};

/// A parameter that is one of the handler's tables or buckets.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Resource {
    Table(usize),
    Bucket(usize),
}

/// The handler's shape: which parameters are its tables and buckets, and what else it takes.
struct Handler {
    /// `(parameter position, resource)`.
    resources: Vec<(usize, Resource)>,
    kind: Kind,
}

/// A Lambda handler takes its event; an axum handler takes any extractors.
enum Kind {
    /// `async fn(tables..., event)`: the event's type.
    Lambda(syn::Type),
    /// `async fn(tables..., extractors...)`: every other parameter's type, in order.
    Axum(Vec<syn::Type>),
}

/// Is `ty` a path ending in `name` (with or without `<_>`/`<P>`, or behind a reference)?
fn is_handle(ty: &syn::Type, name: &str) -> bool {
    match ty {
        syn::Type::Path(p) => p.path.segments.last().is_some_and(|s| s.ident == name),
        syn::Type::Reference(r) => is_handle(&r.elem, name),
        _ => false,
    }
}

fn param_name(pt: &syn::PatType) -> Option<&syn::Ident> {
    match &*pt.pat {
        syn::Pat::Ident(p) => Some(&p.ident),
        _ => None,
    }
}

fn check_handler(f: &syn::ItemFn, axum: bool, bindings: &Bindings, errors: &mut Errors) -> Option<Handler> {
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
    if bindings.conflict {
        return None;
    }
    let typed: Vec<(usize, &syn::PatType)> = sig
        .inputs
        .iter()
        .enumerate()
        .filter_map(|(i, arg)| match arg {
            syn::FnArg::Typed(pt) => Some((i, pt)),
            syn::FnArg::Receiver(_) => None,
        })
        .collect();
    let mut resources = Vec::new();
    let mut others = Vec::new();
    for &(i, pt) in &typed {
        let (kind, names) = if is_handle(&pt.ty, "TenantTable") {
            ("table", bindings.tables.as_deref())
        } else if is_handle(&pt.ty, "TenantBucket") {
            ("bucket", Some(bindings.buckets.as_slice()))
        } else {
            others.push(pt);
            continue;
        };
        if let syn::Type::Reference(r) = &*pt.ty {
            errors.push_spanned(r, format!("take the {kind} by value (it is a zero-sized capability)"));
            ok = false;
        }
        let resource = |n: usize| if kind == "table" { Resource::Table(n) } else { Resource::Bucket(n) };
        match names {
            // The one-table form: its one `TenantTable` is the table, whatever its name.
            None => resources.push((i, resource(0))),
            Some(names) => match param_name(pt).and_then(|n| names.iter().position(|d| d == n)) {
                Some(n) => resources.push((i, resource(n))),
                None => {
                    let declared = names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ");
                    let list = if kind == "table" { "tables(...)" } else { "buckets(...)" };
                    let message = match (param_name(pt), declared.is_empty()) {
                        (Some(n), false) => {
                            format!(
                                "no {kind} named `{n}` in `{list}`: the {kind} parameters are named as declared: {declared}"
                            )
                        }
                        (Some(n), true) => format!("no {kind} named `{n}` is declared: add `{list}` to the attribute"),
                        (None, _) => format!("name the {kind} parameter as it is declared in `{list}`"),
                    };
                    errors.push_spanned(&pt.pat, message);
                    ok = false;
                }
            },
        }
    }
    // Every declared table and bucket is a parameter, and only once.
    let mut check_bound = |names: &[syn::Ident], of: fn(usize) -> Resource, kind: &str| {
        for (n, name) in names.iter().enumerate() {
            match resources.iter().filter(|(_, r)| *r == of(n)).count() {
                1 => {}
                0 => {
                    let ty = if kind == "table" { "TenantTable" } else { "TenantBucket" };
                    errors.push(
                        name.span(),
                        format!("{kind} `{name}` is declared, but the handler takes no `{name}: {ty}` parameter"),
                    );
                    ok = false;
                }
                _ => {
                    errors.push(name.span(), format!("{kind} `{name}` is taken by two parameters"));
                    ok = false;
                }
            }
        }
    };
    if let Some(names) = &bindings.tables {
        check_bound(names, Resource::Table, "table");
    }
    check_bound(&bindings.buckets, Resource::Bucket, "bucket");
    if bindings.tables.is_none() && resources.iter().filter(|(_, r)| *r == Resource::Table(0)).count() != 1 {
        let message = if axum {
            format!(
                "expected the tenant's table among the handler's extractors: `async fn {}(table: TenantTable, Path(id): Path<String>, ...)`",
                sig.ident
            )
        } else {
            format!(
                "expected two parameters, the tenant's table and the event: `async fn {}(table: TenantTable, event: E)`",
                sig.ident
            )
        };
        shape_error(sig, message, errors);
        return None;
    }
    if !axum && others.len() != 1 {
        let message = format!(
            "expected the tenant's tables and buckets, then the event: `async fn {}(table: TenantTable, event: E)`",
            sig.ident
        );
        shape_error(sig, message, errors);
        return None;
    }
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
    ok.then_some(Handler { resources, kind })
}

/// An error about the parameters as a whole: at the parameter list, or the name without one.
fn shape_error(sig: &syn::Signature, message: String, errors: &mut Errors) {
    match sig.inputs.is_empty() {
        true => errors.push(sig.ident.span(), message),
        false => errors.push_spanned(&sig.inputs, message),
    }
}

/// `TenantTable` (or `&TenantTable`) → `TenantTable<marker>`, and the same for
/// `TenantBucket`; other types are left alone.
fn set_marker(ty: &mut syn::Type, handle: &str, marker: &syn::Type) {
    match ty {
        syn::Type::Path(p) => {
            if let Some(last) = p.path.segments.last_mut().filter(|s| s.ident == handle) {
                last.arguments = syn::PathArguments::AngleBracketed(syn::parse_quote!(<#marker>));
            }
        }
        syn::Type::Reference(r) => set_marker(&mut r.elem, handle, marker),
        _ => {}
    }
}

/// The whole attribute: on error, the original function (with placeholder capabilities so
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
    let bindings = Bindings::of(&parsed_args);
    let handler = check_handler(&f, parsed_args.axum.is_some(), &bindings, &mut errors);
    if let Some(e) = arg_errors {
        errors.push_error(e);
    }
    let krate: syn::Path = parsed_args.krate.clone().unwrap_or_else(|| syn::parse_quote!(::tenant_isolation));
    let model = model(parsed_args, &mut errors);
    match (errors.0, model, handler) {
        (None, Some(model), Some(handler)) => expand(f, model, handler, bindings.tables.is_none()),
        (errors, _, _) => {
            // Every table and bucket parameter gets the placeholder capability, even when the
            // signature is wrong, so that the only errors are the ones above.
            let unchecked: syn::Type = syn::parse_quote!(#krate::__private::Unchecked);
            for arg in &mut f.sig.inputs {
                if let syn::FnArg::Typed(pt) = arg {
                    set_marker(&mut pt.ty, "TenantTable", &unchecked);
                    set_marker(&mut pt.ty, "TenantBucket", &unchecked);
                }
            }
            let ce = errors.map(|e| e.to_compile_error()).unwrap_or_default();
            quote!(#ce #f)
        }
    }
}

/// One associated type per action of `all`: `Declared` for those in `declared` (spanned at the
/// action in the attribute, so that notes point at the `actions = [...]` list), `Undeclared`
/// for the rest. Tables and buckets alike.
fn grants<A: Copy + PartialEq>(
    all: &[A],
    declared: &[(A, Span)],
    name: fn(A) -> &'static str,
    krate: &syn::Path,
) -> Vec<TokenStream> {
    all.iter()
        .map(|action| {
            let a = format_ident!("{}", name(*action));
            match declared.iter().find(|(x, _)| x == action) {
                Some((_, span)) => quote_spanned!(*span=> type #a = #krate::grant::Declared;),
                None => quote!(type #a = #krate::grant::Undeclared;),
            }
        })
        .collect()
}

/// A capability type of its own (a table's with `tables(...)`, a bucket's), naming its
/// handler's spec.
fn capability_type(
    marker: &syn::Ident,
    doc: &str,
    vis: &syn::Visibility,
    handler: &syn::Ident,
    krate: &syn::Path,
) -> TokenStream {
    quote! {
        #[doc = #doc]
        #[allow(non_camel_case_types)]
        #vis struct #marker { _private: () }
        impl #krate::__private::Isolated for #marker {
            const SPEC: &'static #krate::HandlerSpec = #handler::SPEC;
        }
    }
}

/// `` `GetItem`, `Query` `` for docs.
fn listed(actions: &[impl std::fmt::Display]) -> String {
    actions.iter().map(|a| format!("`{a}`")).collect::<Vec<_>>().join(", ")
}

/// `PhysicalName::Fixed(..)` / `PhysicalName::FromEnv { .. }` as tokens.
fn physical_name(name: &PhysicalName, krate: &syn::Path) -> TokenStream {
    let cow = quote!(#krate::__private::Cow::Borrowed);
    let declared = name.declared();
    match name.env_var() {
        Some(var) => quote!(#krate::__private::PhysicalName::FromEnv { var: #cow(#var), default: #cow(#declared) }),
        None => quote!(#krate::__private::PhysicalName::Fixed(#cow(#declared))),
    }
}

/// `one_table`: the one-table form (`table = ...`), whose table's capability type is the
/// handler's own type.
fn expand(mut f: syn::ItemFn, model: Model, handler: Handler, one_table: bool) -> TokenStream {
    let Model { model, table_spans, bucket_spans, template, pretty, worst_case, krate } = model;
    let session_tag = model.session_tag();
    let name = f.sig.ident.clone();
    let vis = f.vis.clone();
    let output = match &f.sig.output {
        syn::ReturnType::Default => quote_spanned!(f.sig.ident.span()=> ()),
        syn::ReturnType::Type(_, ty) => quote!(#ty),
    };
    let outer_attrs: Vec<_> = f.attrs.drain(..).collect();
    let cow = quote!(#krate::__private::Cow::Borrowed);
    // The one-table form keeps the handler's own type as its table's capability type
    // (`TenantTable<get_order>`); otherwise each table and bucket has a type of its own,
    // `<handler>_<parameter>`, with its own capabilities.
    let param_names: Vec<(Resource, String)> = handler
        .resources
        .iter()
        .map(|(i, r)| {
            let n = match &f.sig.inputs[*i] {
                syn::FnArg::Typed(pt) => param_name(pt).map(|n| n.to_string()).unwrap_or_default(),
                syn::FnArg::Receiver(_) => String::new(),
            };
            (*r, n)
        })
        .collect();
    let marker = |r: Resource| -> syn::Ident {
        match r {
            Resource::Table(0) if one_table => name.clone(),
            _ => {
                let param = &param_names.iter().find(|(x, _)| *x == r).expect("every resource is a parameter").1;
                format_ident!("{}_{}", name, param)
            }
        }
    };

    // The original function, renamed and moved into the handler type's impl.
    let inner_name = format_ident!("__tenant_handler", span = Span::mixed_site());
    for (i, r) in &handler.resources {
        let m = marker(*r);
        let ty: syn::Type = syn::parse_quote!(#m);
        if let syn::FnArg::Typed(pt) = &mut f.sig.inputs[*i] {
            match r {
                Resource::Table(_) => set_marker(&mut pt.ty, "TenantTable", &ty),
                Resource::Bucket(_) => set_marker(&mut pt.ty, "TenantBucket", &ty),
            }
        }
    }
    f.sig.ident = inner_name.clone();
    f.vis = syn::Visibility::Inherited;
    let inner = &f;

    let name_str = name.to_string();
    // The inner handler's arguments, in the user's order, with each handle where it was.
    let others = match &handler.kind {
        Kind::Lambda(_) => 1,
        Kind::Axum(types) => types.len(),
    };
    let arg_names: Vec<syn::Ident> =
        (0..others).map(|i| format_ident!("__tenant_arg{}", i, span = Span::mixed_site())).collect();
    let mut call_args: Vec<TokenStream> = arg_names.iter().map(|a| quote!(#a)).collect();
    let mut resources = handler.resources.clone();
    resources.sort_by_key(|(i, _)| *i);
    for (i, r) in &resources {
        let m = marker(*r);
        let make = match r {
            Resource::Table(_) => quote!(#krate::__private::table::<#m>()),
            Resource::Bucket(_) => quote!(#krate::__private::bucket::<#m>()),
        };
        call_args.insert(*i, make);
    }
    let call = quote!(#name::#inner_name(#(#call_args),*));

    // Capability types ([`grants`]). `Allows<A>` follows from them by the runtime's blanket
    // impls; the macro writes no `Allows` impl, and neither can anyone else.
    let mut capability_items = Vec::new();
    for (t, table) in model.tables.iter().enumerate() {
        let m = marker(Resource::Table(t));
        let spans = &table_spans[t];
        let grants = grants(Action::ALL, spans, Action::name, &krate);
        if m != name {
            let list = listed(&table.sorted_actions());
            let doc = format!(
                "Capabilities of the `{}` table of [`{name}`]({name}()): {list}. Generated by `#[tenant_isolated]`.",
                table.table.declared()
            );
            capability_items.push(capability_type(&m, &doc, &vis, &name, &krate));
        }
        capability_items.push(quote! {
            impl #krate::__private::Policy for #m {
                const TABLE: usize = #t;
                #(#grants)*
            }
        });
    }
    for (b, bucket) in model.buckets.iter().enumerate() {
        let m = marker(Resource::Bucket(b));
        let spans = &bucket_spans[b];
        let grants = grants(ObjectAction::ALL, spans, ObjectAction::name, &krate);
        let list = listed(&bucket.sorted_actions());
        let doc = format!(
            "Capabilities of the `{}` bucket of [`{name}`]({name}()): {list} under `{}<tenant>/`. Generated by `#[tenant_isolated]`.",
            bucket.bucket.declared(),
            bucket.objects.prefix()
        );
        capability_items.push(capability_type(&m, &doc, &vis, &name, &krate));
        capability_items.push(quote! {
            impl #krate::__private::BucketPolicy for #m {
                const BUCKET: usize = #b;
                #(#grants)*
            }
        });
    }
    let s3_check = (!model.buckets.is_empty()).then(|| quote!(const _: () = #krate::__private::require_s3();));

    // The model, as the `SPEC` constant.
    let tables = model.tables.iter().map(|t| {
        let table_name = physical_name(&t.table, &krate);
        let indexes: Vec<&str> = t.indexes.iter().map(|i| &**i).collect();
        let key_prefix = t.keys.prefix();
        let actions = t.sorted_actions().into_iter().map(|a| format_ident!("{}", a.name()));
        quote!(#krate::__private::TableModel {
            table: #table_name,
            indexes: #cow(&[#(#cow(#indexes)),*]),
            actions: #cow(&[#(#krate::__private::Action::#actions),*]),
            keys: #krate::__private::KeyRule::new(#key_prefix),
        })
    });
    let buckets = model.buckets.iter().map(|b| {
        let bucket_name = physical_name(&b.bucket, &krate);
        let prefix = b.objects.prefix();
        let actions = b.sorted_actions().into_iter().map(|a| format_ident!("{}", a.name()));
        quote!(#krate::__private::BucketModel {
            bucket: #bucket_name,
            actions: #cow(&[#(#krate::__private::ObjectAction::#actions),*]),
            objects: #krate::__private::ObjectRule::new(#prefix),
        })
    });
    let confinement = match session_tag {
        Some(tag) => quote!(#krate::__private::Confinement::SessionTag(#cow(#tag))),
        None => quote!(#krate::__private::Confinement::SessionPolicy),
    };

    let summary = model
        .tables
        .iter()
        .map(|t| {
            let list = listed(&t.sorted_actions());
            format!("`{}` with {list}", t.table.declared())
        })
        .chain(model.buckets.iter().map(|b| {
            let list = listed(&b.sorted_actions());
            format!("bucket `{}` with {list}", b.bucket.declared())
        }))
        .collect::<Vec<_>>()
        .join("; ");
    let krate_doc = quote!(#krate).to_string().replace(' ', "");
    let call_with_sentence = match &handler.kind {
        Kind::Lambda(_) => {
            format!(
                ", call the handler under an explicit [`Isolation`]({krate_doc}::Isolation) with [`{name}::call_with`]"
            )
        }
        Kind::Axum(_) => String::new(),
    };
    let capability_sentence = if one_table {
        format!("Use it as the capability type of the handler's table (`TenantTable<{name}>`)")
    } else {
        "Its tables and buckets have capability types of their own, `<handler>_<parameter>`".to_owned()
    };
    let struct_doc = format!(
        "Isolation policy of the [`{name}`]({name}()) handler: {summary}.\n\n\
         Generated by `#[tenant_isolated]`. {capability_sentence}{call_with_sentence}, and read the \
         session policy in [`{name}::POLICY_TEMPLATE`].",
    );
    let call_with_doc = format!(
        "Runs `{name}` under an explicit [`Isolation`]({krate_doc}::Isolation) instead of the \
         process-wide one (tests, several configurations in one process).",
    );
    let bound = model.tables.iter().any(|t| t.table.env_var().is_some())
        || model.buckets.iter().any(|b| b.bucket.env_var().is_some());
    let names_ph = if bound { ", the `{{table…}}`/`{{bucket…}}` names bound at run time" } else { "" };
    let template_doc = match session_tag {
        None => format!(
            "The session policy template of `{name}` (compact form; the runtime fills \
             `{{{{partition}}}}`, `{{{{region}}}}`, `{{{{account}}}}`{names_ph} and `{{{{tenant}}}}`).\n\n\
             At most {worst_case} characters once rendered (STS limit: 2048).\n\n```json\n{pretty}\n```"
        ),
        Some(tag) => format!(
            "The role policy that `{name}` needs (session-tag mode: the tenant is the session tag \
             `{tag}`, read by IAM as `${{aws:PrincipalTag/{tag}}}`; no session policy is sent). \
             Deploy it on the session-tag role; `{{{{partition}}}}`, `{{{{region}}}}`, \
             `{{{{account}}}}`{names_ph} are filled at deployment.\n\n```json\n{pretty}\n```"
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
                    #krate::__private::run_global::<#name, _, _>(__tenant_event, |#(#arg0),*| #call).await
                }
            },
            quote! {
                #[doc = #call_with_doc]
                #[allow(dead_code)]
                pub async fn call_with(isolation: &#krate::Isolation, event: #event_ty) -> #output {
                    #krate::__private::run_with::<#name, _, _>(isolation, event, |#(#arg0),*| #call).await
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
                ) -> #krate::__private::axum::Response {
                    __tenant_entered.run(|| #call).await
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

            // Constants of their own: a reference to an array of models (which have destructors)
            // lives for `'static` only as a constant's whole value.
            #[doc(hidden)]
            const __TENANT_TABLES: &'static [#krate::__private::TableModel] = &[#(#tables),*];
            #[doc(hidden)]
            const __TENANT_BUCKETS: &'static [#krate::__private::BucketModel] = &[#(#buckets),*];

            /// Everything the runtime needs to isolate this handler: its model, and the template
            /// compiled from it (checked again by the runtime before first use).
            pub const SPEC: &'static #krate::HandlerSpec = &#krate::HandlerSpec::__from_macro(
                #name_str,
                ::core::module_path!(),
                #krate::__private::HandlerModel {
                    tables: #cow(#name::__TENANT_TABLES),
                    buckets: #cow(#name::__TENANT_BUCKETS),
                    confinement: #confinement,
                },
                #name::POLICY_TEMPLATE,
            );

            #lambda_items

            #[doc(hidden)]
            #inner
        }

        impl #krate::__private::Isolated for #name {
            const SPEC: &'static #krate::HandlerSpec = #name::SPEC;
        }

        #(#capability_items)*

        #s3_check

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
