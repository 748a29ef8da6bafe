// A handler is a free function: its name is also its policy type.
use lambda_http::{Body, Error, Request, Response};
use tenant_isolation::{TenantTable, tenant_isolated};

struct Service;

impl Service {
    #[tenant_isolated(table = "Orders", actions = [GetItem])]
    async fn handler(&self, orders: TenantTable, _request: Request) -> Result<Response<Body>, Error> {
        let _ = orders;
        Ok(Response::new(Body::Empty))
    }
}

fn main() {}
