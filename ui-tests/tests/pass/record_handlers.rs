// Record handlers: an SQS worker whose tenant is a message attribute, a Streams consumer whose
// tenant is read from the key, served by `lambda_runtime` with the batch's own response types.
use aws_lambda_events::dynamodb::EventRecord;
use aws_lambda_events::sqs::SqsMessage;
use tenant_isolation::{IsolationError, TenantTable, tenant_isolated};

#[tenant_isolated(table = "Orders", actions = [UpdateItem], records = sqs(tenant_attribute = "tenant_id"))]
async fn fulfil(orders: TenantTable, message: SqsMessage) -> Result<(), IsolationError> {
    let pk = aws_sdk_dynamodb::types::AttributeValue::S(orders.partition_key()?);
    let sk = aws_sdk_dynamodb::types::AttributeValue::S(message.body.unwrap_or_default());
    orders.update_item()?.key("pk", pk).key("sk", sk).send().await?;
    Ok(())
}

#[tenant_isolated(table = "Orders", actions = [UpdateItem], records = dynamodb_stream())]
async fn count(_orders: TenantTable, _record: EventRecord) -> Result<(), lambda_runtime::Error> {
    Ok(())
}

fn main() {
    // The function Lambda invokes takes the batch and answers with the partial batch response.
    let _: fn(lambda_runtime::LambdaEvent<aws_lambda_events::sqs::SqsEvent>) -> _ = fulfil;
    drop(lambda_runtime::run(lambda_runtime::service_fn(fulfil)));
    drop(lambda_runtime::run(lambda_runtime::service_fn(count)));
}
