// An HTTP handler whose output has no status: a refusal would be a Lambda error, which API
// Gateway answers with 502 whatever went wrong (401, 403, 503).
use lambda_http::{Error, Request};
use tenant_isolation::{TenantTable, tenant_isolated};

#[tenant_isolated(table = "Orders", actions = [GetItem])]
async fn handler(orders: TenantTable, _request: Request) -> Result<String, Error> {
    let _ = orders;
    Ok(String::new())
}

fn main() {}
