// This crate depends on `tenant-isolation` without its `s3` feature: a handler with buckets says
// what to enable.
use lambda_http::{Body, Error, Request, Response};
use tenant_isolation::{TenantBucket, tenant_isolated};

#[tenant_isolated(buckets(files(bucket = "order-files", actions = [GetObject])))]
async fn handler(files: TenantBucket, _request: Request) -> Result<Response<Body>, Error> {
    let _ = files;
    Ok(Response::new(Body::Empty))
}

fn main() {
    drop(lambda_http::run(lambda_http::service_fn(handler)));
}
