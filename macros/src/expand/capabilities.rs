//! The capability types: which type stands for each table, bucket and declaration of secrets,
//! parameters or queues of the handler, and the `Policy`/`BucketPolicy`/`NamedPolicy` impls that
//! say, per action, whether it was declared.

use super::docs;
use crate::handler::{Handler, Resource, param_name};
use crate::model::Spans;
use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use tenant_isolation_core::{Action, HandlerModel, NamedAction, ObjectAction};

/// The capability type of each table, bucket and declaration. The one-table form keeps the
/// handler's own type as its table's (`TenantTable<get_order>`); otherwise each has a type of its
/// own, `<handler>_<parameter>`.
pub(super) struct Markers {
    handler: syn::Ident,
    one_table: bool,
    /// Each resource and the name of its parameter.
    params: Vec<(Resource, String)>,
}

impl Markers {
    pub(super) fn of(f: &syn::ItemFn, handler: &Handler, one_table: bool) -> Markers {
        let params = handler
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
        Markers { handler: f.sig.ident.clone(), one_table, params }
    }

    /// The capability type of `r`.
    pub(super) fn of_resource(&self, r: Resource) -> syn::Ident {
        match r {
            Resource::Table(0) if self.one_table => self.handler.clone(),
            _ => {
                let param = &self.params.iter().find(|(x, _)| *x == r).expect("every resource is a parameter").1;
                format_ident!("{}_{}", self.handler, param)
            }
        }
    }
}

/// `TenantTable` (or `&TenantTable`) → `TenantTable<marker>`, and the same for the other
/// handle named `handle`; other types are left alone.
pub(super) fn set_marker(ty: &mut syn::Type, handle: &str, marker: &syn::Type) {
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

/// Every table's, bucket's and declaration's capability type (except the one-table form's, the
/// handler's own type) and its `Policy`/`BucketPolicy`/`NamedPolicy` impl. `Allows<A>` (and
/// `AllowsObject`, `AllowsNamed`) follows from them by the runtime's blanket impls; the macro
/// writes no `Allows` impl, and neither can anyone else.
pub(super) fn items(
    model: &HandlerModel,
    table_spans: &[Spans<Action>],
    bucket_spans: &[Spans<ObjectAction>],
    named_spans: &[Spans<NamedAction>],
    markers: &Markers,
    vis: &syn::Visibility,
    krate: &syn::Path,
) -> Vec<TokenStream> {
    let name = &markers.handler;
    let mut items = Vec::new();
    for (t, table) in model.tables.iter().enumerate() {
        let m = markers.of_resource(Resource::Table(t));
        let grants = grants(Action::ALL, &table_spans[t], Action::name, krate);
        if m != *name {
            items.push(capability_type(&m, &docs::table_capability(name, table), vis, name, krate));
        }
        items.push(quote! {
            impl #krate::__private::Policy for #m {
                const TABLE: usize = #t;
                #(#grants)*
            }
        });
    }
    for (b, bucket) in model.buckets.iter().enumerate() {
        let m = markers.of_resource(Resource::Bucket(b));
        let grants = grants(ObjectAction::ALL, &bucket_spans[b], ObjectAction::name, krate);
        items.push(capability_type(&m, &docs::bucket_capability(name, bucket), vis, name, krate));
        items.push(quote! {
            impl #krate::__private::BucketPolicy for #m {
                const BUCKET: usize = #b;
                #(#grants)*
            }
        });
    }
    for (n, named) in model.named.iter().enumerate() {
        let m = markers.of_resource(Resource::Named(named.service(), n));
        // Every service's actions: another service's are `Undeclared` on this declaration.
        let grants = grants(NamedAction::ALL, &named_spans[n], NamedAction::name, krate);
        items.push(capability_type(&m, &docs::named_capability(name, named), vis, name, krate));
        items.push(quote! {
            impl #krate::__private::NamedPolicy for #m {
                const NAMED: usize = #n;
                #(#grants)*
            }
        });
    }
    items
}

/// One associated type per action of `all`: `Declared` for those in `declared` (spanned at the
/// action in the attribute, so that notes point at the `actions = [...]` list), `Undeclared`
/// for the rest. Tables, buckets and declarations alike.
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
                Some((_, span)) => quote_spanned!(*span=> type #a = #krate::__private::grant::Declared;),
                None => quote!(type #a = #krate::__private::grant::Undeclared;),
            }
        })
        .collect()
}

/// A capability type of its own (a table's with `tables(...)`, a bucket's, a declaration's),
/// naming its handler's spec.
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
