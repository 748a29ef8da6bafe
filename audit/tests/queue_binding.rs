//! One variable names one resource wherever it is used, a shared queue's `queue_env` included.
//! A handler that binds a table through `RT4_EVENTS` and another that binds a shared queue
//! through it would make one parameter name both once deployed: the table's declared name would
//! be the queue's default, and setting the variable for one function would rename the other's
//! resource. The audit refuses the pair, as it refuses a table and a bucket on one variable.

use lambda_http::{Body, Error, Request, Response};
use tenant_isolation::{TenantQueue, TenantTable, tenant_isolated};
use tenant_isolation_audit::{AuditError, Function, TemplateOptions, render_json, role_json, template_json};

#[tenant_isolated(table = "order-events", table_env = "RT4_EVENTS", actions = [GetItem])]
async fn read_events(table: TenantTable, request: Request) -> Result<Response<Body>, Error> {
    let _ = (table, request);
    Ok(Response::new(Body::Empty))
}

#[tenant_isolated(queues(events(
    queue = "order-events",
    queue_env = "RT4_EVENTS",
    tenant_attribute = "tenant_id",
    actions = [SendMessage]
)))]
async fn announce(events: TenantQueue, request: Request) -> Result<Response<Body>, Error> {
    let _ = (events, request);
    Ok(Response::new(Body::Empty))
}

#[test]
fn a_variable_that_binds_a_table_and_a_shared_queue_is_refused() {
    let says = "`RT4_EVENTS` names queue `order-events` in handler `announce` and table `order-events` in handler \
                `read_events`: a variable names one table, bucket, queue or KMS key, with one declared name, wherever it is used";
    match role_json(None, None, &[]) {
        Err(e @ AuditError::BindingConflict { .. }) => assert_eq!(e.to_string(), says),
        Ok(role) => panic!("the role of a table and a queue on one variable was produced: {role:#}"),
        Err(other) => panic!("{other}"),
    }
    let rendered = render_json("acme", "arn:aws:iam::123456789012:role/TenantData", "us-east-1");
    assert!(matches!(rendered, Err(AuditError::BindingConflict { .. })), "{rendered:?}");
    // The template of either handler alone: every linked handler is checked first.
    let function: Function = "announce=sqs:announce".parse().unwrap();
    match template_json(&[function], &TemplateOptions::default()) {
        Err(e @ AuditError::BindingConflict { .. }) => assert_eq!(e.to_string(), says),
        other => panic!("{other:?}"),
    }
}
