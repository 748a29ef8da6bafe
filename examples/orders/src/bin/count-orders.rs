//! Lambda bootstrap for the DynamoDB Streams consumer `count_orders` (`cargo lambda build
//! --release --bin count-orders`; its event source mapping needs `ReportBatchItemFailures`).

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    orders_example::init(orders_example::workers::count_orders::SPEC).await?;
    lambda_runtime::run(lambda_runtime::service_fn(orders_example::workers::count_orders)).await
}
