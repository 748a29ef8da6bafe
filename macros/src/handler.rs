//! The handler's shape: which parameters are its tables, buckets, secrets, parameters and
//! queues, and what else it takes (a Lambda handler's one event, an axum handler's extractors).
//! Errors here are about the signature; the attribute's arguments are checked in `model`.

use crate::model::{Bindings, Errors};
use tenant_isolation_core::Service;

/// A parameter that is one of the handler's tables, buckets or declarations of secrets,
/// parameters and queues.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Resource {
    Table(usize),
    Bucket(usize),
    /// The declaration at this index of `HandlerModel::named`, of this service.
    Named(Service, usize),
}

/// The runtime's handle type of a service's declarations.
pub(crate) const fn named_handle(service: Service) -> &'static str {
    match service {
        Service::SecretsManager => "TenantSecrets",
        Service::Ssm => "TenantParameters",
        Service::Sqs => "TenantQueue",
    }
}

/// The handler's shape: which parameters are its tables and buckets, and what else it takes.
pub(crate) struct Handler {
    /// `(parameter position, resource)`.
    pub(crate) resources: Vec<(usize, Resource)>,
    pub(crate) kind: Kind,
    /// The handler takes axum extractors but the attribute does not say `axum`: the one error
    /// to report. The handler is still read (and expanded) as an axum handler, so that the
    /// router it is given to does not report the same mistake again as an unmet `Handler<_, _>`.
    pub(crate) missing_axum: Option<syn::Error>,
}

/// A Lambda handler takes its event; an axum handler takes any extractors.
pub(crate) enum Kind {
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

/// axum's extractors that take a type argument (`Path<String>`, `Json<Order>`): with one, the
/// name is not a Lambda event's.
const GENERIC_EXTRACTORS: [&str; 8] =
    ["Path", "Query", "Json", "Form", "State", "Extension", "ConnectInfo", "TypedHeader"];
/// axum's extractors without a type argument whose names no Lambda event type has.
const PLAIN_EXTRACTORS: [&str; 10] = [
    "HeaderMap",
    "Method",
    "Uri",
    "OriginalUri",
    "MatchedPath",
    "RawQuery",
    "RawForm",
    "RawPathParams",
    "NestedPath",
    "WebSocketUpgrade",
];

/// The name of the axum extractor `ty` looks like, if any: a path through `axum` or
/// `axum_extra`, or one of axum's extractor names (with its type argument where it has one).
fn axum_extractor(ty: &syn::Type) -> Option<String> {
    let syn::Type::Path(p) = ty else { return None };
    let last = p.path.segments.last()?;
    let name = last.ident.to_string();
    let through_axum = p.path.segments.iter().any(|s| s.ident == "axum" || s.ident == "axum_extra");
    let generic = matches!(last.arguments, syn::PathArguments::AngleBracketed(_));
    let known = (generic && GENERIC_EXTRACTORS.contains(&name.as_str())) || PLAIN_EXTRACTORS.contains(&name.as_str());
    (through_axum || known).then_some(name)
}

pub(crate) fn param_name(pt: &syn::PatType) -> Option<&syn::Ident> {
    match &*pt.pat {
        syn::Pat::Ident(p) => Some(&p.ident),
        _ => None,
    }
}

/// Reads the handler's signature against the attribute's `bindings`; `axum`: the attribute says
/// `axum`. `None` (with the errors pushed) when the signature cannot be expanded.
pub(crate) fn check(f: &syn::ItemFn, axum: bool, bindings: &Bindings, errors: &mut Errors) -> Option<Handler> {
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
    // Declarations taken by a handle of another service's type: that is the one error.
    let mut mistyped = Vec::new();
    for &(i, pt) in &typed {
        if let Some(service) = Service::ALL.iter().copied().find(|s| is_handle(&pt.ty, named_handle(*s))) {
            let handle = named_handle(service);
            if let syn::Type::Reference(r) = &*pt.ty {
                errors.push_spanned(r, format!("take the `{handle}` by value (it is a zero-sized capability)"));
                ok = false;
            }
            // The declaration of this name and service; else one of this name, of another service.
            let declared = param_name(pt).and_then(|n| {
                let named = bindings.named.iter();
                named
                    .clone()
                    .position(|(s, d)| *s == service && d == n)
                    .or_else(|| named.clone().position(|(_, d)| d == n))
            });
            match declared.map(|n| (n, bindings.named[n].0)) {
                Some((n, s)) if s == service => resources.push((i, Resource::Named(service, n))),
                Some((n, s)) => {
                    let name = &bindings.named[n].1;
                    errors.push_spanned(
                        &pt.ty,
                        format!(
                            "`{name}` is declared in `{}(...)`, not in `{}(...)`: take it as `{name}: {}`",
                            s.argument(),
                            service.argument(),
                            named_handle(s)
                        ),
                    );
                    mistyped.push(n);
                    ok = false;
                }
                None => {
                    let list = service.argument();
                    let declared: Vec<String> =
                        bindings.named.iter().filter(|(s, _)| *s == service).map(|(_, n)| format!("`{n}`")).collect();
                    let message = match (param_name(pt), declared.is_empty()) {
                        (Some(n), false) => format!(
                            "no `{list}(...)` declaration named `{n}`: `{handle}` parameters are named as declared: {}",
                            declared.join(", ")
                        ),
                        (Some(n), true) => {
                            format!("no `{list}(...)` declaration named `{n}`: add `{list}({n}(...))` to the attribute")
                        }
                        (None, _) => format!("name the `{handle}` parameter as it is declared in `{list}(...)`"),
                    };
                    errors.push_spanned(&pt.pat, message);
                    ok = false;
                }
            }
            continue;
        }
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
    // And every declaration of secrets, parameters and queues, but for those already reported:
    // a name declared twice (`model`), or taken by a handle of another service's type.
    for (n, (service, name)) in bindings.named.iter().enumerate() {
        let twice = bindings.named.iter().enumerate().any(|(k, (_, d))| k != n && d == name);
        if twice || mistyped.contains(&n) {
            continue;
        }
        let list = service.argument();
        match resources.iter().filter(|(_, r)| *r == Resource::Named(*service, n)).count() {
            1 => {}
            0 => {
                let handle = named_handle(*service);
                errors.push(
                    name.span(),
                    format!("`{list}({name}(...))` is declared, but the handler takes no `{name}: {handle}` parameter"),
                );
                ok = false;
            }
            _ => {
                errors.push(name.span(), format!("`{list}({name}(...))` is taken by two parameters"));
                ok = false;
            }
        }
    }
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
    let missing_axum = if axum { None } else { missing_axum(&others) };
    if !axum && missing_axum.is_none() && others.len() != 1 {
        let message = format!(
            "expected the tenant's handles (tables, buckets, secrets, parameters, queues), then the event: `async fn {}(table: TenantTable, event: E)`",
            sig.ident
        );
        shape_error(sig, message, errors);
        return None;
    }
    let axum = axum || missing_axum.is_some();
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
    ok.then_some(Handler { resources, kind, missing_axum })
}

/// For a handler whose attribute does not say `axum`: the error that says to add it, when its
/// parameters are an axum handler's (an axum extractor, or more than the one event a Lambda
/// handler takes). At the first extractor's type, else at the parameters after the first.
fn missing_axum(others: &[&syn::PatType]) -> Option<syn::Error> {
    const ADD: &str = "for an axum handler, add `axum` to the attribute: `#[tenant_isolated(axum, ...)]`";
    if let Some((pt, name)) = others.iter().find_map(|pt| axum_extractor(&pt.ty).map(|name| (pt, name))) {
        return Some(syn::Error::new_spanned(&pt.ty, format!("`{name}` is an axum extractor: {ADD}")));
    }
    (others.len() > 1).then(|| {
        let extra = others[1..].iter().map(|pt| quote::quote!(#pt));
        syn::Error::new_spanned(
            quote::quote!(#(#extra),*),
            format!("a Lambda handler takes one event after its handles; {ADD}"),
        )
    })
}

/// An error about the parameters as a whole: at the parameter list, or the name without one.
fn shape_error(sig: &syn::Signature, message: String, errors: &mut Errors) {
    match sig.inputs.is_empty() {
        true => errors.push(sig.ident.span(), message),
        false => errors.push_spanned(&sig.inputs, message),
    }
}
