//! A shared queue bound at run time (`queue_env`) in the audit's templates: the role policy names
//! the queue by the variable's parameter (`${SqEventsQueue}`), so the data-access role's template
//! declares that parameter, defaulting to the declared name, and the application template
//! declares it and sets the variable on the functions of its handlers, as for a table's
//! `table_env`. (Without it, CloudFormation would refuse the `Fn::Sub` of an undeclared
//! parameter, and the function would send to the declared name whatever the stack binds.)

use serde_json::json;
use tenant_isolation::audit::ResourceKind;
use tenant_isolation::model::Service;
use tenant_isolation_audit::{AuditError, Function, TemplateOptions, render_json, role_json, template_json};

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

    /// A consumer of each tenant's own queue, `sqjobs-<tenant>`, in a function of its own.
    #[tenant_isolated(queues(jobs(prefix = "sqjobs-", actions = [ReceiveMessage])))]
    pub async fn work(jobs: TenantQueue, request: Request) -> Result<Response<Body>, Error> {
        let _ = (jobs, request);
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

/// The shared queue bound, in the deployment's environment, to a name that is a tenant's own
/// queue under another handler's prefix (`sqjobs-all`, tenant `all`'s under `sqjobs-`): tenant
/// `all` of the consumer would receive every tenant's messages. The two run in two functions, so
/// no runtime claims both; the audit compares the queue under the name the variable binds, as
/// the runtime's claims do, not under its declared `order-events`. The test runs itself again in
/// a child process with the variable set (`unsafe_code` is forbidden).
#[test]
fn a_shared_queue_bound_to_a_tenants_own_queue_is_refused() {
    const TEST: &str = "a_shared_queue_bound_to_a_tenants_own_queue_is_refused";
    if std::env::var_os("SQ_EVENTS_QUEUE").is_some() {
        let role = role_json(None, None, &[]);
        let rendered = render_json("acme", "arn:aws:iam::123456789012:role/TenantData", "us-east-1");
        for result in [role.map(|_| ()), rendered.map(|_| ())] {
            match result {
                Err(AuditError::Overlap(e)) => {
                    assert_eq!(e.kind, ResourceKind::Names(Service::Sqs), "{e}");
                    let mut named = [&*e.first_prefix, &*e.second_prefix];
                    named.sort_unstable();
                    assert_eq!(named, ["sqjobs-", "sqjobs-all"], "{e}");
                    println!("REFUSED {e}");
                }
                other => panic!("a shared queue bound to tenant `all`'s own queue: {other:?}"),
            }
        }
        return;
    }
    let child = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", TEST, "--nocapture", "--test-threads=1"])
        .env("SQ_EVENTS_QUEUE", "sqjobs-all")
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&child.stdout).into_owned() + &String::from_utf8_lossy(&child.stderr);
    assert!(child.status.success(), "{said}");
    assert_eq!(said.matches("REFUSED ").count(), 2, "{said}");
    // Bound elsewhere, the two share nothing.
    let apart = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "the_role_template_declares_the_shared_queues_parameter", "--test-threads=1"])
        .env("SQ_EVENTS_QUEUE", "sqjobs")
        .output()
        .unwrap();
    assert!(apart.status.success(), "{}", String::from_utf8_lossy(&apart.stdout));
}

/// What the parameter of `SQ_EVENTS_QUEUE` must take: a queue name (no `*`, which would have the
/// data roles send to every queue of the account) that is no tenant's own queue under the
/// application's per-tenant queue prefix `sqjobs-` (bound to `sqjobs-all`, tenant `all` of `work`,
/// in a function of its own, would receive every tenant's messages, and no runtime would see
/// the pair). CloudFormation evaluates it before it creates anything; `tests/it/template.rs`
/// evaluates such a pattern over names.
const QUEUE_PATTERN: &str = r"^(?!sqjobs-[A-Za-z0-9_-]{1,64}$)([A-Za-z0-9_-]{1,80}|[A-Za-z0-9_-]{1,75}\.fifo)$";

#[test]
fn the_shared_queues_parameter_takes_a_queue_name_that_is_no_tenants_own_queue() {
    let function: Function = "publisher=http-api:publish".parse().unwrap();
    let t = template_json(&[function], &TemplateOptions::default()).unwrap();
    let role = role_json(None, None, &[]).unwrap();
    for parameters in [&t["Parameters"], &role["cloudformation"]["Parameters"]] {
        let parameter = &parameters["SqEventsQueue"];
        assert_eq!(parameter["AllowedPattern"], QUEUE_PATTERN, "{parameter}");
        let constraint = parameter["ConstraintDescription"].as_str().unwrap_or_default();
        assert!(constraint.contains("`sqjobs-`"), "{parameter}");
    }
}
