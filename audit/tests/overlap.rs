//! The audit refuses a binary whose handlers' key prefixes overlap on one table: tenant `ORG`
//! of `TENANT#` would own every `TENANT#ORG#…` key of the other handler. Run over the handlers
//! of every function on a table, this is what catches an overlap between two functions, which
//! no single function's process can see.

use lambda_http::{Body, Error, Request, Response};
use tenant_isolation::{TenantTable, tenant_isolated};
use tenant_isolation_audit::{AuditError, render_json, role_json};

#[tenant_isolated(table = "Orders", actions = [GetItem])]
async fn tenants(table: TenantTable, request: Request) -> Result<Response<Body>, Error> {
    let _ = (table, request);
    Ok(Response::new(Body::Empty))
}

#[tenant_isolated(table = "Orders", actions = [GetItem], key_prefix = "TENANT#ORG#")]
async fn organisations(table: TenantTable, request: Request) -> Result<Response<Body>, Error> {
    let _ = (table, request);
    Ok(Response::new(Body::Empty))
}

#[test]
fn overlapping_prefixes_on_one_table_are_refused() {
    match role_json(None, None, &[]) {
        Err(AuditError::Overlap(e)) => {
            assert_eq!(&*e.table, "Orders");
            assert!(e.to_string().contains("`TENANT#`") && e.to_string().contains("`TENANT#ORG#`"), "{e}");
        }
        other => panic!("the role policy of an overlapping binary was produced: {other:?}"),
    }
    let rendered = render_json("acme", "arn:aws:iam::123456789012:role/TenantData", "us-east-1");
    assert!(matches!(rendered, Err(AuditError::Overlap(_))), "{rendered:?}");
}
