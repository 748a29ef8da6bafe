// Every index is a resource in the session policy (one statement names the table and its
// indexes when they share `Query`); STS refuses policies over 2048 characters.
use lambda_http::{Body, Error, Request, Response};
use tenant_isolation::{TenantTable, tenant_isolated};

#[tenant_isolated(
    table = "Orders",
    actions = [Query],
    indexes = [
        "ByStatusAndCreationDateAndCustomerRegionAndSalesChannelAndFulfilmentCentre",
        "ByCustomerAndCreationDateAndStatusAndSalesChannelAndFulfilmentCentreRegion",
        "BySalesChannelAndCreationDateAndStatusAndCustomerAndFulfilmentCentreRegion",
        "ByFulfilmentCentreAndCreationDateAndStatusAndCustomerAndSalesChannelRegion",
        "ByCreationDateAndStatusAndCustomerAndSalesChannelAndFulfilmentCentreRegion",
        "ByStatusAndUpdatedDateAndCustomerRegionAndSalesChannelAndFulfilmentCentre",
        "ByCustomerAndUpdatedDateAndStatusAndSalesChannelAndFulfilmentCentreRegion",
        "BySalesChannelAndUpdatedDateAndStatusAndCustomerAndFulfilmentCentreRegion",
        "ByFulfilmentCentreAndUpdatedDateAndStatusAndCustomerAndSalesChannelRegion",
        "ByUpdatedDateAndStatusAndCustomerAndSalesChannelAndFulfilmentCentreRegion",
    ],
)]
async fn handler(orders: TenantTable, _request: Request) -> Result<Response<Body>, Error> {
    let _ = orders;
    Ok(Response::new(Body::Empty))
}

fn main() {}
