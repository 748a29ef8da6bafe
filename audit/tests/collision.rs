//! Two variables that CloudFormation would name alike: `RT3_AUDIT_TABLE` and `RT3_AUDIT__TABLE`
//! both read as `Rt3AuditTable` once the underscores are dropped. One parameter for both would
//! put one table's actions on the other's (the statement on `${Rt3AuditTable}` granting
//! `GetItem` and `DeleteItem` although `DeleteItem` was declared on the archive only), so the
//! audit refuses the pair, naming both variables.

use lambda_http::{Body, Error, Request, Response};
use tenant_isolation::{TenantTable, tenant_isolated};
use tenant_isolation_audit::{AuditError, role_json};

#[tenant_isolated(table = "Audit", table_env = "RT3_AUDIT_TABLE", actions = [GetItem])]
async fn read_audit(table: TenantTable, request: Request) -> Result<Response<Body>, Error> {
    let _ = (table, request);
    Ok(Response::new(Body::Empty))
}

#[tenant_isolated(table = "AuditArchive", table_env = "RT3_AUDIT__TABLE", actions = [DeleteItem])]
async fn purge_archive(table: TenantTable, request: Request) -> Result<Response<Body>, Error> {
    let _ = (table, request);
    Ok(Response::new(Body::Empty))
}

#[test]
fn variables_that_become_one_parameter_are_refused() {
    match role_json(None, None, &[]) {
        Err(e @ AuditError::ParameterCollision { .. }) => {
            assert_eq!(
                e.to_string(),
                "the variables `RT3_AUDIT_TABLE` and `RT3_AUDIT__TABLE` both become the CloudFormation parameter \
                 `Rt3AuditTable`: rename one of them"
            );
        }
        Ok(role) => panic!("one parameter serves two variables: {:#}", role["cloudformation"]["Parameters"]),
        Err(other) => panic!("{other}"),
    }
}
