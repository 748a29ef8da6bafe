//! The generated function of each front end: what the handler's name is once expanded. Both
//! call the user's function (moved into the handler type as `__tenant_handler`) inside the
//! tenant's scope; they differ in where the tenant comes from.

use crate::model::Records;
use proc_macro2::TokenStream;
use quote::quote;

/// What every front end's function is made of.
pub(super) struct Generated<'a> {
    /// The user's attributes and visibility, kept on the generated function.
    pub(super) attrs: &'a [syn::Attribute],
    pub(super) vis: &'a syn::Visibility,
    /// The handler's name, and its type's.
    pub(super) name: &'a syn::Ident,
    /// The handler's return type, as written.
    pub(super) output: &'a TokenStream,
    /// The parameters the generated function passes on (`__tenant_arg0`, ...), and the call of
    /// the user's function with them and its handles in the user's order.
    pub(super) args: &'a [syn::Ident],
    pub(super) call: &'a TokenStream,
    pub(super) krate: &'a syn::Path,
}

/// A Lambda handler: the function (`service_fn(name)`), `call_with` (for the handler type's
/// impl, with its doc) and the `Handler` impl. Both keep the user's spans: `impl Handler` names
/// them, so that an event that is not a `TenantEvent` (or an output that is not a `Result`) is
/// reported once, there.
pub(super) fn lambda(
    g: &Generated<'_>,
    event: &syn::Type,
    call_with_doc: &str,
) -> (TokenStream, TokenStream, TokenStream) {
    let Generated { attrs, vis, name, output, args, call, krate } = g;
    let function = quote! {
        #(#attrs)*
        #vis async fn #name(__tenant_event: #event) -> #output {
            #krate::__private::run_global::<#name, _, _>(__tenant_event, |#(#args),*| #call).await
        }
    };
    let call_with = quote! {
        #[doc = #call_with_doc]
        #[allow(dead_code)]
        pub async fn call_with(isolation: &#krate::Isolation, event: #event) -> #output {
            #krate::__private::run_with::<#name, _, _>(isolation, event, |#(#args),*| #call).await
        }
    };
    let handler_impl = quote! {
        impl #krate::__private::Handler for #name {
            type Event = #event;
            type Output = #output;
        }
    };
    (function, call_with, handler_impl)
}

/// An ordinary axum handler: the caller's extractor first (its rejection is the refusal's
/// response), then the user's extractors (`types`) in their order; the body runs through the
/// pipeline (`Entered::run`), which answers with the body's response (`#output` must be
/// `IntoResponse`) or with a refusal's, as every front end does.
pub(super) fn axum(g: &Generated<'_>, types: &[syn::Type]) -> TokenStream {
    let Generated { attrs, vis, name, output: _, args, call, krate } = g;
    quote! {
        #(#attrs)*
        #vis async fn #name(
            __tenant_entered: #krate::__private::axum::Entered<#name>,
            #(#args: #types),*
        ) -> #krate::__private::axum::Response {
            __tenant_entered.run(|| #call).await
        }
    }
}

/// A record handler (`records = ...`): the function Lambda invokes with the whole batch
/// (`service_fn(name)`), which runs the user's function once per record, each in its record's
/// tenant's scope; `call_with`; and the `RecordHandler` impl, which holds the source (where
/// each record's tenant is) as a constant. The user's function takes one record of the
/// source's type and returns `Result<(), E>`.
pub(super) fn records(
    g: &Generated<'_>,
    record: &syn::Type,
    records: &Records,
    call_with_doc: &str,
) -> (TokenStream, TokenStream, TokenStream) {
    let Generated { attrs, vis, name, output, args, call, krate } = g;
    let (source, value) = records.tokens(krate);
    let batch = quote!(#krate::__private::LambdaEvent<<#source as #krate::records::RecordSource>::Batch>);
    let answer = quote!(
        ::std::result::Result<<#source as #krate::records::RecordSource>::Response, #krate::__private::LambdaError>
    );
    let function = quote! {
        #(#attrs)*
        #vis async fn #name(__tenant_event: #batch) -> #answer {
            #krate::__private::run_records_global::<#name, _, _>(__tenant_event, |#(#args),*| #call).await
        }
    };
    let call_with = quote! {
        #[doc = #call_with_doc]
        #[allow(dead_code)]
        pub async fn call_with(isolation: &#krate::Isolation, event: #batch) -> #answer {
            #krate::__private::run_records_with::<#name, _, _>(isolation, event, |#(#args),*| #call).await
        }
    };
    let handler_impl = quote! {
        impl #krate::__private::RecordHandler for #name {
            type Source = #source;
            type Record = #record;
            type Output = #output;
            const SOURCE: #source = #value;
        }
    };
    (function, call_with, handler_impl)
}
