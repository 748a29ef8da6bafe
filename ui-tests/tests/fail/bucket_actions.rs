// Bucket-level and account-level actions, ACLs, versions and wildcards are refused, each with its
// reason; an API operation names the actions to declare; an object prefix needs its `/`.
use lambda_http::{Body, Error, Request, Response};
use tenant_isolation::{TenantBucket, tenant_isolated};

#[tenant_isolated(buckets(files(
    bucket = "order-files",
    actions = [GetObject, PutBucketPolicy, "s3:*", PutObjectAcl, GetObjectVersion, CopyObject, ListAllMyBuckets, GetObjects],
    prefix = "tenants",
)))]
async fn handler(files: TenantBucket, _request: Request) -> Result<Response<Body>, Error> {
    let _ = files;
    Ok(Response::new(Body::Empty))
}

fn main() {}
