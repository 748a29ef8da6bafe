// Where a record's tenant comes from is declared on purpose: an attribute or field a producer
// writes is never implied, a source is one of four, and a prefix follows the tables' rules.
use aws_lambda_events::sqs::SqsMessage;
use tenant_isolation::{TenantTable, tenant_isolated};

#[tenant_isolated(table = "Orders", actions = [GetItem], records = sqs())]
async fn no_attribute(_orders: TenantTable, _message: SqsMessage) -> Result<(), lambda_runtime::Error> {
    Ok(())
}

#[tenant_isolated(table = "Orders", actions = [GetItem], records = kinesis(tenant_attribute = "t"))]
async fn unknown_source(_orders: TenantTable, _message: SqsMessage) -> Result<(), lambda_runtime::Error> {
    Ok(())
}

#[tenant_isolated(table = "Orders", actions = [GetItem], records = sqs(tenant_field = "t"))]
async fn another_sources_argument(_orders: TenantTable, _message: SqsMessage) -> Result<(), lambda_runtime::Error> {
    Ok(())
}

#[tenant_isolated(table = "Orders", actions = [GetItem], records = dynamodb_stream(key_prefix = "TENANT"))]
async fn prefix_without_separator(
    _orders: TenantTable,
    _record: aws_lambda_events::dynamodb::EventRecord,
) -> Result<(), lambda_runtime::Error> {
    Ok(())
}

#[tenant_isolated(axum, table = "Orders", actions = [GetItem], records = sqs(tenant_attribute = "tenant_id"))]
async fn request_and_record(_orders: TenantTable, _message: SqsMessage) -> Result<(), lambda_runtime::Error> {
    Ok(())
}

fn main() {}
