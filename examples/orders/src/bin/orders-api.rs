//! Lambda bootstrap of the orders service as one axum function
//! (`cargo lambda build --release --bin orders-api`): four routes, each with its own policy.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    orders_example::init_tracing();
    // Built and checked at init: a misconfiguration fails the init, not every request.
    let isolation = tenant_isolation::Isolation::global().await?;
    for spec in [
        orders_example::api::create_order::SPEC,
        orders_example::api::get_order::SPEC,
        orders_example::api::list_orders::SPEC,
        orders_example::api::cancel_order::SPEC,
    ] {
        isolation.prepare(spec)?;
    }
    lambda_http::run(orders_example::api::router_global()).await
}
