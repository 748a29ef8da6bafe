//! Red-team review of issue 24: two bindings that the audit sees as two tables can be one table
//! once deployed. `RV_LEDGER_TABLE` (key prefix `TENANT#`) and `RV_ORG_LEDGER_TABLE`
//! (`TENANT#ORG#`) have declared names of their own, so neither the resolved-name check nor the
//! per-variable check refuses them; but the deployer chooses their physical names as the
//! template's parameters, and a single-table deployment sets both to one table. Their handlers
//! run in two functions (two processes), so the runtime's per-process claims never see the pair
//! either, and the data role grants `TENANT#*` on both parameters' tables: tenant `ORG` of
//! `tenant_ledger` reads every `TENANT#ORG#<tenant>` item of `org_ledger`'s tenants. The same
//! holds for a variable set to another handler's fixed name, and for buckets (`""` and
//! `tenants/`).
//!
//! The template is what the deployer runs, so it must refuse such parameter values itself
//! (CloudFormation `Rules`, checked before any resource is created); prefixes that do not overlap
//! on one table (a single-table design) stay deployable.
//!
//! Queues every tenant's messages share are bound the same way (`queue_env`): two producers that
//! stamp the sender's tenant in different message attributes (`tenant_id`, `org_id`) must not be
//! pointed at one queue, or acme could send through the `org_id` producer with `tenant_id` set
//! to `globex` (its guard checks `org_id` only) and the `tenant_id` consumer would run the
//! message as globex. Producers stamping one attribute may share a queue.

use serde_json::Value;
use std::collections::BTreeMap;
use tenant_isolation_audit::{Function, TemplateOptions, template_json};

/// Handlers whose bindings overlap if the deployer points them at one resource.
pub mod ledgers {
    use lambda_http::{Body, Error, Request, Response};
    use tenant_isolation::{TenantBucket, TenantTable, tenant_isolated};

    /// Every tenant's ledger.
    #[tenant_isolated(table = "Ledger", table_env = "RV_LEDGER_TABLE", actions = [GetItem])]
    pub async fn tenant_ledger(table: TenantTable, request: Request) -> Result<Response<Body>, Error> {
        let _ = (table, request);
        Ok(Response::new(Body::Empty))
    }

    /// Organisations' ledgers, under `TENANT#ORG#`.
    #[tenant_isolated(table = "OrgLedger", table_env = "RV_ORG_LEDGER_TABLE", actions = [GetItem], key_prefix = "TENANT#ORG#")]
    pub async fn org_ledger(table: TenantTable, request: Request) -> Result<Response<Body>, Error> {
        let _ = (table, request);
        Ok(Response::new(Body::Empty))
    }

    /// Organisations' audit trail, a fixed name, under `TENANT#ORG#`.
    #[tenant_isolated(table = "OrgAudit", actions = [GetItem], key_prefix = "TENANT#ORG#")]
    pub async fn org_audit(table: TenantTable, request: Request) -> Result<Response<Body>, Error> {
        let _ = (table, request);
        Ok(Response::new(Body::Empty))
    }

    /// Orders under `ORDER#`: one table with the ledger is a single-table design, no overlap.
    #[tenant_isolated(table = "Orders", table_env = "RV_ORDERS_TABLE", actions = [GetItem], key_prefix = "ORDER#")]
    pub async fn orders(table: TenantTable, request: Request) -> Result<Response<Body>, Error> {
        let _ = (table, request);
        Ok(Response::new(Body::Empty))
    }

    /// Files under `tenants/<tenant>/`.
    #[tenant_isolated(buckets(files(bucket = "rv-files", bucket_env = "RV_FILES_BUCKET", actions = [GetObject])))]
    pub async fn files(files: TenantBucket, request: Request) -> Result<Response<Body>, Error> {
        let _ = (files, request);
        Ok(Response::new(Body::Empty))
    }

    /// Files under `<tenant>/` (tenant `tenants` owns every `tenants/…` object of `files`).
    #[tenant_isolated(buckets(root(bucket = "rv-root", bucket_env = "RV_ROOT_BUCKET", prefix = "", actions = [GetObject])))]
    pub async fn root_files(root: TenantBucket, request: Request) -> Result<Response<Body>, Error> {
        let _ = (root, request);
        Ok(Response::new(Body::Empty))
    }
}

/// Producers on shared queues whose consumers read the tenant from an attribute.
pub mod producers {
    use lambda_http::{Body, Error, Request, Response};
    use tenant_isolation::{TenantQueue, tenant_isolated};

    /// Order events, the tenant in `tenant_id`.
    #[tenant_isolated(queues(events(queue = "rv-events", queue_env = "RV_EVENTS_QUEUE", tenant_attribute = "tenant_id", actions = [SendMessage])))]
    pub async fn announce(events: TenantQueue, request: Request) -> Result<Response<Body>, Error> {
        let _ = (events, request);
        Ok(Response::new(Body::Empty))
    }

    /// Notifications, the tenant in `tenant_id` too: one queue with `announce` is one family.
    #[tenant_isolated(queues(notices(queue = "rv-notices", queue_env = "RV_NOTICES_QUEUE", tenant_attribute = "tenant_id", actions = [SendMessage])))]
    pub async fn notify(notices: TenantQueue, request: Request) -> Result<Response<Body>, Error> {
        let _ = (notices, request);
        Ok(Response::new(Body::Empty))
    }

    /// Organisations' events, the tenant in `org_id`.
    #[tenant_isolated(queues(org_events(queue = "rv-org-events", queue_env = "RV_ORG_EVENTS_QUEUE", tenant_attribute = "org_id", actions = [SendMessage])))]
    pub async fn org_announce(org_events: TenantQueue, request: Request) -> Result<Response<Body>, Error> {
        let _ = (org_events, request);
        Ok(Response::new(Body::Empty))
    }

    /// Organisations' audit trail, a fixed name, the tenant in `org_id`.
    #[tenant_isolated(queues(trail(queue = "rv-org-trail", tenant_attribute = "org_id", actions = [SendMessage])))]
    pub async fn org_trail(trail: TenantQueue, request: Request) -> Result<Response<Body>, Error> {
        let _ = (trail, request);
        Ok(Response::new(Body::Empty))
    }
}

fn template() -> Value {
    let functions: Vec<Function> = [
        "ledger=sqs:tenant_ledger",
        "org-ledger=sqs:org_ledger",
        "org-audit=sqs:org_audit",
        "orders=sqs:orders",
        "files=sqs:ledgers::files",
        "root-files=sqs:root_files",
        "announce=sqs:announce",
        "notify=sqs:notify",
        "org-announce=sqs:org_announce",
        "org-trail=sqs:org_trail",
    ]
    .iter()
    .map(|f| f.parse().unwrap())
    .collect();
    template_json(&functions, &TemplateOptions::default()).expect("no overlap by declared names or by variable")
}

/// A rule function's value, as CloudFormation evaluates `Rules` (`Ref` to a parameter, `Fn::Equals`,
/// `Fn::Not`, `Fn::And`, `Fn::Or`, literals).
fn eval(value: &Value, params: &BTreeMap<String, String>) -> Value {
    let Value::Object(map) = value else { return value.clone() };
    let (name, args) = map.iter().next().expect("one function per object");
    let arg = |i: usize| eval(&args[i], params);
    let truth = |v: Value| v.as_bool().unwrap_or_else(|| panic!("not a condition: {v}"));
    match name.as_str() {
        "Ref" => Value::String(params[args.as_str().unwrap()].clone()),
        "Fn::Equals" => Value::Bool(arg(0) == arg(1)),
        "Fn::Not" => Value::Bool(!truth(arg(0))),
        "Fn::And" => Value::Bool((0..args.as_array().unwrap().len()).all(|i| truth(arg(i)))),
        "Fn::Or" => Value::Bool((0..args.as_array().unwrap().len()).any(|i| truth(arg(i)))),
        other => panic!("a rule function this test does not evaluate: {other}"),
    }
}

/// Whether CloudFormation would accept `values` (over the parameters' defaults) for `template`:
/// every assertion of every rule whose condition holds.
fn accepted(template: &Value, values: &[(&str, &str)]) -> bool {
    let mut params: BTreeMap<String, String> = template["Parameters"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v["Default"].as_str().unwrap_or("x").to_owned()))
        .collect();
    for (k, v) in values {
        assert!(params.contains_key(*k), "no parameter `{k}`");
        params.insert((*k).to_owned(), (*v).to_owned());
    }
    let Some(rules) = template.get("Rules").and_then(Value::as_object) else { return true };
    rules.values().all(|rule| {
        let applies = rule.get("RuleCondition").is_none_or(|c| eval(c, &params) == Value::Bool(true));
        !applies
            || rule["Assertions"].as_array().unwrap().iter().all(|a| eval(&a["Assert"], &params) == Value::Bool(true))
    })
}

#[test]
fn parameters_that_make_overlapping_prefixes_share_a_table_or_bucket_are_refused() {
    let t = template();
    assert!(accepted(&t, &[]), "the defaults are distinct tables and buckets");
    // Single-table design: `ORDER#` and `TENANT#` on one table do not overlap.
    assert!(accepted(&t, &[("RvLedgerTable", "Shared"), ("RvOrdersTable", "Shared")]));
    assert!(accepted(&t, &[("RvOrgLedgerTable", "Shared"), ("RvOrdersTable", "Shared")]));
    // `TENANT#` and `TENANT#ORG#` on one table: tenant `ORG` of one owns the other's keys.
    assert!(
        !accepted(&t, &[("RvLedgerTable", "Shared"), ("RvOrgLedgerTable", "Shared")]),
        "two variables bound to one table with overlapping prefixes"
    );
    // A variable set to another handler's fixed name.
    assert!(!accepted(&t, &[("RvLedgerTable", "OrgAudit")]), "a variable bound to an overlapping fixed name");
    // `""` and `tenants/` in one bucket: tenant `tenants` of one owns the other's objects.
    assert!(
        !accepted(&t, &[("RvFilesBucket", "shared-files"), ("RvRootBucket", "shared-files")]),
        "two variables bound to one bucket with overlapping prefixes"
    );
}

#[test]
fn parameters_that_put_two_tenant_attributes_on_one_queue_are_refused() {
    let t = template();
    assert!(accepted(&t, &[]), "the defaults are distinct queues");
    // One attribute: the producers stamp and check the same one, which the consumer reads.
    assert!(accepted(&t, &[("RvEventsQueue", "shared-events"), ("RvNoticesQueue", "shared-events")]));
    // `tenant_id` and `org_id` on one queue: acme sends through the `org_id` producer with
    // `tenant_id` = globex, and the `tenant_id` consumer runs it as globex.
    assert!(
        !accepted(&t, &[("RvEventsQueue", "shared-events"), ("RvOrgEventsQueue", "shared-events")]),
        "two variables bound to one queue read by two attributes"
    );
    assert!(
        !accepted(&t, &[("RvNoticesQueue", "shared-events"), ("RvOrgEventsQueue", "shared-events")]),
        "two variables bound to one queue read by two attributes"
    );
    // A variable set to a fixed name another attribute is stamped on.
    assert!(
        !accepted(&t, &[("RvEventsQueue", "rv-org-trail")]),
        "a variable bound to the fixed queue of another attribute"
    );
    // One attribute with a fixed name: the same family.
    assert!(accepted(&t, &[("RvOrgEventsQueue", "rv-org-trail")]));
    let assertions = t["Rules"]["SharedQueuesApart"]["Assertions"].as_array().unwrap();
    assert!(
        assertions.iter().any(|a| a["AssertDescription"]
            == "`RV_EVENTS_QUEUE` (handler `announce`, tenant attribute `tenant_id`) and `RV_ORG_EVENTS_QUEUE` (handler \
                `org_announce`, tenant attribute `org_id`) must name two queues: their messages carry the tenant in \
                different attributes, so a consumer reading one would trust what the other's guard never checked"),
        "{assertions:#?}"
    );
}
