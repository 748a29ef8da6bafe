//! Lambda bootstrap for the SQS worker `fulfil_order` (`cargo lambda build --release --bin
//! fulfil-order`; its event source mapping needs `ReportBatchItemFailures`). It verifies no
//! token, so it needs no JWT settings.

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    orders_example::init(orders_example::workers::fulfil_order::SPEC).await?;
    lambda_runtime::run(lambda_runtime::service_fn(orders_example::workers::fulfil_order)).await
}
