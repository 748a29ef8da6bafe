//! A tenant's secrets, parameters and queue through the macro: each declaration is a handle
//! parameter named as declared, with a capability type of its own, beside a table; record and
//! axum handlers take them too. (Here, not in ui-tests: the ui run builds its own copy of every
//! dependency, and the three SDK crates these need would add minutes to it.)
use aws_lambda_events::sqs::SqsMessage;
use axum::extract::Path;
use axum::routing::get;
use lambda_http::{Body, Error, Request, Response};
use tenant_isolation::axum::TenantLayer;
use tenant_isolation::{IsolationError, TenantParameters, TenantQueue, TenantSecrets, TenantTable, tenant_isolated};

#[tenant_isolated(
    table = "Orders",
    actions = [PutItem],
    secrets(webhooks(actions = [GetSecretValue])),
    parameters(settings(prefix = "/orders/", actions = [GetParameter, GetParametersByPath])),
    queues(jobs(prefix = "jobs-", fifo, actions = [SendMessage, ReceiveMessage])),
)]
async fn create_order(
    orders: TenantTable,
    webhooks: TenantSecrets,
    settings: TenantParameters,
    jobs: TenantQueue,
    _request: Request,
) -> Result<Response<Body>, Error> {
    let _ = orders;
    let names = format!("{} {} {}", webhooks.name("stripe")?, settings.path()?, jobs.queue_name()?);
    Ok(Response::new(Body::from(names)))
}

#[tenant_isolated(
    queues(work(prefix = "work-", actions = [DeleteMessage])),
    secrets(keys(prefix = "keys/", actions = [GetSecretValue])),
    records = sqs(tenant_attribute = "tenant_id"),
)]
async fn work(keys: TenantSecrets, message: SqsMessage, work: TenantQueue) -> Result<(), IsolationError> {
    let _ = (keys.name("signing")?, work.queue_name()?, message);
    Ok(())
}

// A queue every tenant's messages share: the producer sends, the handle stamps the tenant.
#[tenant_isolated(
    queues(events(queue = "order-events", queue_env = "ORDER_EVENTS_QUEUE", tenant_attribute = "tenant_id", actions = [SendMessage])),
    records = sqs(tenant_attribute = "tenant_id"),
)]
async fn relay(events: TenantQueue, message: SqsMessage) -> Result<(), lambda_runtime::Error> {
    events.send_message()?.message_body(message.body.unwrap_or_default()).send().await?;
    let entry = events.entry("1", "relayed")?.build()?;
    events.send_message_batch()?.entries(entry).send().await?;
    Ok(())
}

#[tenant_isolated(axum, parameters(flags(actions = [GetParameter])))]
async fn get_flag(flags: TenantParameters, Path(name): Path<String>) -> Result<String, IsolationError> {
    Ok(flags.name(&name)?)
}

#[test]
fn secrets_parameters_and_queues_are_handles_with_capability_types_of_their_own() {
    // Each declaration has its own capability type, named after the handler and the parameter.
    let _: fn() -> TenantSecrets<create_order_webhooks> = || unreachable!();
    let _: fn() -> TenantQueue<create_order_jobs> = || unreachable!();
    let _: fn() -> TenantParameters<get_flag_flags> = || unreachable!();
    // In the spec, in declaration order, with the default prefix where none is given.
    let named = &create_order::SPEC.model().named;
    assert_eq!(named.iter().map(|n| &*n.name).collect::<Vec<_>>(), ["webhooks", "settings", "jobs"]);
    assert_eq!(named.iter().map(|n| n.names.prefix()).collect::<Vec<_>>(), ["tenants/", "/orders/", "jobs-"]);
    assert!(named[2].names.is_fifo());
    assert!(create_order::POLICY_TEMPLATE.contains("secretsmanager:GetSecretValue"));
    assert_eq!(get_flag::SPEC.model().named[0].names.prefix(), "/tenants/");

    drop(lambda_http::run(lambda_http::service_fn(create_order)));
    drop(lambda_runtime::run(lambda_runtime::service_fn(work)));
    drop(lambda_runtime::run(lambda_runtime::service_fn(relay)));
    let events = relay::SPEC.model().named[0].names.as_shared().unwrap();
    assert_eq!((events.queue.env_var(), &*events.tenant_attribute), (Some("ORDER_EVENTS_QUEUE"), "tenant_id"));
    assert!(relay::POLICY_TEMPLATE.contains(
        r#""Action":["sqs:SendMessage"],"Resource":["arn:{{partition}}:sqs:{{region}}:{{account}}:{{queue}}"]"#
    ));
    let app: axum::Router = axum::Router::new().route("/flags/{name}", get(get_flag)).layer(TenantLayer::global());
    let _ = app;
}
