//! Lambda bootstrap for `list_orders` (`cargo lambda build --release --bin list-orders`).

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    orders_example::init(orders_example::handlers::list_orders::SPEC).await?;
    lambda_http::run(lambda_http::service_fn(orders_example::handlers::list_orders)).await
}
