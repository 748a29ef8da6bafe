// Every operation of the typed handle checks, when it is built into the program, that the spec
// its capability type names declares the operation's action (see `fail/forged_capability.rs`).
// The types the attribute generates always agree: every operation of every declared action
// builds, with the one-table form's handler type and with a `tables(...)` handler's second
// table alike. The operations are built in plain functions that `main` reaches (and, outside a
// scope, never runs), so that they are instantiated and the checks evaluated.
use aws_sdk_dynamodb::types::AttributeValue::S;
use lambda_http::{Body, Error, Request, Response};
use std::collections::HashMap;
use tenant_isolation::{Allows, ScopeError, TenantTable, actions::PutItem, tenant_isolated};

#[tenant_isolated(
    table = "Orders",
    actions = [GetItem, PutItem, UpdateItem, DeleteItem, Query, BatchGetItem, BatchWriteItem, ConditionCheckItem]
)]
async fn every_action(orders: TenantTable, _request: Request) -> Result<Response<Body>, Error> {
    build_every_operation(&orders)?;
    Ok(Response::new(Body::Empty))
}

fn build_every_operation(orders: &TenantTable<every_action>) -> Result<(), Error> {
    let key = HashMap::from([("pk".to_owned(), S(orders.partition_key()?))]);
    orders.get_item()?;
    orders.put_item()?;
    orders.update_item()?;
    orders.delete_item()?;
    orders.query()?;
    orders.batch_get_item()?;
    orders.batch_write_item()?;
    orders.transact_get(vec![key.clone()])?;
    orders
        .transact_write()?
        .put(key.clone())
        .update(key.clone(), |u| u.update_expression("SET n = :n"))
        .delete(key.clone())
        .condition_check(key, "attribute_exists(pk)")
        .into_builder()?;
    Ok(())
}

// A data-layer function, instantiated with the capability type of a second table.
fn save(table: &TenantTable<impl Allows<PutItem>>) -> Result<(), ScopeError> {
    table.put_item()?.item("pk", S(table.partition_key()?));
    Ok(())
}

#[tenant_isolated(tables(
    orders(table = "Orders", actions = [GetItem]),
    audit(table = "Audit", actions = [PutItem]),
))]
async fn audited(orders: TenantTable, audit: TenantTable, _request: Request) -> Result<Response<Body>, Error> {
    orders.get_item()?;
    save(&audit)?;
    Ok(Response::new(Body::Empty))
}

fn main() {
    drop(lambda_http::run(lambda_http::service_fn(every_action)));
    drop(lambda_http::run(lambda_http::service_fn(audited)));
    // Outside a scope, `current` fails and nothing below runs; it is still built.
    if let Ok(scope) = tenant_isolation::current() {
        let _ = build_every_operation(&scope.table::<every_action>().unwrap());
        let _ = scope.table::<audited_orders>().unwrap().get_item();
        let _ = save(&scope.table::<audited_audit>().unwrap());
    }
    assert!(tenant_isolation::current().is_err());
}
