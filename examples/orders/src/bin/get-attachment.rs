//! Lambda bootstrap for `get_attachment` (`cargo lambda build --release --bin get-attachment`).

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    orders_example::init(orders_example::handlers::get_attachment::SPEC).await?;
    lambda_http::run(lambda_http::service_fn(orders_example::handlers::get_attachment)).await
}
