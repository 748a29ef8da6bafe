// A capability type written by hand: it names the `SPEC` of a handler that declared only
// `GetItem`, but claims every action. `Allows<PutItem>` follows from its associated types, so
// the bound holds; the check of each operation against the spec the type names does not.
// (Evaluated when the operation is instantiated: `cargo build`, not `cargo check`.)
use lambda_http::{Body, Error, Request, Response};
use tenant_isolation::__private::grant::Declared;
use tenant_isolation::__private::{Isolated, Policy};
use tenant_isolation::{HandlerSpec, Scope, TenantTable, tenant_isolated};

#[tenant_isolated(table = "Orders", actions = [GetItem])]
async fn get_order(orders: TenantTable, _request: Request) -> Result<Response<Body>, Error> {
    orders.get_item()?.send().await?;
    Ok(Response::new(Body::Empty))
}

#[allow(non_camel_case_types)]
struct forged;
impl Isolated for forged {
    const SPEC: &'static HandlerSpec = get_order::SPEC;
}
impl Policy for forged {
    const TABLE: usize = 0;
    type BatchGetItem = Declared;
    type BatchWriteItem = Declared;
    type ConditionCheckItem = Declared;
    type DeleteItem = Declared;
    type GetItem = Declared;
    type PartiQLDelete = Declared;
    type PartiQLInsert = Declared;
    type PartiQLSelect = Declared;
    type PartiQLUpdate = Declared;
    type PutItem = Declared;
    type Query = Declared;
    type UpdateItem = Declared;
}

// Inside a scope of `get_order`, the forged type passes the run-time scope check (same spec).
fn put_anything(scope: &Scope) -> Result<(), Error> {
    let orders: TenantTable<forged> = scope.table::<forged>()?;
    let _put = orders.put_item()?;
    Ok(())
}

fn main() {
    drop(lambda_http::run(lambda_http::service_fn(get_order)));
    // The check is evaluated where the operation is built into the program (`cargo build`).
    if let Ok(scope) = tenant_isolation::current() {
        let _ = put_anything(&scope);
    }
}
