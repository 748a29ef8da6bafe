//! One variable names one table wherever it is used. Two handlers binding a table through
//! `RT3_LEDGER_TABLE` with the prefixes `TENANT#` and `TENANT#ORG#` share that table once it is
//! deployed, whatever their declared names say: tenant `ORG` of the first would own every
//! `TENANT#ORG#…` key of the second. The resolved names (`Ledger`, `OrgLedger` while the
//! variable is unset where the audit runs) differ, so only a check over the bindings sees it.

use lambda_http::{Body, Error, Request, Response};
use tenant_isolation::{TenantTable, tenant_isolated};
use tenant_isolation_audit::{AuditError, render_json, role_json};

#[tenant_isolated(table = "Ledger", table_env = "RT3_LEDGER_TABLE", actions = [GetItem])]
async fn tenant_ledger(table: TenantTable, request: Request) -> Result<Response<Body>, Error> {
    let _ = (table, request);
    Ok(Response::new(Body::Empty))
}

#[tenant_isolated(table = "OrgLedger", table_env = "RT3_LEDGER_TABLE", actions = [GetItem], key_prefix = "TENANT#ORG#")]
async fn org_ledger(table: TenantTable, request: Request) -> Result<Response<Body>, Error> {
    let _ = (table, request);
    Ok(Response::new(Body::Empty))
}

#[test]
fn overlapping_prefixes_through_one_variable_are_refused() {
    match role_json(None, None, &[]) {
        Err(e @ AuditError::BindingOverlap { .. }) => assert_eq!(
            e.to_string(),
            "handlers `org_ledger` (key prefix `TENANT#ORG#`) and `tenant_ledger` (key prefix `TENANT#`) bind one \
             table through `RT3_LEDGER_TABLE`, and one prefix starts the other: a tenant of one could own the other's keys"
        ),
        Ok(_) => panic!("the role of two overlapping handlers on one variable's table was produced"),
        Err(other) => panic!("{other}"),
    }
    let rendered = render_json("acme", "arn:aws:iam::123456789012:role/TenantData", "us-east-1");
    assert!(matches!(rendered, Err(AuditError::BindingOverlap { .. })), "{rendered:?}");
}
