// A data-layer function states the action it needs as a bound, and accepts the table of any
// handler that declared it.
use aws_sdk_dynamodb::types::AttributeValue;
use lambda_http::{Body, Error, Request, Response};
use tenant_isolation::actions::{GetItem, Query};
use tenant_isolation::{Allows, TenantTable, tenant_isolated};

async fn load_order(table: &TenantTable<impl Allows<GetItem>>, id: &str) -> Result<bool, Error> {
    let output = table
        .get_item()?
        .key("pk", AttributeValue::S(table.partition_key()?))
        .key("sk", AttributeValue::S(format!("ORDER#{id}")))
        .send()
        .await?;
    Ok(output.item().is_some())
}

#[tenant_isolated(table = "Orders", actions = [GetItem])]
async fn get_order(orders: TenantTable, _request: Request) -> Result<Response<Body>, Error> {
    let found = load_order(&orders, "1").await?;
    Ok(Response::new(Body::from(found.to_string())))
}

// A handler that declared more than the function needs can call it too.
#[tenant_isolated(table = "Orders", actions = [Query, GetItem])]
async fn list_orders(orders: TenantTable, _request: Request) -> Result<Response<Body>, Error> {
    let found = load_order(&orders, "1").await?;
    Ok(Response::new(Body::from(found.to_string())))
}

// The bounds the data layer relies on, checked at compile time.
const fn allows<P: Allows<A>, A: tenant_isolation::actions::ActionMarker>() {}
const _: () = allows::<get_order, GetItem>();
const _: () = allows::<list_orders, GetItem>();
const _: () = allows::<list_orders, Query>();

fn main() {
    drop(lambda_http::run(lambda_http::service_fn(get_order)));
    drop(lambda_http::run(lambda_http::service_fn(list_orders)));
    assert!(!get_order::SPEC.same_policy(list_orders::SPEC));
}
