//! Lambda bootstrap for `cancel_order` (`cargo lambda build --release --bin cancel-order`).

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    orders_example::init(orders_example::handlers::cancel_order::SPEC).await?;
    lambda_http::run(lambda_http::service_fn(orders_example::handlers::cancel_order)).await
}
