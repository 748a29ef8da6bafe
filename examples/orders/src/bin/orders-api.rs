//! Lambda bootstrap of the orders service as one axum function
//! (`cargo lambda build --release --bin orders-api`): four routes, each with its own policy.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    orders_example::init_tracing();
    // Built and checked at init: a misconfiguration fails the init, not every request.
    // One call prepares every handler linked into the binary (the router's four).
    tenant_isolation::Isolation::global().await?.prepare_linked()?;
    lambda_http::run(orders_example::api::router_global()).await
}
