// A handler that takes a bare payload would be served without Lambda's context, so the tenant id
// of Lambda's tenant isolation mode could never be checked for it (red-team review of issue 26):
// a payload is a `TenantPayload`, and a handler takes `LambdaEvent<_>` of it.
use lambda_http::aws_lambda_events::apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse};
use tenant_isolation::{TenantTable, tenant_isolated};

#[tenant_isolated(table = "Orders", actions = [GetItem])]
async fn bare(orders: TenantTable, event: ApiGatewayV2httpRequest) -> Result<ApiGatewayV2httpResponse, lambda_http::Error> {
    let _ = (orders, event);
    Ok(ApiGatewayV2httpResponse::default())
}

fn main() {}
