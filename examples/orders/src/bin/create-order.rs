//! Lambda bootstrap for `create_order` (`cargo lambda build --release --bin create-order`).

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    orders_example::init(orders_example::handlers::create_order::SPEC).await?;
    lambda_http::run(lambda_http::service_fn(orders_example::handlers::create_order)).await
}
