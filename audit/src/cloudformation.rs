//! The data-access role as a CloudFormation template, written as JSON: CloudFormation
//! reads JSON templates as it reads YAML ones, and `serde_json` writes them, so there is no
//! hand-written serializer to get a quoting rule wrong.
//!
//! The policy documents arrive with CloudFormation variables in their strings
//! (`arn:${AWS::Partition}:…:table/${OrdersTable}`) and leave as intrinsic functions
//! (`{"Fn::Sub": "arn:${AWS::Partition}:…:table/${OrdersTable}"}`), the JSON spelling of
//! YAML's `!Sub`, `!Ref` and `!GetAtt` short forms.

use crate::kind::Kind;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use tenant_isolation::HandlerSpec;

/// The parameter naming the Lambda execution role that assumes the data-access role.
pub(crate) const LAMBDA_ROLE_PARAMETER: &str = "LambdaExecutionRoleArn";

/// `ORDERS_TABLE` → `OrdersTable`: CloudFormation parameter names are alphanumeric. The
/// mapping is not one-to-one (`RT3_AUDIT_TABLE` and `RT3_AUDIT__TABLE` both give
/// `Rt3AuditTable`), so every name goes through [`Parameters::declare`], which refuses a
/// second use.
pub(crate) fn parameter_name(var: &str) -> String {
    let name = logical_name(var);
    if name.is_empty() { "TableName".to_owned() } else { name }
}

/// `create-order` → `CreateOrder`, `ORDERS_TABLE` → `OrdersTable`, `orders.v2` → `OrdersV2`:
/// the alphanumeric runs of `s`, each capitalised, as CloudFormation's logical ids and
/// parameter names must be.
pub(crate) fn logical_name(s: &str) -> String {
    s.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|part| !part.is_empty())
        .map(|part| {
            let lower = part.to_ascii_lowercase();
            lower[..1].to_ascii_uppercase() + &lower[1..]
        })
        .collect()
}

/// One parameter asked to serve two things: `first` (what it was declared for) and `second`,
/// each described for a message ("the variable `ORDERS_TABLE`").
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Collision {
    pub(crate) parameter: String,
    pub(crate) first: String,
    pub(crate) second: String,
}

/// A template's parameters, each serving one thing. A policy statement names a table, bucket,
/// shared queue or KMS key by its parameter (`${OrdersTable}`), so a parameter that served two
/// variables would grant each table's actions on the other: a second use of a name is an error,
/// never a merge.
#[derive(Debug, Default)]
pub(crate) struct Parameters {
    /// Name → declaration.
    entries: Map<String, Value>,
    /// Name → what it serves.
    serves: BTreeMap<String, String>,
}

impl Parameters {
    /// Declares `name` for `serves` (a description: "the variable `ORDERS_TABLE`"). Declaring
    /// it again for the same thing keeps the first declaration; for anything else it is a
    /// [`Collision`].
    pub(crate) fn declare(&mut self, name: &str, serves: String, declaration: Value) -> Result<(), Collision> {
        match self.serves.get(name) {
            Some(first) if *first == serves => Ok(()),
            Some(first) => Err(Collision { parameter: name.to_owned(), first: first.clone(), second: serves }),
            None => {
                self.serves.insert(name.to_owned(), serves);
                self.entries.insert(name.to_owned(), declaration);
                Ok(())
            }
        }
    }

    /// The `Parameters` section.
    pub(crate) fn into_json(self) -> Value {
        Value::Object(self.entries)
    }
}

/// The parameter of what `var` binds (a table's, a bucket's or a shared queue's physical name, a
/// KMS key's id), declared in `parameters` with `default` (the declared name or id; none when it
/// is empty, a KMS key bound by its variable alone, so the deployer must give it), `description`
/// (what it binds) and, for a kind whose value is written into an ARN unchecked by the runtime
/// until it starts, the kind's `AllowedPattern` among the application's handlers `all`
/// ([`Kind::allowed_pattern`]): its name, for `${...}`.
pub(crate) fn binding_parameter(
    parameters: &mut Parameters,
    var: &str,
    (kind, all): (Kind, &[&'static HandlerSpec]),
    default: &str,
    description: String,
) -> Result<String, Collision> {
    let name = parameter_name(var);
    let mut declaration = json!({ "Type": "String" });
    if !default.is_empty() {
        declaration["Default"] = default.into();
    }
    declaration["Description"] = description.into();
    let (pattern, constraint) = kind.allowed_pattern(all);
    declaration["AllowedPattern"] = pattern.into();
    declaration["ConstraintDescription"] = constraint.into();
    parameters.declare(&name, format!("the variable `{var}`"), declaration)?;
    Ok(name)
}

/// Declares `name`, the parameter of one Lambda execution role's ARN (its default `arn` when
/// given).
pub(crate) fn lambda_role_parameter(
    parameters: &mut Parameters,
    name: &str,
    arn: Option<&str>,
) -> Result<(), Collision> {
    let mut declaration = json!({
        "Type": "String",
        "Description": "ARN of a Lambda execution role that assumes the data-access role",
    });
    if let Some(arn) = arn {
        declaration["Default"] = arn.into();
    }
    parameters.declare(name, format!("the execution role parameter `{name}`"), declaration)
}

/// The template: `parameters`, the role with `trust` as its trust policy and `policy` as its
/// inline policy, and the output to set as `TENANT_ROLE_ARN`.
pub(crate) fn data_access_role(parameters: Parameters, trust: Value, policy: Value) -> Value {
    json!({
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "The data-access role that tenant sessions assume (generated by `policies role`). \
            Every partition key of the tables and indexes below must start with `TENANT#<tenant id>`.",
        "Parameters": parameters.into_json(),
        "Resources": {
            "TenantDataRole": {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "Description": "Per-tenant DynamoDB access; narrowed by a session policy on every AssumeRole",
                    // Sessions assumed by a Lambda role are role chaining, capped at one hour
                    // whatever this says.
                    "MaxSessionDuration": 3600,
                    "AssumeRolePolicyDocument": intrinsics(trust),
                    "Policies": [{ "PolicyName": "tenant-data-access", "PolicyDocument": intrinsics(policy) }],
                },
            },
        },
        "Outputs": {
            "TenantRoleArn": {
                "Description": "Set as TENANT_ROLE_ARN on every tenant-isolated function",
                "Value": { "Fn::GetAtt": ["TenantDataRole", "Arn"] },
            },
        },
    })
}

/// Every string value naming a `${...}` CloudFormation variable becomes `{"Fn::Sub": "..."}`,
/// or `{"Ref": "Name"}` when it is only `${Name}`; keys (`"dynamodb:LeadingKeys"`) and other
/// strings stay as they are:
///
/// ```text
/// "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/Orders"
///     → {"Fn::Sub": "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/Orders"}
/// "${LambdaExecutionRoleArn}" → {"Ref": "LambdaExecutionRoleArn"}
/// "TENANT#*"                  → "TENANT#*"
/// ```
///
/// An IAM policy variable (`${aws:PrincipalTag/tenant}`, the session-tag role's) is no
/// CloudFormation variable: beside one, inside `Fn::Sub`, it is written `${!aws:PrincipalTag/tenant}`
/// (CloudFormation then writes it as `${aws:PrincipalTag/tenant}`); alone it stays a plain string.
///
/// ```text
/// "arn:${AWS::Partition}:s3:::${FilesBucket}/tenants/${aws:PrincipalTag/tenant}/*"
///     → {"Fn::Sub": "arn:${AWS::Partition}:s3:::${FilesBucket}/tenants/${!aws:PrincipalTag/tenant}/*"}
/// "TENANT#${aws:PrincipalTag/tenant}" → "TENANT#${aws:PrincipalTag/tenant}"
/// ```
pub(crate) fn intrinsics(value: Value) -> Value {
    match value {
        Value::String(s) => match s.strip_prefix("${").and_then(|r| r.strip_suffix('}')) {
            Some(name) if name.bytes().all(|b| b.is_ascii_alphanumeric()) => json!({ "Ref": name }),
            _ => match substitution(&s) {
                Some(sub) => json!({ "Fn::Sub": sub }),
                None => Value::String(s),
            },
        },
        Value::Array(items) => items.into_iter().map(intrinsics).collect(),
        Value::Object(map) => map.into_iter().map(|(k, v)| (k, intrinsics(v))).collect(),
        other => other,
    }
}

/// `s` as the text of an `Fn::Sub` (other `${...}` escaped as `${!...}`), when it names at least
/// one CloudFormation variable.
fn substitution(s: &str) -> Option<String> {
    let (mut out, mut rest, mut any) = (String::new(), s, false);
    while let Some(start) = rest.find("${") {
        let Some(len) = rest[start..].find('}') else { break };
        let name = &rest[start + 2..start + len];
        out.push_str(&rest[..start]);
        if is_cloudformation_variable(name) {
            any = true;
            out.push_str(&rest[start..=start + len]);
        } else {
            out.push_str("${!");
            out.push_str(&rest[start + 2..=start + len]);
        }
        rest = &rest[start + len + 1..];
    }
    out.push_str(rest);
    any.then_some(out)
}

/// What `Fn::Sub` substitutes: a pseudo-parameter (`AWS::Region`), a parameter or resource
/// (`OrdersTable`), or a resource's attribute (`OrdersApiFunction.Arn`).
fn is_cloudformation_variable(name: &str) -> bool {
    let alphanumeric = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric());
    match name.strip_prefix("AWS::") {
        Some(pseudo) => alphanumeric(pseudo),
        None => match name.split_once('.') {
            Some((resource, attribute)) => alphanumeric(resource) && alphanumeric(attribute),
            None => alphanumeric(name),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameter_names_are_alphanumeric() {
        assert_eq!(parameter_name("ORDERS_TABLE"), "OrdersTable");
        assert_eq!(parameter_name("_X__Y2"), "XY2");
        assert_eq!(parameter_name("__"), "TableName");
        assert_eq!(logical_name("create-order"), "CreateOrder");
        assert_eq!(logical_name("orders.v2"), "OrdersV2");
    }

    #[test]
    fn a_parameter_serves_one_thing() {
        let mut p = Parameters::default();
        let declare = |p: &mut Parameters, var: &str| binding_parameter(p, var, (Kind::Table, &[]), "x", String::new());
        assert_eq!(declare(&mut p, "ORDERS_TABLE").unwrap(), "OrdersTable");
        // The same variable again (another handler's binding) is the same parameter.
        assert_eq!(declare(&mut p, "ORDERS_TABLE").unwrap(), "OrdersTable");
        assert_eq!(
            declare(&mut p, "ORDERS__TABLE").unwrap_err(),
            Collision {
                parameter: "OrdersTable".into(),
                first: "the variable `ORDERS_TABLE`".into(),
                second: "the variable `ORDERS__TABLE`".into(),
            }
        );
        // A variable named like one of the template's own parameters.
        declare(&mut p, "LAMBDA_EXECUTION_ROLE_ARN").unwrap();
        let e = lambda_role_parameter(&mut p, LAMBDA_ROLE_PARAMETER, None).unwrap_err();
        assert_eq!(
            (&*e.parameter, &*e.second),
            (LAMBDA_ROLE_PARAMETER, "the execution role parameter `LambdaExecutionRoleArn`")
        );
    }

    #[test]
    fn a_bound_parameter_allows_only_its_kinds_values_and_defaults_to_the_declared_one() {
        let mut p = Parameters::default();
        binding_parameter(&mut p, "VAULT_KEY", (Kind::KmsKey, &[]), "", "the vault's key".into()).unwrap();
        binding_parameter(
            &mut p,
            "SETTINGS_KEY",
            (Kind::KmsKey, &[]),
            "mrk-0123456789abcdef0123456789abcdef",
            "s".into(),
        )
        .unwrap();
        binding_parameter(&mut p, "ORDERS_TABLE", (Kind::Table, &[]), "Orders", "t".into()).unwrap();
        let p = p.into_json();
        let allowed = (
            "^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})$",
            "a KMS key id (`!Ref` of an AWS::KMS::Key): a lowercase UUID or `mrk-` and 32 lowercase hex digits",
        );
        // Bound by its variable alone: no default, the deployer gives the id.
        assert_eq!(
            p["VaultKey"],
            json!({
                "Type": "String",
                "Description": "the vault's key",
                "AllowedPattern": allowed.0,
                "ConstraintDescription": allowed.1,
            })
        );
        assert_eq!(p["SettingsKey"]["Default"], "mrk-0123456789abcdef0123456789abcdef");
        assert_eq!(p["SettingsKey"]["AllowedPattern"], allowed.0);
        // A name's parameter allows only a name of its kind: `*` would widen the role's ARN.
        assert_eq!(
            p["OrdersTable"],
            json!({
                "Type": "String",
                "Default": "Orders",
                "Description": "t",
                "AllowedPattern": "^[A-Za-z0-9_.-]{3,255}$",
                "ConstraintDescription": Kind::Table.allowed_pattern(&[]).1,
            })
        );
    }

    #[test]
    fn variables_become_sub_or_ref_in_values_only() {
        let policy = json!({
            "Statement": [{
                "Principal": { "AWS": "${LambdaExecutionRoleArn}" },
                "Resource": ["arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${OrdersTable}"],
                "Condition": { "Null": { "dynamodb:LeadingKeys": "false" } },
            }]
        });
        assert_eq!(
            intrinsics(policy),
            json!({
                "Statement": [{
                    "Principal": { "AWS": { "Ref": "LambdaExecutionRoleArn" } },
                    "Resource": [{
                        "Fn::Sub": "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${OrdersTable}"
                    }],
                    "Condition": { "Null": { "dynamodb:LeadingKeys": "false" } },
                }]
            })
        );
        // `${AWS::Region}` alone is a pseudo-parameter: `Fn::Sub`, not `Ref` (`:` is not
        // alphanumeric), which CloudFormation resolves the same.
        assert_eq!(intrinsics(json!("${AWS::Region}")), json!({ "Fn::Sub": "${AWS::Region}" }));
        // IAM policy variables are escaped beside CloudFormation's, and left alone without them.
        assert_eq!(
            intrinsics(json!("arn:${AWS::Partition}:s3:::${FilesBucket}/tenants/${aws:PrincipalTag/tenant}/*")),
            json!({ "Fn::Sub": "arn:${AWS::Partition}:s3:::${FilesBucket}/tenants/${!aws:PrincipalTag/tenant}/*" })
        );
        for plain in ["TENANT#${aws:PrincipalTag/tenant}", "TENANT#${aws:PrincipalTag/tenant}#*", "${unclosed", "$x"] {
            assert_eq!(intrinsics(json!(plain)), json!(plain));
        }
        assert_eq!(intrinsics(json!("x/${Fn.Arn}/y")), json!({ "Fn::Sub": "x/${Fn.Arn}/y" }), "a resource attribute");
    }
}
