//! The handler's model as constants: `__TENANT_TABLES`, `__TENANT_BUCKETS`, `__TENANT_NAMED`
//! and `SPEC`, the `HandlerSpec` the runtime isolates the handler with.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use tenant_isolation_core::{HandlerModel, NamedModel, PhysicalName, Service};

/// The items of the handler type's impl that hold its model: `SPEC` names the template in
/// `POLICY_TEMPLATE` beside it.
pub(super) fn items(name: &syn::Ident, model: &HandlerModel, krate: &syn::Path) -> TokenStream {
    let cow = quote!(#krate::__private::Cow::Borrowed);
    let name_str = name.to_string();
    let tables = model.tables.iter().map(|t| {
        let table_name = physical_name(&t.table, krate);
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
        let bucket_name = physical_name(&b.bucket, krate);
        let prefix = b.objects.prefix();
        let actions = b.sorted_actions().into_iter().map(|a| format_ident!("{}", a.name()));
        quote!(#krate::__private::BucketModel {
            bucket: #bucket_name,
            actions: #cow(&[#(#krate::__private::ObjectAction::#actions),*]),
            objects: #krate::__private::ObjectRule::new(#prefix),
        })
    });
    let named = model.named.iter().map(|n| named_model(n, krate));
    let confinement = match model.session_tag() {
        Some(tag) => quote!(#krate::__private::Confinement::SessionTag(#cow(#tag))),
        None => quote!(#krate::__private::Confinement::SessionPolicy),
    };
    quote! {
        // Constants of their own: a reference to an array of models (which have destructors)
        // lives for `'static` only as a constant's whole value.
        #[doc(hidden)]
        const __TENANT_TABLES: &'static [#krate::__private::TableModel] = &[#(#tables),*];
        #[doc(hidden)]
        const __TENANT_BUCKETS: &'static [#krate::__private::BucketModel] = &[#(#buckets),*];
        #[doc(hidden)]
        const __TENANT_NAMED: &'static [#krate::__private::NamedModel] = &[#(#named),*];

        /// Everything the runtime needs to isolate this handler: its model, and the template
        /// compiled from it (checked again by the runtime before first use).
        pub const SPEC: &'static #krate::HandlerSpec = &#krate::__private::handler_spec(
            #name_str,
            ::core::module_path!(),
            #krate::__private::HandlerModel {
                tables: #cow(#name::__TENANT_TABLES),
                buckets: #cow(#name::__TENANT_BUCKETS),
                named: #cow(#name::__TENANT_NAMED),
                confinement: #confinement,
            },
            #name::POLICY_TEMPLATE,
        );
    }
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

/// A declaration as a `NamedModel` expression: `NameRule::new(Service::Ssm, "/tenants/")`,
/// `NameRule::encrypted(Service::SecretsManager, "tenants/", PhysicalName::..)` for secrets or
/// parameters with a customer-managed KMS key, `NameRule::fifo_queues("jobs-")` for FIFO
/// queues, or `NameRule::shared(SharedQueue { .. })` for a queue every tenant's messages share.
fn named_model(n: &NamedModel, krate: &syn::Path) -> TokenStream {
    let cow = quote!(#krate::__private::Cow::Borrowed);
    let name = &*n.name;
    let prefix = n.names.prefix();
    let actions = n.sorted_actions().into_iter().map(|a| format_ident!("{}", a.name()));
    let service = format_ident!(
        "{}",
        match n.service() {
            Service::SecretsManager => "SecretsManager",
            Service::Ssm => "Ssm",
            Service::Sqs => "Sqs",
        }
    );
    let names = match (n.names.as_shared(), n.names.is_fifo()) {
        (Some(shared), _) => {
            let queue = physical_name(&shared.queue, krate);
            let attribute = &*shared.tenant_attribute;
            quote!(#krate::__private::NameRule::shared(#krate::__private::SharedQueue {
                queue: #queue,
                tenant_attribute: #cow(#attribute),
            }))
        }
        (None, true) => quote!(#krate::__private::NameRule::fifo_queues(#prefix)),
        (None, false) => match n.names.kms_key() {
            Some(key) => {
                let key = physical_name(key, krate);
                quote!(#krate::__private::NameRule::encrypted(#krate::__private::Service::#service, #prefix, #key))
            }
            None => quote!(#krate::__private::NameRule::new(#krate::__private::Service::#service, #prefix)),
        },
    };
    quote!(#krate::__private::NamedModel {
        name: #cow(#name),
        actions: #cow(&[#(#krate::__private::NamedAction::#actions),*]),
        names: #names,
    })
}
