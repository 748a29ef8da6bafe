// A record handler takes its source's record, and returns `Result<(), E>` with `E: Display`.
use aws_lambda_events::sqs::SqsMessage;
use tenant_isolation::{TenantTable, tenant_isolated};

#[tenant_isolated(table = "Orders", actions = [GetItem], records = dynamodb_stream())]
async fn stream_of_messages(_orders: TenantTable, _message: SqsMessage) -> Result<(), lambda_runtime::Error> {
    Ok(())
}

#[tenant_isolated(table = "Orders", actions = [GetItem], records = sqs(tenant_attribute = "tenant_id"))]
async fn answers_a_value(_orders: TenantTable, _message: SqsMessage) -> Result<u32, lambda_runtime::Error> {
    Ok(1)
}

fn main() {}
