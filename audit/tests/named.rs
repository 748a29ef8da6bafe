//! A handler's secrets, parameters and queues in the audit's output: `policies list` prints each
//! declaration (service, name, prefix, fifo, actions) beside the tables, so the policy proofs
//! derive what a tenant may reach from the declaration; `policies role` and its CloudFormation
//! template carry their statements.

use serde_json::{Value, json};
use tenant_isolation_audit::{list_json, role_json};

/// A table, a secret rule, a parameter rule and a FIFO queue in one handler.
pub mod handlers {
    use lambda_http::{Body, Error, Request, Response};
    use tenant_isolation::{TenantParameters, TenantQueue, TenantSecrets, TenantTable, tenant_isolated};

    /// Everything at once.
    #[tenant_isolated(
        table = "Orders",
        actions = [PutItem],
        secrets(webhooks(prefix = "tenants/", actions = [GetSecretValue, DescribeSecret])),
        parameters(settings(prefix = "/tenants/", actions = [GetParametersByPath, GetParameter])),
        queues(jobs(prefix = "jobs-", fifo, actions = [SendMessage]))
    )]
    pub async fn create_order(
        orders: TenantTable,
        webhooks: TenantSecrets,
        settings: TenantParameters,
        jobs: TenantQueue,
        request: Request,
    ) -> Result<Response<Body>, Error> {
        let _ = (orders, webhooks, settings, jobs, request);
        Ok(Response::new(Body::Empty))
    }
}

#[test]
fn list_prints_each_declaration_beside_the_tables() {
    let list = list_json();
    let handler = &list[0];
    assert_eq!(handler["handler"], "create_order");
    assert_eq!(handler["tables"][0]["table"], "Orders");
    // In declaration order; actions in canonical order, as in the policy.
    assert_eq!(
        handler["named"],
        json!([
            { "name": "webhooks", "service": "secretsmanager", "prefix": "tenants/", "fifo": false,
              "queue": null, "queue_env": null, "tenant_attribute": null,
              "kms_key": null, "kms_key_env": null, "actions": ["DescribeSecret", "GetSecretValue"] },
            { "name": "settings", "service": "ssm", "prefix": "/tenants/", "fifo": false,
              "queue": null, "queue_env": null, "tenant_attribute": null,
              "kms_key": null, "kms_key_env": null, "actions": ["GetParameter", "GetParametersByPath"] },
            { "name": "jobs", "service": "sqs", "prefix": "jobs-", "fifo": true,
              "queue": null, "queue_env": null, "tenant_attribute": null,
              "kms_key": null, "kms_key_env": null, "actions": ["SendMessage"] },
        ])
    );
    // Every action declared is granted by the template the list prints, and nothing else.
    let granted: Vec<&str> = handler["template"]["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["Action"].as_array().unwrap().iter().map(|a| a.as_str().unwrap()))
        .collect();
    for named in handler["named"].as_array().unwrap() {
        for action in named["actions"].as_array().unwrap() {
            let iam = format!("{}:{}", named["service"].as_str().unwrap(), action.as_str().unwrap());
            assert!(granted.contains(&iam.as_str()), "{iam} in {granted:?}");
        }
    }
    assert_eq!(granted.len(), 6, "{granted:?}");
}

#[test]
fn the_role_and_its_template_confine_every_tenants_names_to_the_prefix() {
    let role = role_json(Some("arn:aws:iam::123456789012:role/TenantData"), Some("eu-west-1"), &[]).unwrap();
    let statements = role["data_access_role_policy"]["Statement"].as_array().unwrap();
    let resources = |action: &str| -> Vec<&str> {
        statements
            .iter()
            .filter(|s| s["Action"].as_array().unwrap().iter().any(|a| a == action))
            .flat_map(|s| s["Resource"].as_array().unwrap().iter().map(|r| r.as_str().unwrap()))
            .collect()
    };
    assert_eq!(
        resources("secretsmanager:GetSecretValue"),
        ["arn:aws:secretsmanager:eu-west-1:123456789012:secret:tenants/*"]
    );
    assert_eq!(resources("ssm:GetParametersByPath"), ["arn:aws:ssm:eu-west-1:123456789012:parameter/tenants/*"]);
    assert_eq!(resources("ssm:GetParameter"), ["arn:aws:ssm:eu-west-1:123456789012:parameter/tenants/*"]);
    assert_eq!(resources("sqs:SendMessage"), ["arn:aws:sqs:eu-west-1:123456789012:jobs-*"]);
    // The CloudFormation template's role names the same resources in the stack's own partition,
    // region and account.
    let cf = role["cloudformation"]["Resources"]["TenantDataRole"]["Properties"]["Policies"][0]["PolicyDocument"]
        .to_string();
    for arn in [
        "arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:tenants/*",
        "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/tenants/*",
        "arn:${AWS::Partition}:sqs:${AWS::Region}:${AWS::AccountId}:jobs-*",
    ] {
        assert!(cf.contains(&json!({ "Fn::Sub": arn }).to_string()), "{arn} in {cf}");
    }
    let _: &Value = &role["trust_policy"];
}
