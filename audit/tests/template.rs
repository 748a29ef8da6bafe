//! `policies template` over handlers of every kind: session-policy and session-tag handlers,
//! a table, a bucket and a shared queue bound by variables, two handlers of one name in two
//! modules, and the four event sources (the orders example, read in `tests/it/template.rs`, has HTTP and REST
//! functions only).

use serde_json::{Value, json};
use tenant_isolation_audit::{
    AuditError, CliError, Function, Output, TemplateError, TemplateOptions, role_json, run_from, template_json,
};
use tenant_isolation_core::PlacementError;

/// Two handlers named `get_order`.
pub mod orders {
    use lambda_http::{Body, Error, Request, Response};
    use tenant_isolation::{TenantBucket, TenantTable, tenant_isolated};

    /// Reads an order.
    #[tenant_isolated(table = "Orders", table_env = "T_ORDERS_TABLE", actions = [GetItem])]
    pub async fn get_order(orders: TenantTable, request: Request) -> Result<Response<Body>, Error> {
        let _ = (orders, request);
        Ok(Response::new(Body::Empty))
    }

    /// Writes an order's file.
    #[tenant_isolated(buckets(files(bucket = "order-files", bucket_env = "T_FILES_BUCKET", actions = [PutObject])))]
    pub async fn put_file(files: TenantBucket, request: Request) -> Result<Response<Body>, Error> {
        let _ = (files, request);
        Ok(Response::new(Body::Empty))
    }
}

/// The other `get_order`, and a session-tag handler.
pub mod admin {
    use lambda_http::{Body, Error, Request, Response};
    use tenant_isolation::{TenantBucket, TenantTable, tenant_isolated};

    /// Reads an order, too.
    #[tenant_isolated(table = "Orders", table_env = "T_ORDERS_TABLE", actions = [GetItem, Query])]
    pub async fn get_order(orders: TenantTable, request: Request) -> Result<Response<Body>, Error> {
        let _ = (orders, request);
        Ok(Response::new(Body::Empty))
    }

    /// Reads the tenant's reports by its session tag.
    #[tenant_isolated(buckets(reports(bucket = "tenant-reports", actions = [GetObject])), session_tag = "tenant")]
    pub async fn reports(reports: TenantBucket, request: Request) -> Result<Response<Body>, Error> {
        let _ = (reports, request);
        Ok(Response::new(Body::Empty))
    }
}

/// Producers on queues every tenant's messages share: one bound at run time (by two handlers),
/// one written in.
pub mod events {
    use lambda_http::{Body, Error, Request, Response};
    use tenant_isolation::{TenantQueue, tenant_isolated};

    /// Announces an order on the shared queue `T_EVENTS_QUEUE` binds.
    #[tenant_isolated(queues(events(
        queue = "order-events",
        queue_env = "T_EVENTS_QUEUE",
        tenant_attribute = "tenant_id",
        actions = [SendMessage]
    )))]
    pub async fn announce(events: TenantQueue, request: Request) -> Result<Response<Body>, Error> {
        let _ = (events, request);
        Ok(Response::new(Body::Empty))
    }

    /// Announces again, on the same queue through the same variable, and writes to a fixed one.
    #[tenant_isolated(queues(
        events(queue = "order-events", queue_env = "T_EVENTS_QUEUE", tenant_attribute = "tenant_id", actions = [SendMessage]),
        audit(queue = "audit-events", tenant_attribute = "tenant_id", actions = [SendMessage]),
    ))]
    pub async fn reannounce(
        events: TenantQueue,
        audit: TenantQueue,
        request: Request,
    ) -> Result<Response<Body>, Error> {
        let _ = (events, audit, request);
        Ok(Response::new(Body::Empty))
    }
}

fn functions(values: &[&str]) -> Vec<Function> {
    values.iter().map(|v| v.parse().unwrap_or_else(|e| panic!("{v}: {e}"))).collect()
}

fn template(values: &[&str]) -> Result<Value, AuditError> {
    template_json(&functions(values), &TemplateOptions::default())
}

fn refused(values: &[&str]) -> String {
    match template(values) {
        Err(AuditError::Template(e)) => e.to_string(),
        other => panic!("{values:?}: {other:?}"),
    }
}

#[test]
fn handler_patterns_match_exactly_what_they_say() {
    assert_eq!(
        refused(&["f=sqs:get_order"]),
        "function `f`: `get_order` names several handlers: `template::admin::get_order`, `template::orders::get_order`; \
         write more of the path"
    );
    assert!(
        refused(&["f=sqs:getorder"]).starts_with(
            "function `f`: no linked handler matches `getorder`; linked: `template::admin::get_order`, \
             `template::admin::reports`"
        ),
        "{}",
        refused(&["f=sqs:getorder"])
    );
    assert!(refused(&["f=sqs:missing::*"]).contains("no linked handler matches `missing::*`"));
    let t = template(&["f=sqs:orders::get_order,orders::*"]).unwrap();
    assert_eq!(
        t["Resources"]["FFunction"]["Metadata"]["TenantIsolation"]["Handlers"],
        json!(["template::orders::get_order", "template::orders::put_file"]),
        "each handler once, in the order named"
    );
}

#[test]
fn names_resources_and_routes_do_not_collide() {
    assert_eq!(refused(&["f=sqs:reports", "f=sqs:reports"]), "the function `f` is given twice");
    assert_eq!(
        refused(&["create-order=sqs:reports", "create_order=sqs:reports"]),
        "the functions `create-order` and `create_order` both become the resource `CreateOrderDeadLetterQueue`: \
         rename one of them"
    );
    assert_eq!(
        refused(&["a=http-api:reports", "b=http-api:reports"]),
        "the functions `a` and `b` both take every path of the HTTP API"
    );
    assert_eq!(
        refused(&["a=rest-api@GET/x:reports", "b=rest-api@get/x:reports"]),
        "the functions `a` and `b` both take `GET /x` of the REST API"
    );
    // The same route on the other API is another route.
    assert!(template(&["a=rest-api@GET/x:reports", "b=http-api@GET/x:reports"]).is_ok());
    assert_eq!(
        refused(&["s=dynamodb-stream@NOPE:reports"]),
        "function `s`: no linked handler binds a table through `NOPE` or declares a table of that name; tables: \
         `T_ORDERS_TABLE`"
    );
}

#[test]
fn the_rest_api_maps_only_a_claim_it_can_name() {
    let options = TemplateOptions::default().tenant_claim("tenant id");
    match template_json(&functions(&["api=rest-api:*"]), &options) {
        Err(AuditError::Template(e @ TemplateError::TenantClaim(_))) => {
            assert!(e.to_string().starts_with("tenant claim `tenant id` cannot be mapped"), "{e}")
        }
        other => panic!("{other:?}"),
    }
    // Without a REST API nothing maps it.
    assert!(template_json(&functions(&["api=http-api:*"]), &options).is_ok());
}

#[test]
fn queues_and_streams_report_batch_item_failures() {
    let t =
        template(&["worker=sqs:orders::get_order", "counter=dynamodb-stream@T_ORDERS_TABLE:admin::get_order"]).unwrap();
    let r = &t["Resources"];
    let worker = &r["WorkerFunction"]["Properties"];
    assert_eq!(
        worker["Events"]["Queue"]["Properties"],
        json!({
            "Queue": { "Fn::GetAtt": ["WorkerQueue", "Arn"] },
            "BatchSize": 10,
            "FunctionResponseTypes": ["ReportBatchItemFailures"],
        })
    );
    assert_eq!(
        r["WorkerQueue"]["Properties"]["RedrivePolicy"]["deadLetterTargetArn"],
        json!({ "Fn::GetAtt": ["WorkerDeadLetterQueue", "Arn"] })
    );
    assert!(worker.get("TenancyConfig").is_none(), "an event source mapping carries no tenant id");
    // No token: no JWT settings, no JWT parameters.
    let env = worker["Environment"]["Variables"].as_object().unwrap();
    assert!(!env.contains_key("TENANT_JWT_ISSUER") && t["Parameters"].get("TenantJwtIssuer").is_none(), "{env:?}");
    assert_eq!(env["T_ORDERS_TABLE"], json!({ "Ref": "TOrdersTable" }));

    let counter = &r["CounterFunction"]["Properties"];
    assert_eq!(
        counter["Events"]["Stream"]["Properties"],
        json!({
            "Stream": { "Ref": "TOrdersTableStreamArn" },
            "StartingPosition": "TRIM_HORIZON",
            "BatchSize": 100,
            "FunctionResponseTypes": ["ReportBatchItemFailures"],
        })
    );
    assert_eq!(t["Parameters"]["TOrdersTableStreamArn"]["Type"], "String");
    // The execution roles poll their source; the stream's role reads the stream, not the table.
    let statements = |id: &str| r[id]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"].clone();
    let poll_queue =
        statements("WorkerExecutionRole").as_array().unwrap().iter().find(|s| s["Sid"] == "PollQueue").cloned();
    assert_eq!(
        poll_queue.unwrap()["Action"],
        json!(["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"])
    );
    let stream = statements("CounterExecutionRole");
    let stream: Vec<&Value> =
        stream.as_array().unwrap().iter().filter(|s| s["Sid"].as_str().unwrap().contains("Stream")).collect();
    assert_eq!(stream[0]["Resource"], json!({ "Ref": "TOrdersTableStreamArn" }));
    assert_eq!(
        stream[1]["Resource"],
        json!({ "Fn::Sub": "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${TOrdersTable}/stream/*" })
    );

    // A stream of a table that none of the template's handlers binds: its name's parameter is
    // declared all the same (the statement names it).
    let t = template(&["counter=dynamodb-stream@T_ORDERS_TABLE:reports"]).unwrap();
    assert_eq!(t["Parameters"]["TOrdersTable"]["Default"], "Orders");
    assert!(
        t["Resources"]["CounterFunction"]["Properties"]["Environment"]["Variables"].get("T_ORDERS_TABLE").is_none()
    );
}

#[test]
fn session_tag_handlers_get_the_tag_role_and_only_their_functions_are_trusted() {
    let t = template(&["tagged=http-api:reports", "plain=http-api@GET/orders:orders::get_order"]).unwrap();
    let r = &t["Resources"];
    let trusted = |role: &str| r[role]["Properties"]["AssumeRolePolicyDocument"]["Statement"][0].clone();
    let tag = trusted("TenantTagRole");
    assert_eq!(tag["Action"], json!(["sts:AssumeRole", "sts:TagSession"]));
    assert_eq!(
        tag["Condition"]["ArnEquals"]["aws:PrincipalArn"],
        json!([{ "Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/${NamePrefix}-tagged-exec" }])
    );
    assert_eq!(
        trusted("TenantDataRole")["Condition"]["ArnEquals"]["aws:PrincipalArn"],
        json!([{ "Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/${NamePrefix}-plain-exec" }])
    );
    // The tag role's policy keeps IAM's variable: escaped inside `Fn::Sub`.
    let policy = r["TenantTagRole"]["Properties"]["Policies"][0]["PolicyDocument"].to_string();
    assert!(
        policy.contains("arn:${AWS::Partition}:s3:::tenant-reports/tenants/${!aws:PrincipalTag/tenant}/*"),
        "{policy}"
    );
    let env = &r["TaggedFunction"]["Properties"]["Environment"]["Variables"];
    assert_eq!(env["TENANT_TAG_ROLE_ARN"], json!({ "Fn::GetAtt": ["TenantTagRole", "Arn"] }));
    assert!(env.get("TENANT_ROLE_ARN").is_none(), "{env}");
    // The bucket's variable belongs to no function here: no parameter for it.
    assert!(t["Parameters"].get("TFilesBucket").is_none());
}

fn cli(args: &[&str]) -> Result<Output, CliError> {
    run_from(["policies", "template"].iter().chain(args))
}

#[test]
fn the_command_line_explains_a_function() {
    match cli(&["--function", "get-order=http-api@GET/orders:orders::get_order", "--code-dir", "build/lambda/"]) {
        Ok(Output::Json(t)) => {
            assert_eq!(t["Resources"]["GetOrderFunction"]["Properties"]["CodeUri"], "build/lambda/get-order/")
        }
        other => panic!("{other:?}"),
    }
    for (args, says) in [
        (&[][..], "--function <NAME=SOURCE:HANDLERS>"),
        (&["--function", "get-order"], "has no `=`"),
        (&["--function", "f=http-api:x", "--tenant-claim="], "a value is required for '--tenant-claim <CLAIM>'"),
    ] {
        match cli(args) {
            Err(e @ CliError::Usage(_)) => assert!(e.to_string().contains(says), "{args:?}: {e}"),
            other => panic!("{args:?}: {other:?}"),
        }
    }
    assert!(matches!(cli(&["--function", "f=sqs:nothing"]), Err(e @ CliError::Invalid(_)) if e.exit_code() == 1));
    let Ok(Output::Text(help)) = cli(&["--help"]) else { panic!("no help") };
    for line in [
        "NAME=SOURCE:HANDLER[,HANDLER...]",
        "rest-api[@ROUTE...]",
        "dynamodb-stream@TABLE",
        "MODULE::*",
        "(table_env, bucket_env, queue_env, kms_key_env):\neach variable is a parameter",
    ] {
        assert!(help.contains(line), "{line}: {help}");
    }
}

/// Every `Ref` and every `${...}` of an `Fn::Sub` in `t` that names no parameter or resource of
/// `t` (nor a pseudo-parameter): CloudFormation refuses such a template (cfn-lint's E1019, E3005).
fn unresolved(t: &Value) -> Vec<String> {
    let declared = |name: &str| {
        let name = name.split_once('.').map_or(name, |(resource, _)| resource);
        name.starts_with("AWS::") || t["Parameters"].get(name).is_some() || t["Resources"].get(name).is_some()
    };
    let mut missing = Vec::new();
    let mut stack = vec![t];
    while let Some(v) = stack.pop() {
        match v {
            Value::Object(map) => {
                if let Some(Value::String(name)) = map.get("Ref")
                    && !declared(name)
                {
                    missing.push(name.clone());
                }
                if let Some(Value::String(sub)) = map.get("Fn::Sub") {
                    for part in sub.split("${").skip(1) {
                        let name = part.split('}').next().unwrap_or_default();
                        if !name.starts_with('!') && !declared(name) {
                            missing.push(name.to_owned());
                        }
                    }
                }
                stack.extend(map.values());
            }
            Value::Array(items) => stack.extend(items),
            _ => {}
        }
    }
    missing
}

/// The resources the data-access role's statements grant `action` on, as written.
fn granted(t: &Value, action: &str) -> Vec<Value> {
    t["Resources"]["TenantDataRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["Action"].as_array().unwrap().iter().any(|a| a == action))
        .flat_map(|s| s["Resource"].as_array().unwrap().clone())
        .collect()
}

#[test]
fn a_shared_queue_bound_at_run_time_is_a_parameter_set_on_its_functions_and_named_by_the_role() {
    let t = template(&[
        "announce=sqs:events::announce",
        "reannounce=sqs:events::reannounce",
        "reader=sqs:orders::get_order",
    ])
    .unwrap();
    assert_eq!(unresolved(&t), Vec::<String>::new(), "the template names what it does not declare");
    // One parameter for the variable, whichever handlers bind it, defaulting to the declared name.
    assert_eq!(
        t["Parameters"]["TEventsQueue"],
        json!({
            "Type": "String",
            "Default": "order-events",
            "Description": "Physical name of the SQS queue that `T_EVENTS_QUEUE` binds; the template sets \
                `T_EVENTS_QUEUE` on the functions of its handlers (announce, reannounce)",
            // A queue name (no `*`); this binary declares no per-tenant queues whose tenants'
            // names it must also refuse (audit/tests/shared_queue.rs has one).
            "AllowedPattern": r"^([A-Za-z0-9_-]{1,80}|[A-Za-z0-9_-]{1,75}\.fifo)$",
            "ConstraintDescription": "an SQS queue name (1-80 characters of A-Z, a-z, 0-9, _ and -, a FIFO queue's \
                ending with .fifo)",
        })
    );
    // Set on the functions whose handlers bind it, from the parameter, and on no other.
    let env = |f: &str| t["Resources"][f]["Properties"]["Environment"]["Variables"].clone();
    for f in ["AnnounceFunction", "ReannounceFunction"] {
        assert_eq!(env(f)["T_EVENTS_QUEUE"], json!({ "Ref": "TEventsQueue" }), "{f}");
    }
    assert!(env("ReaderFunction").get("T_EVENTS_QUEUE").is_none(), "{}", env("ReaderFunction"));
    // The data role sends to the queue the parameter names, and to the fixed one as written:
    // nothing else (no tenant's name is in either, and no wildcard).
    let queue = |name: &str| json!({ "Fn::Sub": format!("arn:${{AWS::Partition}}:sqs:${{AWS::Region}}:${{AWS::AccountId}}:{name}") });
    let mut sends = granted(&t, "sqs:SendMessage");
    sends.sort_by_key(Value::to_string);
    assert_eq!(sends, [queue("${TEventsQueue}"), queue("audit-events")]);
    // A fixed name is no parameter.
    assert!(
        t["Parameters"].as_object().unwrap().values().all(|p| p["Default"] != "audit-events"),
        "{}",
        t["Parameters"]
    );
}

#[test]
fn the_roles_template_declares_the_shared_queues_parameter_too() {
    let role = role_json(None, None, &[]).unwrap();
    let cf = &role["cloudformation"];
    assert_eq!(unresolved(cf), Vec::<String>::new(), "{cf:#}");
    assert_eq!(cf["Parameters"]["TEventsQueue"]["Default"], "order-events");
    assert!(
        cf["Parameters"]["TEventsQueue"]["Description"]
            .as_str()
            .unwrap()
            .starts_with("Physical name of the SQS queue that `T_EVENTS_QUEUE` binds; set `T_EVENTS_QUEUE`"),
        "{}",
        cf["Parameters"]["TEventsQueue"]
    );
}

/// A shared queue's name bound in the audit's environment is checked before a role names it, as
/// a table's and a bucket's are: `T_EVENTS_QUEUE=*` would make the data role send to every queue
/// of the account, each tenant's own among them (and the session-tag role, which no session
/// policy narrows, let every tenant do so). The test runs itself again in a child process with
/// the variable set (a test cannot set its own environment: `unsafe_code` is forbidden).
#[test]
fn a_queue_name_bound_in_the_environment_is_validated_before_the_role_names_it() {
    const TEST: &str = "a_queue_name_bound_in_the_environment_is_validated_before_the_role_names_it";
    if let Some(bound) = std::env::var_os("T_EVENTS_QUEUE") {
        // The child: both forms of `policies role` refuse the name.
        assert_eq!(bound, "*");
        for role in
            [role_json(None, None, &[]), role_json(Some("arn:aws:iam::123456789012:role/Data"), Some("eu-west-1"), &[])]
        {
            match role {
                Err(e @ AuditError::Placement { source: PlacementError::Queue(_), .. }) => println!("REFUSED {e}"),
                other => panic!("the role of a queue bound to `*`: {other:?}"),
            }
        }
        return;
    }
    let child = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", TEST, "--nocapture", "--test-threads=1"])
        .env("T_EVENTS_QUEUE", "*")
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&child.stdout).into_owned() + &String::from_utf8_lossy(&child.stderr);
    assert!(child.status.success(), "{said}");
    let refusal = "REFUSED cannot place handler `announce`: invalid queue name \"*\": expected 1-80 characters";
    assert_eq!(said.matches(refusal).count(), 2, "{said}");
}
