//! `policies`: the audit command for the orders handlers (`policies --help`).
//!
//! Prints each handler's declaration and session-policy template, the policy a tenant's
//! invocations get, and the data-access role to deploy. `tests/policy/run.sh` proves and
//! lints its output.

// Links the handlers: each `#[tenant_isolated]` registers its spec when its crate is linked.
use orders_example as _;

fn main() -> std::process::ExitCode {
    tenant_isolation_audit::main()
}

#[cfg(test)]
mod tests {
    use tenant_isolation::audit::registered_handlers;
    use tenant_isolation::{Action, ObjectAction};

    /// The `use orders_example as _` above is what makes the handlers visible here: without
    /// it the library is not linked and `policies list` would print `[]`.
    #[test]
    fn every_orders_handler_is_registered() {
        let found: Vec<_> = registered_handlers()
            .iter()
            .map(|h| {
                let tables: Vec<_> = h
                    .tables()
                    .iter()
                    .map(|t| (t.table.declared(), &*t.actions, t.indexes.iter().map(|i| &**i).collect::<Vec<_>>()))
                    .collect();
                let buckets: Vec<_> = h.buckets().iter().map(|b| (b.bucket.declared(), &*b.actions)).collect();
                (h.module_path(), h.name(), tables, buckets)
            })
            .collect();
        // The same four operations, as Lambda handlers and as routes of the axum function.
        let mut want = Vec::new();
        for module in ["orders_example::api", "orders_example::handlers"] {
            let attachments = |action: &'static [ObjectAction]| vec![("order-attachments", action)];
            want.extend([
                (module, "cancel_order", vec![("Orders", &[Action::UpdateItem][..], vec![])], vec![]),
                (
                    module,
                    "create_order",
                    vec![("Orders", &[Action::PutItem][..], vec![]), ("Customers", &[Action::GetItem][..], vec![])],
                    attachments(&[ObjectAction::PutObject]),
                ),
                (module, "get_attachment", vec![], attachments(&[ObjectAction::GetObject, ObjectAction::ListBucket])),
                (module, "get_order", vec![("Orders", &[Action::GetItem][..], vec![])], vec![]),
                (module, "list_orders", vec![("Orders", &[Action::Query][..], vec!["ByStatus"])], vec![]),
            ]);
        }
        // The record handlers: an SQS worker and a Streams consumer, each `UpdateItem` on `Orders`.
        for name in ["count_orders", "fulfil_order"] {
            want.push(("orders_example::workers", name, vec![("Orders", &[Action::UpdateItem][..], vec![])], vec![]));
        }
        assert_eq!(found, want);
    }
}
