//! A shared queue bound at run time (`queue_env`) in the audit's templates: the role policy names
//! the queue by the variable's parameter (`${SqEventsQueue}`), so the data-access role's template
//! declares that parameter, defaulting to the declared name, and the application template
//! declares it and sets the variable on the functions of its handlers, as for a table's
//! `table_env`. (Without it, CloudFormation would refuse the `Fn::Sub` of an undeclared
//! parameter, and the function would send to the declared name whatever the stack binds.)

use serde_json::json;
use tenant_isolation_audit::{Function, TemplateOptions, role_json, template_json};

/// Sends to the queue every tenant's messages share.
pub mod handlers {
    use lambda_http::{Body, Error, Request, Response};
    use tenant_isolation::{TenantQueue, tenant_isolated};

    /// The producer.
    #[tenant_isolated(queues(events(
        queue = "order-events",
        queue_env = "SQ_EVENTS_QUEUE",
        tenant_attribute = "tenant_id",
        actions = [SendMessage]
    )))]
    pub async fn publish(events: TenantQueue, request: Request) -> Result<Response<Body>, Error> {
        let _ = (events, request);
        Ok(Response::new(Body::Empty))
    }
}

#[test]
fn the_role_template_declares_the_shared_queues_parameter() {
    let role = role_json(None, None, &[]).unwrap();
    let cf = &role["cloudformation"];
    assert_eq!(cf["Parameters"]["SqEventsQueue"]["Default"], "order-events", "{cf}");
    assert_eq!(cf["Parameters"]["SqEventsQueue"]["Type"], "String");
    let policy = cf["Resources"]["TenantDataRole"]["Properties"]["Policies"][0]["PolicyDocument"].to_string();
    let arn = "arn:${AWS::Partition}:sqs:${AWS::Region}:${AWS::AccountId}:${SqEventsQueue}";
    assert!(policy.contains(&json!({ "Fn::Sub": arn }).to_string()), "{arn} in {policy}");
}

#[test]
fn the_application_template_sets_the_shared_queues_variable() {
    let function: Function = "publisher=http-api:publish".parse().unwrap();
    let t = template_json(&[function], &TemplateOptions::default()).unwrap();
    assert_eq!(t["Parameters"]["SqEventsQueue"]["Default"], "order-events");
    let env = &t["Resources"]["PublisherFunction"]["Properties"]["Environment"]["Variables"];
    assert_eq!(env["SQ_EVENTS_QUEUE"], json!({ "Ref": "SqEventsQueue" }), "{env}");
}
