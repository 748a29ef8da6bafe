//! Every CloudFormation parameter says what it binds: a bucket's parameter was described as
//! "Physical table name".

use lambda_http::{Body, Error, Request, Response};
use tenant_isolation::{TenantBucket, TenantTable, tenant_isolated};
use tenant_isolation_audit::role_json;

#[tenant_isolated(
    tables(orders(table = "Orders", table_env = "DESC_ORDERS_TABLE", actions = [PutItem])),
    buckets(files(bucket = "order-files", bucket_env = "DESC_FILES_BUCKET", actions = [PutObject]))
)]
async fn attach(orders: TenantTable, files: TenantBucket, request: Request) -> Result<Response<Body>, Error> {
    let _ = (orders, files, request);
    Ok(Response::new(Body::Empty))
}

#[test]
fn each_parameter_names_what_it_binds() {
    let cf = role_json(None, None, &[]).unwrap()["cloudformation"].take();
    let description = |name: &str| cf["Parameters"][name]["Description"].as_str().unwrap().to_owned();
    assert_eq!(
        description("DescOrdersTable"),
        "Physical name of the DynamoDB table that `DESC_ORDERS_TABLE` binds; set `DESC_ORDERS_TABLE` to the same \
         value on the functions of its handlers (attach)"
    );
    assert_eq!(
        description("DescFilesBucket"),
        "Physical name of the S3 bucket that `DESC_FILES_BUCKET` binds; set `DESC_FILES_BUCKET` to the same value \
         on the functions of its handlers (attach)"
    );
    assert_eq!(cf["Parameters"]["DescFilesBucket"]["Default"], "order-files");
    assert!(description("LambdaExecutionRoleArn").contains("execution role"));
}
