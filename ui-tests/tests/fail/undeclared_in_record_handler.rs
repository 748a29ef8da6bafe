// A record handler's table has only the operations its attribute declared.
use aws_lambda_events::sqs::SqsMessage;
use tenant_isolation::{IsolationError, TenantTable, tenant_isolated};

#[tenant_isolated(table = "Orders", actions = [GetItem], records = sqs(tenant_attribute = "tenant_id"))]
async fn fulfil(orders: TenantTable, _message: SqsMessage) -> Result<(), IsolationError> {
    let pk = aws_sdk_dynamodb::types::AttributeValue::S(orders.partition_key()?);
    orders.delete_item()?.key("pk", pk).send().await?;
    Ok(())
}

fn main() {
    drop(lambda_runtime::run(lambda_runtime::service_fn(fulfil)));
}
