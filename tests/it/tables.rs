//! Handlers with several tables (`tables(...)`): one session policy with a statement per table,
//! one capability type per table, and a guard that checks each request against the table it
//! names, with that table's actions and key rule. Against moto.
//!
//! The attacks: a tenant that holds the handle (or the raw client) of a handler with two tables
//! uses one table's actions on the other, one table's key prefix on the other, another tenant's
//! keys in either, or a table the handler did not declare. Each is refused before anything is
//! sent; each test was seen to fail with the guard's per-table lookup replaced by "the first
//! table" (`Check::table` in `runtime/src/guard/dynamodb.rs`).

use crate::common::{isolation, isolation_with};
use aws_lambda_events::apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse};
use aws_sdk_dynamodb::types::AttributeValue;
use lambda_runtime::LambdaEvent;
use tenant_isolation::{Action, GuardViolation, Scope, ScopeError, TenantId, TenantTable, Violation, tenant_isolated};
use tenant_isolation_tests::{sdk_config, shared};
use tokio::sync::OnceCell;

/// Reads the tenant's customer (`Customers`, keys `ORG#<tenant>`) and writes an order
/// (`Orders`, keys `TENANT#<tenant>`) for it: the issue's `create_order`, in miniature.
#[tenant_isolated(tables(
    orders(table = "Orders", actions = [PutItem, GetItem]),
    customers(table = "Customers", actions = [GetItem], key_prefix = "ORG#"),
))]
pub async fn place_order(
    orders: TenantTable,
    customers: TenantTable,
    event: LambdaEvent<ApiGatewayV2httpRequest>,
) -> Result<ApiGatewayV2httpResponse, lambda_runtime::Error> {
    let id = event.payload.query_string_parameters.first("id").unwrap_or("1").to_owned();
    let customer =
        customers.get_item()?.key("pk", s(&customers.partition_key()?)).key("sk", s("PROFILE")).send().await?;
    let name = match customer.item().and_then(|i| i.get("name")) {
        Some(AttributeValue::S(name)) => name.clone(),
        _ => return Ok(status(404)),
    };
    orders
        .put_item()?
        .item("pk", s(&orders.partition_key()?))
        .item("sk", s(&format!("ORDER#{id}")))
        .item("customer", s(&name))
        .send()
        .await?;
    Ok(status(201))
}

fn status(code: i64) -> ApiGatewayV2httpResponse {
    let mut response = ApiGatewayV2httpResponse::default();
    response.status_code = code;
    response
}

fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.to_owned())
}

/// Customers of this test's own key rule (`ORG#<tenant>`) in the fixture's `Customers` table,
/// written once per test binary.
async fn customers_table() {
    static READY: OnceCell<()> = OnceCell::const_new();
    READY
        .get_or_init(|| async {
            let fx = &shared().1;
            let client = aws_sdk_dynamodb::Client::new(&sdk_config(&fx.endpoint).await);
            for (tenant, name) in [("acme", "Acme Corp"), ("globex", "Globex Inc")] {
                client
                    .put_item()
                    .table_name(&fx.customers_table)
                    .item("pk", s(&format!("ORG#{tenant}")))
                    .item("sk", s("PROFILE"))
                    .item("name", s(name))
                    .send()
                    .await
                    .expect("seeding Customers");
            }
        })
        .await;
}

async fn scope(tenant: &str) -> Scope {
    customers_table().await;
    isolation().await.enter(place_order::SPEC, &TenantId::parse(tenant).unwrap(), None).await.unwrap()
}

/// What the guard said about a request built on `scope`'s raw client (which the typed handles
/// also use) inside `scope`: `None` when it was let through to moto.
async fn verdict<F, Fut, T, E>(scope: &Scope, f: F) -> Option<Violation>
where
    F: FnOnce(aws_sdk_dynamodb::Client) -> Fut,
    Fut: std::future::Future<Output = Result<T, aws_sdk_dynamodb::error::SdkError<E>>>,
    E: std::error::Error + Send + Sync + 'static,
{
    let fut = f(scope.client().clone());
    scope.clone().run(fut).await.err().and_then(|e| GuardViolation::find(&e).map(|v| v.violation().clone()))
}

#[tokio::test]
async fn actions_declared_on_one_table_are_refused_on_the_other() {
    let acme = scope("acme").await;
    // `PutItem` is declared on `Orders` only: the session policy grants it on `Orders` only, and
    // the guard refuses it on `Customers` although the key is the tenant's own there.
    let put = verdict(&acme, |c| {
        c.put_item().table_name("Customers").item("pk", s("ORG#acme")).item("sk", s("PROFILE")).send()
    })
    .await;
    assert_eq!(put, Some(Violation::UndeclaredAction(Action::PutItem)));
    // The same request on `Orders`, with `Orders`' key rule, is let through.
    let put = verdict(&acme, |c| {
        c.put_item().table_name("Orders").item("pk", s("TENANT#acme")).item("sk", s("ORDER#t1")).send()
    })
    .await;
    assert_eq!(put, None);
}

#[tokio::test]
async fn each_table_has_its_own_key_rule() {
    let acme = scope("acme").await;
    let get = |table: &'static str, pk: &'static str| {
        let acme = acme.clone();
        async move {
            verdict(&acme, |c| c.get_item().table_name(table).key("pk", s(pk)).key("sk", s("PROFILE")).send()).await
        }
    };
    let foreign = Some(Violation::ForeignKey { attribute: "pk".into() });
    assert_eq!(get("Customers", "ORG#acme").await, None);
    assert_eq!(get("Orders", "TENANT#acme").await, None);
    // One table's prefix on the other: `TENANT#acme` is no key of acme's in `Customers`.
    assert_eq!(get("Customers", "TENANT#acme").await, foreign);
    assert_eq!(get("Orders", "ORG#acme").await, foreign);
    // Other tenants, and prefix collisions, in either table.
    assert_eq!(get("Customers", "ORG#globex").await, foreign);
    assert_eq!(get("Customers", "ORG#acme-2").await, foreign);
    assert_eq!(get("Orders", "TENANT#globex").await, foreign);
    // A table the handler did not declare, by name or by an ARN that only ends like a declared one.
    assert_eq!(get("Invoices", "TENANT#acme").await, Some(Violation::Table("Invoices".into())));
    let elsewhere = "arn:aws:dynamodb:us-east-1:999999999999:table/Customers";
    assert_eq!(get(elsewhere, "ORG#acme").await, Some(Violation::Table(elsewhere.into())));
    // The declared table by its exact ARN is the same table.
    assert_eq!(get("arn:aws:dynamodb:us-east-1:123456789012:table/Customers", "ORG#acme").await, None);
}

#[tokio::test]
async fn typed_handles_address_their_own_table_with_its_own_keys() {
    let acme = scope("acme").await;
    let (orders, customers) =
        (acme.table::<place_order_orders>().unwrap(), acme.table::<place_order_customers>().unwrap());
    let names = acme
        .clone()
        .run(async move {
            let keys = (orders.partition_key().unwrap(), customers.key(&["PROFILE"]).unwrap());
            let tables = (orders.table_name().unwrap(), customers.table_name().unwrap());
            // A handle's builders name its own table: a `GetItem` of acme's customer through the
            // customers handle reaches `Customers`.
            let got = customers
                .get_item()
                .unwrap()
                .key("pk", s(&customers.partition_key().unwrap()))
                .key("sk", s("PROFILE"))
                .send()
                .await
                .unwrap();
            (keys, tables, got.item().and_then(|i| i.get("name")).cloned())
        })
        .await;
    assert_eq!(names.0, ("TENANT#acme".to_owned(), "ORG#acme#PROFILE".to_owned()));
    assert_eq!(names.1, ("Orders".to_owned(), "Customers".to_owned()));
    assert_eq!(names.2, Some(s("Acme Corp")));
}

#[tokio::test]
async fn the_session_policy_has_one_statement_per_table() {
    let policy: serde_json::Value = serde_json::from_str(
        &isolation().await.render_policy(place_order::SPEC, &TenantId::parse("acme").unwrap()).unwrap(),
    )
    .unwrap();
    let statements = policy["Statement"].as_array().unwrap();
    assert_eq!(statements.len(), 2, "{policy}");
    let on = |table: &str| {
        statements
            .iter()
            .find(|st| st["Resource"][0].as_str().unwrap().ends_with(&format!(":table/{table}")))
            .unwrap_or_else(|| panic!("no statement on {table}: {policy}"))
    };
    assert_eq!(on("Orders")["Action"], serde_json::json!(["dynamodb:GetItem", "dynamodb:PutItem"]));
    assert_eq!(on("Customers")["Action"], serde_json::json!(["dynamodb:GetItem"]));
    assert_eq!(
        on("Customers")["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"],
        serde_json::json!(["ORG#acme", "ORG#acme#*"])
    );
}

/// End to end through the generated handler: each tenant reads its own customer and writes its
/// own order, and cannot see the other's.
#[tokio::test]
async fn two_tenants_place_orders_from_their_own_customers() {
    customers_table().await;
    let iso = isolation().await;
    let fx = &shared().1;
    let id = crate::common::unique("multi");
    for user in ["alice", "bob"] {
        let mut request = ApiGatewayV2httpRequest::default();
        let token = &fx.user(user).id_token;
        request.headers.insert("authorization", format!("Bearer {token}").parse().unwrap());
        request.query_string_parameters =
            [("id".to_owned(), id.clone())].into_iter().collect::<std::collections::HashMap<_, _>>().into();
        let resp = place_order::call_with(&iso, LambdaEvent::new(request, Default::default())).await.unwrap();
        assert_eq!(resp.status_code, 201, "{user}");
    }
    let client = aws_sdk_dynamodb::Client::new(&sdk_config(&fx.endpoint).await);
    for (tenant, customer) in [("acme", "Acme Corp"), ("globex", "Globex Inc")] {
        let item = client
            .get_item()
            .table_name("Orders")
            .key("pk", s(&format!("TENANT#{tenant}")))
            .key("sk", s(&format!("ORDER#{id}")))
            .send()
            .await
            .unwrap();
        assert_eq!(item.item().and_then(|i| i.get("customer")), Some(&s(customer)), "{tenant}'s order");
    }
}

/// A transaction names a table per item: each item is checked against its own table's actions
/// and key rule, so one foreign key among own keys refuses the whole request.
#[tokio::test]
async fn each_item_of_a_transaction_is_checked_against_its_own_table() {
    use aws_sdk_dynamodb::types::{Get, TransactGetItem};
    let acme = scope("acme").await;
    let get = |table: &str, pk: &str, sk: &str| {
        let get = Get::builder().table_name(table).key("pk", s(pk)).key("sk", s(sk)).build().unwrap();
        TransactGetItem::builder().get(get).build()
    };
    let own = [get("Customers", "ORG#acme", "PROFILE"), get("Orders", "TENANT#acme", "ORDER#1")];
    let both = verdict(&acme, |c| c.transact_get_items().set_transact_items(Some(own.to_vec())).send()).await;
    assert_eq!(both, None);
    for foreign in [get("Orders", "TENANT#globex", "ORDER#1"), get("Customers", "TENANT#acme", "PROFILE")] {
        let items = vec![own[0].clone(), foreign];
        let refused = verdict(&acme, |c| c.transact_get_items().set_transact_items(Some(items)).send()).await;
        assert_eq!(refused, Some(Violation::ForeignKey { attribute: "pk".into() }));
    }
}

/// Orders (partition key `pk`) beside a table whose partition key is `tenant_pk`: the second
/// table is configured by its physical name (`IsolationBuilder::table_partition_key`,
/// `TENANT_TABLE_PARTITION_KEYS`).
#[tenant_isolated(tables(
    orders(table = "Orders", actions = [GetItem]),
    accounts(table = "TenantAccounts", actions = [GetItem, PutItem, Query]),
))]
pub async fn accounts(
    orders: TenantTable,
    accounts: TenantTable,
    event: LambdaEvent<ApiGatewayV2httpRequest>,
) -> Result<ApiGatewayV2httpResponse, lambda_runtime::Error> {
    let _ = (orders, accounts, event);
    Ok(status(200))
}

/// `TenantAccounts` in moto: partition key `tenant_pk`, sort key `sk`; made once per test binary.
async fn accounts_table() {
    use aws_sdk_dynamodb::types::{AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType};
    static READY: OnceCell<()> = OnceCell::const_new();
    READY
        .get_or_init(|| async {
            let client = aws_sdk_dynamodb::Client::new(&sdk_config(&shared().1.endpoint).await);
            let key =
                |name: &str, kind| KeySchemaElement::builder().attribute_name(name).key_type(kind).build().unwrap();
            let attribute = |name: &str| {
                AttributeDefinition::builder()
                    .attribute_name(name)
                    .attribute_type(ScalarAttributeType::S)
                    .build()
                    .unwrap()
            };
            client
                .create_table()
                .table_name("TenantAccounts")
                .billing_mode(BillingMode::PayPerRequest)
                .key_schema(key("tenant_pk", KeyType::Hash))
                .key_schema(key("sk", KeyType::Range))
                .attribute_definitions(attribute("tenant_pk"))
                .attribute_definitions(attribute("sk"))
                .send()
                .await
                .expect("creating TenantAccounts");
        })
        .await;
}

/// The attack: in a table whose partition key is `tenant_pk`, a write that carries another
/// tenant's `tenant_pk` and the caller's own value in a plain `pk` attribute. A guard that
/// checked `pk` (the function's default attribute) on every table would let it write into the
/// other tenant's partition. Seen to fail with `KeySchema::partition_key` returning the default
/// attribute for every table (acme's own write is refused, `MissingKey { pk }`).
#[tokio::test]
async fn each_table_is_checked_on_its_own_partition_key_attribute() {
    accounts_table().await;
    let iso = isolation_with(|b| b.table_partition_key("TenantAccounts", "tenant_pk")).await;
    let acme = iso.enter(accounts::SPEC, &TenantId::parse("acme").unwrap(), None).await.unwrap();
    let own = verdict(&acme, |c| {
        c.put_item().table_name("TenantAccounts").item("tenant_pk", s("TENANT#acme")).item("sk", s("A")).send()
    })
    .await;
    assert_eq!(own, None, "acme's own account is written");
    let read = verdict(&acme, |c| {
        c.get_item().table_name("TenantAccounts").key("tenant_pk", s("TENANT#acme")).key("sk", s("A")).send()
    })
    .await;
    assert_eq!(read, None);
    let foreign = Some(Violation::ForeignKey { attribute: "tenant_pk".into() });
    let planted = verdict(&acme, |c| {
        c.put_item()
            .table_name("TenantAccounts")
            .item("tenant_pk", s("TENANT#globex"))
            .item("sk", s("A"))
            .item("pk", s("TENANT#acme"))
            .send()
    })
    .await;
    assert_eq!(planted, foreign, "a write into globex's partition");
    let query = verdict(&acme, |c| {
        c.query()
            .table_name("TenantAccounts")
            .key_condition_expression("tenant_pk = :t")
            .expression_attribute_values(":t", s("TENANT#globex"))
            .send()
    })
    .await;
    assert_eq!(query, foreign, "a query of globex's partition");
    // A key in `pk` alone is no key of this table's.
    let by_pk = verdict(&acme, |c| {
        c.get_item().table_name("TenantAccounts").key("pk", s("TENANT#acme")).key("sk", s("A")).send()
    })
    .await;
    assert_eq!(by_pk, Some(Violation::MissingKey { attribute: "tenant_pk".into() }));
    // `Orders` keeps the default attribute.
    let orders =
        verdict(&acme, |c| c.get_item().table_name("Orders").key("pk", s("TENANT#acme")).key("sk", s("X")).send())
            .await;
    assert_eq!(orders, None);
    // Nothing of globex's was written.
    let client = aws_sdk_dynamodb::Client::new(&sdk_config(&shared().1.endpoint).await);
    let globex = client
        .get_item()
        .table_name("TenantAccounts")
        .key("tenant_pk", s("TENANT#globex"))
        .key("sk", s("A"))
        .send()
        .await
        .unwrap();
    assert!(globex.item().is_none(), "{:?}", globex.item());
}

/// A handler of another policy (one table, `GetItem` only), for the handles' scope check.
#[tenant_isolated(table = "Orders", actions = [GetItem])]
pub async fn read_orders(
    orders: TenantTable,
    _event: LambdaEvent<ApiGatewayV2httpRequest>,
) -> Result<ApiGatewayV2httpResponse, lambda_runtime::Error> {
    let _ = orders;
    Ok(status(200))
}

/// The typed handles' one scope check (`check_handler` in `runtime/src/table.rs`): a handle
/// works only in a scope of its own handler. Another handler's capability type is refused by
/// `Scope::table`, and a handle made in another handler's scope is refused when used in this
/// one. Seen to fail with the check always passing.
#[tokio::test]
async fn a_handle_of_another_handler_is_refused() {
    let acme = scope("acme").await;
    let reader = isolation().await.enter(read_orders::SPEC, &TenantId::parse("acme").unwrap(), None).await.unwrap();
    let mismatch = ScopeError::PolicyMismatch { expected: "read_orders", actual: "place_order" };
    assert_eq!(acme.table::<read_orders>().unwrap_err(), mismatch);
    let foreign = reader.table::<read_orders>().unwrap();
    let used = acme.clone().run(async move { (foreign.scope().map(drop), foreign.partition_key()) }).await;
    assert_eq!(used.0, Err(mismatch.clone()));
    assert_eq!(used.1, Err(mismatch));
    // In its own handler's scope, the same handle works.
    let own = reader.clone().run(async move { foreign.partition_key() }).await;
    assert_eq!(own, Ok("TENANT#acme".to_owned()));
}
