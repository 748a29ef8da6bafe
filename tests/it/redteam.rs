//! The red-team suite: one test per attack a caller holding one tenant's valid token could
//! try after reading this code, each against the real moto. Every test here was seen to fail
//! with its check removed (the note on each says which check). Compile-time classes are ui
//! cases (`ui-tests/tests/fail/`).

use crate::common::{isolation, items};
use aws_lambda_events::apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse};
use aws_sdk_dynamodb::types::AttributeValue;
use lambda_runtime::LambdaEvent;
use std::sync::Mutex;
use tenant_isolation::model::Action;
use tenant_isolation::{GuardViolation, Scope, ScopeError, TenantId, TenantTable, Violation, tenant_isolated};
use tenant_isolation_tests::shared;

fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.to_owned())
}

fn event(user: &str) -> LambdaEvent<ApiGatewayV2httpRequest> {
    let token = shared().1.user(user).id_token.clone();
    let mut request = ApiGatewayV2httpRequest::default();
    request.headers.insert("authorization", format!("Bearer {token}").parse().unwrap());
    LambdaEvent::new(request, lambda_runtime::Context::default())
}

/// What the guard (or the scope) said about a request built by `f` on `scope`'s client inside
/// `scope`: `Ok(())` when it was let through to moto, else the refusal as text.
async fn verdict<F, Fut, T, E>(scope: &Scope, f: F) -> Result<(), String>
where
    F: FnOnce(aws_sdk_dynamodb::Client, String) -> Fut,
    Fut: std::future::Future<Output = Result<T, aws_sdk_dynamodb::error::SdkError<E>>>,
    E: std::error::Error + Send + Sync + 'static,
{
    let fut = f(scope.client().clone(), scope.table_name().to_owned());
    match scope.clone().run(fut).await {
        Ok(_) => Ok(()),
        Err(e) => {
            if let Some(v) = GuardViolation::find(&e) {
                return Err(v.violation().to_string());
            }
            let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&e);
            while let Some(err) = source {
                if let Some(scope_error) = err.downcast_ref::<ScopeError>() {
                    return Err(format!("scope: {scope_error:?}"));
                }
                source = err.source();
            }
            Err(format!("other: {e}"))
        }
    }
}

/// What the guard (or the scope) said about a `GetItem` of acme's own key on `table`, sent on
/// `scope`'s client inside `scope`: `Ok(())` when it was let through to moto.
async fn send_get(scope: &Scope, table: String) -> Result<(), String> {
    verdict(scope, |c, _| c.get_item().table_name(table).key("pk", s("TENANT#acme")).key("sk", s("x")).send()).await
}

// ---- Class 2: a scope outliving its invocation ----------------------------------------

static KEPT: Mutex<Option<Scope>> = Mutex::new(None);

/// Keeps its scope in a static, and spawns a task that outlives the invocation.
#[tenant_isolated(table = "Orders", actions = [GetItem])]
pub async fn leaky(
    table: TenantTable,
    _event: LambdaEvent<ApiGatewayV2httpRequest>,
) -> Result<ApiGatewayV2httpResponse, lambda_runtime::Error> {
    let scope = table.scope()?;
    *KEPT.lock().unwrap() = Some(scope);
    Ok(ApiGatewayV2httpResponse::default())
}

/// A scope kept past its handler (in a static, in a spawned task) must not act for its
/// tenant in a later invocation. Fails with `Isolation::run` no longer ending the scope.
#[tokio::test]
async fn a_scope_kept_past_its_invocation_signs_nothing() {
    let iso = isolation().await;
    let response = leaky::call_with(&iso, event("alice")).await.unwrap();
    assert_eq!(response.status_code, 0, "the handler ran");
    let kept = KEPT.lock().unwrap().take().expect("the handler kept its scope");
    assert_eq!(kept.tenant().as_str(), "acme");
    assert!(!kept.is_live());
    // Re-entered later (as if from another tenant's invocation or a background task).
    let table = kept.table_name().to_owned();
    assert_eq!(send_get(&kept, table).await, Err(format!("scope: {:?}", ScopeError::Ended { handler: "leaky" })));
    let inside = kept.clone().run(async { tenant_isolation::current() }).await;
    assert_eq!(inside.unwrap_err(), ScopeError::Ended { handler: "leaky" });
    assert!(kept.clone().run(async { tenant_isolation::spawn(async {}) }).await.is_err());
}

/// The same scope, used while its invocation runs, is let through: the refusal above is the
/// invocation's end, not a broken client.
#[tokio::test]
async fn a_live_scope_still_signs() {
    let iso = isolation().await;
    let scope = iso.enter(items::SPEC, &TenantId::parse("acme").unwrap(), None).await.unwrap();
    let table = scope.table_name().to_owned();
    assert_eq!(send_get(&scope, table).await, Ok(()));
    scope.end();
    let table = scope.table_name().to_owned();
    assert!(send_get(&scope, table).await.unwrap_err().starts_with("scope: Ended"));
}

// ---- Class 4: tables named by ARN ------------------------------------------------------

/// A table named by ARN must be the configured table's exact ARN. With the old suffix check
/// (`…:table/Orders` in any account or region) the first two requests were let through.
#[tokio::test]
async fn a_table_arn_must_match_partition_region_account_and_name() {
    let (_, fx) = shared();
    let iso = isolation().await;
    let scope = iso.enter(items::SPEC, &TenantId::parse("acme").unwrap(), None).await.unwrap();
    let own = format!("arn:aws:dynamodb:{}:{}:table/{}", fx.region, fx.account, fx.table);
    for (foreign, what) in [
        (format!("arn:aws:dynamodb:{}:999999999999:table/{}", fx.region, fx.table), "another account"),
        (format!("arn:aws:dynamodb:eu-west-3:{}:table/{}", fx.account, fx.table), "another region"),
        (format!("arn:aws-cn:dynamodb:{}:{}:table/{}", fx.region, fx.account, fx.table), "another partition"),
        (format!("arn:aws:dynamodb:{}:{}:table/x{}", fx.region, fx.account, fx.table), "another name"),
    ] {
        assert_eq!(
            send_get(&scope, foreign.clone()).await,
            Err(Violation::Table(foreign.clone()).to_string()),
            "{what}"
        );
    }
    let verdict = send_get(&scope, own).await;
    assert!(verdict.is_ok() || verdict.as_ref().is_err_and(|e| e.starts_with("other:")), "{verdict:?}");
}

// ---- Class 3: key prefixes that overlap on one physical table ---------------------------

/// Keys under `TENANT#ORG#` on the same `Orders` table as `items` (`TENANT#`). Built without
/// the macro, so that it is not registered in this binary (the audit run by `tags.rs` would
/// rightly refuse the binary).
fn org_scoped() -> &'static tenant_isolation::HandlerSpec {
    static SPEC: std::sync::LazyLock<&'static tenant_isolation::HandlerSpec> =
        std::sync::LazyLock::new(|| prefixed("org_scoped", "Orders", "TENANT#ORG#", &[Action::GetItem]));
    *SPEC
}

/// A handler named `name` with `actions` on the physical table `table`, keys under `prefix`;
/// built without the macro, so not registered in this binary (see [`org_scoped`]).
fn prefixed(
    name: &str,
    table: &str,
    prefix: &'static str,
    actions: &'static [Action],
) -> &'static tenant_isolation::HandlerSpec {
    use std::borrow::Cow;
    use tenant_isolation::HandlerSpec;
    use tenant_isolation::model::{Confinement, HandlerModel, KeyRule, PhysicalName, TableModel};
    let table = TableModel {
        table: PhysicalName::Fixed(table.to_owned().into()),
        indexes: Cow::Borrowed(&[]),
        actions: Cow::Borrowed(actions),
        keys: KeyRule::new(prefix),
    };
    HandlerSpec::new(name, HandlerModel::one_table(table, Confinement::SessionPolicy)).unwrap().leak()
}

/// Two runtimes in one process (a router's `TenantLayer::new(iso)` beside
/// `Isolation::global()`, or two `IsolationBuilder::build()`s) are one process's access to one
/// physical table: the overlap refusal must span them. Without it, acme writes its item through
/// the `TENANT#ORG#` handler of one runtime, and tenant `ORG` reads `TENANT#ORG#acme` through
/// the `TENANT#` handler of the other (the key guard lets it through: under `TENANT#` the key is
/// ORG's). Fails with the overlap check per `Isolation` (`client.rs` before the process-wide
/// claims of `registry.rs`): the second runtime enters and the read returns acme's item.
#[tokio::test]
async fn overlapping_key_prefixes_are_refused_across_runtimes_in_one_process() {
    let (acme, org) = (TenantId::parse("acme").unwrap(), TenantId::parse("ORG").unwrap());
    let router = isolation().await;
    let org_scope = router.enter(items::SPEC, &org, None).await.unwrap();
    let global = isolation().await;
    let writer = prefixed("org_writer", "Orders", "TENANT#ORG#", &[Action::GetItem, Action::PutItem]);
    let acme_scope = match global.enter(writer, &acme, None).await {
        Err(refused) => {
            assert_eq!(refused.status(), 500);
            let text = refused.to_string();
            assert!(
                text.contains("`TENANT#ORG#`") && text.contains("`TENANT#`") && text.contains("`Orders`"),
                "{text}"
            );
            assert_eq!(global.stats().sts_calls, 0, "refused before any STS call");
            // The first runtime's handler is still served.
            let own = |c: aws_sdk_dynamodb::Client, t| {
                c.get_item().table_name(t).key("pk", s("TENANT#ORG")).key("sk", s("x")).send()
            };
            assert_eq!(verdict(&org_scope, own).await, Ok(()));
            return;
        }
        Ok(scope) => scope,
    };
    // The attack, as it went without the process-wide check.
    let sk = crate::common::unique("secret");
    let (table, key) = (acme_scope.table_name().to_owned(), sk.clone());
    let put = acme_scope.client().put_item().table_name(table).item("pk", s("TENANT#ORG#acme")).item("sk", s(&key));
    acme_scope.clone().run(put.send()).await.expect("acme writes its own item");
    let table = org_scope.table_name().to_owned();
    let get = org_scope.client().get_item().table_name(table).key("pk", s("TENANT#ORG#acme")).key("sk", s(&sk));
    let read = org_scope.clone().run(get.send()).await;
    panic!("two runtimes served `TENANT#` and `TENANT#ORG#` on one table; tenant ORG read acme's item: {read:?}");
}

/// Tenant `ORG` of `TENANT#` owns `TENANT#ORG#…`, every key of the other prefix: the second
/// handler on the table is refused, whichever comes first, before any STS call; and
/// `prepare` / `check_prefixes` (what the audit runs over every function's handlers) refuse
/// the pair outright. Fails without the overlap check in `client.rs` (both scopes are entered).
#[tokio::test]
async fn overlapping_key_prefixes_on_one_table_are_refused() {
    let org = TenantId::parse("ORG").unwrap();
    let iso = isolation().await;
    let first = iso.enter(items::SPEC, &org, None).await.unwrap();
    assert!(first.tenant().as_str() == "ORG" && first.partition_key() == "TENANT#ORG");
    let refused = iso.enter(org_scoped(), &TenantId::parse("acme").unwrap(), None).await.unwrap_err();
    assert_eq!(refused.status(), 500);
    assert!(refused.to_string().contains("`TENANT#ORG#`") && refused.to_string().contains("`TENANT#`"), "{refused}");

    // The other order, on a table of this test's own: on `Orders`, the process-wide claims
    // would meet `items`, served above and by tests running beside this one.
    let (wide, narrow) = (
        prefixed("wide", "OverlapInEitherOrder", "TENANT#", &[Action::GetItem]),
        prefixed("narrow", "OverlapInEitherOrder", "TENANT#ORG#", &[Action::GetItem]),
    );
    let iso = isolation().await;
    iso.enter(narrow, &TenantId::parse("acme").unwrap(), None).await.unwrap();
    let calls = iso.stats().sts_calls;
    assert!(iso.enter(wide, &org, None).await.is_err(), "the other order is refused too");
    assert_eq!(iso.stats().sts_calls, calls, "refused before any STS call");

    // Across functions: each function's process sees only its own handler, so the pair is
    // refused where all of them are seen together.
    let pair = tenant_isolation::audit::check_prefixes(&[items::SPEC, org_scoped()]).unwrap_err();
    assert_eq!((&*pair.first_prefix, &*pair.second_prefix), ("TENANT#", "TENANT#ORG#"));
    assert!(iso.prepare(org_scoped()).is_err(), "prepare sees the handlers linked into the binary");
}

// ---- Class 1: index partition keys set by writes ----------------------------------------

/// Writes `Orders` and reads its `ByCustomer` index (`gsi1pk`).
#[tenant_isolated(
    table = "Orders",
    actions = [PutItem, UpdateItem, BatchWriteItem, Query, PartiQLInsert, PartiQLUpdate],
    indexes = ["ByCustomer"]
)]
pub async fn customers(
    table: TenantTable,
    _event: LambdaEvent<ApiGatewayV2httpRequest>,
) -> Result<ApiGatewayV2httpResponse, lambda_runtime::Error> {
    let _ = table;
    Ok(ApiGatewayV2httpResponse::default())
}

/// Acme writes an item into its own partition with `gsi1pk = TENANT#globex`: IAM cannot see
/// `gsi1pk` on a write, and globex's `ByCustomer` query would return acme's item. Every write
/// path is refused before sending; globex's index stays clean. Fails without
/// `index_keys_in_item` / `index_keys_in_update` in the guard.
#[tokio::test]
async fn writes_cannot_plant_another_tenants_index_key() {
    let (_, fx) = shared();
    let iso =
        crate::common::isolation_with(|b| b.index_partition_key(fx.customer_index.clone(), fx.customer_key.clone()))
            .await;
    let acme = iso.enter(customers::SPEC, &TenantId::parse("acme").unwrap(), None).await.unwrap();
    let sk = crate::common::unique("planted");
    let gsi = fx.customer_key.clone();
    let foreign = Err(Violation::ForeignKey { attribute: gsi.clone() }.to_string());
    let item = |g: &str| {
        std::collections::HashMap::from([
            ("pk".to_owned(), s("TENANT#acme")),
            ("sk".to_owned(), s(&sk)),
            (gsi.clone(), s(g)),
        ])
    };
    let planted = item("TENANT#globex");
    assert_eq!(verdict(&acme, |c, t| c.put_item().table_name(t).set_item(Some(planted.clone())).send()).await, foreign);
    let (k, g) = (sk.clone(), gsi.clone());
    assert_eq!(
        verdict(&acme, |c, t| c
            .update_item()
            .table_name(t)
            .key("pk", s("TENANT#acme"))
            .key("sk", s(&k))
            .update_expression("SET #g = :g")
            .expression_attribute_names("#g", &g)
            .expression_attribute_values(":g", s("TENANT#globex"))
            .send())
        .await,
        foreign
    );
    let (k, g) = (sk.clone(), gsi.clone());
    assert_eq!(
        verdict(&acme, |c, t| c
            .update_item()
            .table_name(t)
            .key("pk", s("TENANT#acme"))
            .key("sk", s(&k))
            .update_expression("SET #g = if_not_exists(#g, :g)")
            .expression_attribute_names("#g", &g)
            .expression_attribute_values(":g", s("TENANT#globex"))
            .send())
        .await,
        foreign,
        "a computed value cannot be checked"
    );
    let (k, g) = (sk.clone(), gsi.clone());
    assert_eq!(
        verdict(&acme, |c, t| c
            .update_item()
            .table_name(t)
            .key("pk", s("TENANT#acme"))
            .key("sk", s(&k))
            .attribute_updates(
                &g,
                aws_sdk_dynamodb::types::AttributeValueUpdate::builder().value(s("TENANT#globex")).build()
            )
            .send())
        .await,
        foreign,
        "legacy AttributeUpdates"
    );
    let put = aws_sdk_dynamodb::types::PutRequest::builder().set_item(Some(planted.clone())).build().unwrap();
    assert_eq!(
        verdict(&acme, |c, t| c
            .batch_write_item()
            .request_items(t, vec![aws_sdk_dynamodb::types::WriteRequest::builder().put_request(put).build()])
            .send())
        .await,
        foreign
    );
    let stmt = format!(r#"INSERT INTO "{}" VALUE {{'pk': ?, 'sk': ?, '{gsi}': ?}}"#, fx.table);
    let (st, k) = (stmt.clone(), sk.clone());
    assert_eq!(
        verdict(&acme, |c, _| c
            .execute_statement()
            .statement(st)
            .parameters(s("TENANT#acme"))
            .parameters(s(&k))
            .parameters(s("TENANT#globex"))
            .send())
        .await,
        foreign,
        "PartiQL INSERT"
    );
    let stmt = format!(r#"UPDATE "{}" SET {gsi} = ? WHERE pk = ? AND sk = ?"#, fx.table);
    let k = sk.clone();
    assert_eq!(
        verdict(&acme, |c, _| c
            .execute_statement()
            .statement(stmt)
            .parameters(s("TENANT#globex"))
            .parameters(s("TENANT#acme"))
            .parameters(s(&k))
            .send())
        .await,
        foreign,
        "PartiQL UPDATE"
    );
    // A block comment that hides a quote from a naive reader (red-team review): refused.
    let stmt = format!(r#"UPDATE "{}" /* ' */ SET {gsi} = ? /* ' */ WHERE pk = 'TENANT#acme' AND sk = ?"#, fx.table);
    let k = sk.clone();
    let commented = verdict(&acme, |c, _| {
        c.execute_statement().statement(stmt).parameters(s("TENANT#globex")).parameters(s(&k)).send()
    })
    .await;
    assert!(commented.as_ref().is_err_and(|e| e.contains("cannot be checked")), "{commented:?}");
    // Own values pass, and globex's index never shows acme's item.
    let own = item("TENANT#acme#CUSTOMER#1");
    assert_eq!(verdict(&acme, |c, t| c.put_item().table_name(t).set_item(Some(own)).send()).await, Ok(()));
    let globex = iso.enter(customers::SPEC, &TenantId::parse("globex").unwrap(), None).await.unwrap();
    let (client, table) = (globex.client().clone(), globex.table_name().to_owned());
    let (index, g) = (fx.customer_index.clone(), gsi.clone());
    let seen = globex
        .clone()
        .run(async move {
            client
                .query()
                .table_name(table)
                .index_name(index)
                .key_condition_expression("#g = :g")
                .expression_attribute_names("#g", g)
                .expression_attribute_values(":g", s("TENANT#globex"))
                .send()
                .await
        })
        .await
        .unwrap();
    assert!(
        seen.items().iter().all(|i| i.get("pk") != Some(&s("TENANT#acme"))),
        "globex's index returned acme's item: {seen:?}"
    );
}

// ---- Class 5: PartiQL -------------------------------------------------------------------

/// Reads `Orders` with PartiQL.
#[tenant_isolated(table = "Orders", actions = [PartiQLSelect, PartiQLDelete])]
pub async fn partiql(
    table: TenantTable,
    _event: LambdaEvent<ApiGatewayV2httpRequest>,
) -> Result<ApiGatewayV2httpResponse, lambda_runtime::Error> {
    let _ = table;
    Ok(ApiGatewayV2httpResponse::default())
}

/// A statement must name the handler's table and pin the partition key to one of the tenant's
/// keys. Before, only the verb was checked: the first three were let through.
#[tokio::test]
async fn partiql_statements_name_the_table_and_pin_the_tenants_key() {
    let iso = isolation().await;
    let acme = iso.enter(partiql::SPEC, &TenantId::parse("acme").unwrap(), None).await.unwrap();
    let run = |stmt: &str, params: Vec<&str>| {
        let stmt = stmt.to_owned();
        let params: Vec<AttributeValue> = params.into_iter().map(s).collect();
        let acme = acme.clone();
        async move { verdict(&acme, |c, _| c.execute_statement().statement(stmt).set_parameters(Some(params)).send()).await }
    };
    let foreign = Err(Violation::ForeignKey { attribute: "pk".into() }.to_string());
    assert_eq!(run(r#"SELECT * FROM "Orders" WHERE pk = ?"#, vec!["TENANT#globex"]).await, foreign);
    assert_eq!(run(r#"SELECT * FROM "Orders" WHERE pk = 'TENANT#globex'"#, vec![]).await, foreign);
    assert_eq!(
        run(r#"SELECT * FROM "Invoices" WHERE pk = ?"#, vec!["TENANT#acme"]).await,
        Err(Violation::Table("Invoices".into()).to_string())
    );
    assert_eq!(
        run(r#"SELECT * FROM "Orders""#, vec![]).await,
        Err(Violation::MissingKey { attribute: "pk".into() }.to_string()),
        "a full scan"
    );
    assert!(
        run(r#"SELECT * FROM "Orders" WHERE pk = ? OR pk = ?"#, vec!["TENANT#acme", "TENANT#globex"])
            .await
            .unwrap_err()
            .contains("cannot be checked")
    );
    assert_eq!(run(r#"DELETE FROM "Orders" WHERE pk = ? AND sk = ?"#, vec!["TENANT#globex", "x"]).await, foreign);
    // A nested path is not the partition key (it would be a full scan), a comment is unreadable.
    for stmt in [
        r#"SELECT * FROM "Orders" WHERE x.pk = ?"#,
        r#"SELECT * FROM "Orders" WHERE /* sk = ? AND pk = ? ' */ pk = ? AND sk = ? /* ' */"#,
        r#"SELECT * FROM "Orders" WHERE PK = ?"#,
    ] {
        let verdict = run(stmt, vec!["TENANT#acme", "TENANT#acme"]).await;
        assert!(verdict.as_ref().is_err_and(|e| e.contains("cannot be checked")), "{stmt}: {verdict:?}");
    }
    assert_eq!(run(r#"SELECT * FROM "Orders" WHERE pk = ?"#, vec!["TENANT#acme"]).await, Ok(()));
}

// ---- Class 6: checks that later code can undo -------------------------------------------

/// An interceptor of the caller's, added with `customize()`, that rewrites the key after the
/// guard's first look (before serialization), or the body after serialization.
#[derive(Debug)]
struct Rewriter {
    body: bool,
}

impl aws_smithy_runtime_api::client::interceptors::Intercept for Rewriter {
    fn name(&self) -> &'static str {
        "Rewriter"
    }

    fn modify_before_serialization(
        &self,
        context: &mut aws_smithy_runtime_api::client::interceptors::context::BeforeSerializationInterceptorContextMut<
            '_,
        >,
        _: &aws_smithy_runtime_api::client::runtime_components::RuntimeComponents,
        _: &mut aws_smithy_types::config_bag::ConfigBag,
    ) -> Result<(), aws_smithy_runtime_api::box_error::BoxError> {
        if !self.body
            && let Some(input) =
                context.input_mut().downcast_mut::<aws_sdk_dynamodb::operation::get_item::GetItemInput>()
        {
            let mut swapped = input.clone();
            swapped.key = Some(std::collections::HashMap::from([
                ("pk".to_owned(), s("TENANT#globex")),
                ("sk".to_owned(), s("x")),
            ]));
            *input = swapped;
        }
        Ok(())
    }

    fn modify_before_signing(
        &self,
        context: &mut aws_smithy_runtime_api::client::interceptors::context::BeforeTransmitInterceptorContextMut<'_>,
        _: &aws_smithy_runtime_api::client::runtime_components::RuntimeComponents,
        _: &mut aws_smithy_types::config_bag::ConfigBag,
    ) -> Result<(), aws_smithy_runtime_api::box_error::BoxError> {
        if self.body {
            let body = context.request().body().bytes().unwrap_or_default().to_vec();
            let swapped = String::from_utf8(body)?.replace("TENANT#acme", "TENANT#globex");
            *context.request_mut().body_mut() = aws_smithy_types::body::SdkBody::from(swapped);
        }
        Ok(())
    }
}

/// Neither a rewrite of the input before serialization nor of the body before signing gets a
/// request signed. Before, the check ran in `read_before_execution` only: both were signed.
#[tokio::test]
async fn a_request_changed_after_the_check_is_not_signed() {
    let iso = isolation().await;
    let acme = iso.enter(items::SPEC, &TenantId::parse("acme").unwrap(), None).await.unwrap();
    let get = |c: aws_sdk_dynamodb::Client, t: String, body: bool| {
        c.get_item()
            .table_name(t)
            .key("pk", s("TENANT#acme"))
            .key("sk", s("x"))
            .customize()
            .interceptor(Rewriter { body })
            .send()
    };
    assert_eq!(
        verdict(&acme, |c, t| get(c, t, false)).await,
        Err(Violation::ForeignKey { attribute: "pk".into() }.to_string())
    );
    assert_eq!(verdict(&acme, |c, t| get(c, t, true)).await, Err(Violation::Altered.to_string()));
    let mutated = verdict(&acme, |c, t| {
        c.get_item()
            .table_name(t)
            .key("pk", s("TENANT#acme"))
            .key("sk", s("x"))
            .customize()
            .mutate_request(|r| {
                let body = r.body().bytes().unwrap_or_default().to_vec();
                let swapped = String::from_utf8(body).unwrap().replace("TENANT#acme", "TENANT#globex");
                *r.body_mut() = aws_smithy_types::body::SdkBody::from(swapped);
            })
            .send()
    })
    .await;
    assert_eq!(mutated, Err(Violation::Altered.to_string()), "mutate_request");
}

// ---- Class 13: tenant claims users can rewrite ------------------------------------------

/// The fixture's tenant attribute is immutable and outside its app client's write attributes,
/// as Cognito describes them. (moto enforces neither: this proves the configuration, not the
/// enforcement; see SECURITY.md.) Fails with the old fixture (`Mutable: true`, no write list).
#[test]
fn the_tenant_attribute_cannot_be_written_by_users() {
    let (_, fx) = shared();
    assert!(!fx.tenant_attribute.mutable, "custom:tenant_id must be immutable");
    let writable = fx.tenant_attribute.client_write_attributes.as_ref().expect("explicit write attributes");
    assert!(!writable.iter().any(|a| a == "custom:tenant_id"), "{writable:?}");
}

// ---- Class 9: role separation -----------------------------------------------------------

/// The session-tag role must not be the session-policy role under another spelling: IAM role
/// names are unique per account regardless of case and path. Before, only the exact ARN
/// string was compared, and these three built.
#[tokio::test]
async fn the_tag_role_is_never_the_policy_role_under_another_spelling() {
    let (_, fx) = shared();
    let name = fx.role_arn.rsplit('/').next().unwrap();
    for same in [
        fx.role_arn.clone(),
        fx.role_arn.replace(name, &name.to_ascii_lowercase()),
        fx.role_arn.replace(&format!("role/{name}"), &format!("role/tenants/{name}")),
    ] {
        let built = tenant_isolation::Isolation::builder()
            .sdk_config(tenant_isolation_tests::sdk_config(&fx.endpoint).await)
            .role_arn(fx.role_arn.clone())
            .session_tag_role_arn(same.clone())
            .verifier(crate::common::cognito_verifier(fx))
            .build()
            .await;
        match built {
            Err(e) => assert!(e.to_string().contains("TENANT_TAG_ROLE_ARN"), "{same}: {e}"),
            Ok(_) => panic!("{same} was accepted as the session-tag role"),
        }
    }
}

// ---- Class 8 (inside the handler): a refusal that the handler returns as an error ---------

/// Sends another tenant's key and returns the SDK's error with `?`, as ordinary code does.
#[tenant_isolated(table = "Orders", actions = [GetItem])]
pub async fn careless(
    table: TenantTable,
    _request: lambda_http::Request,
) -> Result<lambda_http::Response<lambda_http::Body>, lambda_http::Error> {
    table.get_item()?.key("pk", s("TENANT#globex")).key("sk", s("x")).send().await?;
    Ok(lambda_http::Response::new(lambda_http::Body::Empty))
}

/// The guard's refusal answers 403, not a Lambda error (which API Gateway turns into 502,
/// red-team review). Fails without the refusal recorded in the scope.
#[tokio::test]
async fn a_refusal_returned_by_the_handler_still_answers_403() {
    let iso = isolation().await;
    let request = crate::common::request_of("alice");
    let response = careless::call_with(&iso, request).await.expect("an HTTP response, not a Lambda error");
    assert_eq!(response.status(), 403);
}

/// Probes a key the caller named (another tenant's), treats the refusal as "not found" as a data
/// layer may, and then fails for a reason of its own.
#[tenant_isolated(table = "Orders", actions = [GetItem])]
pub async fn probes_then_fails(
    table: TenantTable,
    request: lambda_http::Request,
) -> Result<lambda_http::Response<lambda_http::Body>, lambda_http::Error> {
    let probed = table.get_item()?.key("pk", s("TENANT#globex")).key("sk", s("x")).send().await;
    let refused = probed.as_ref().err().and_then(|e| GuardViolation::find(e)).is_some();
    drop(probed);
    // The same failure whether or not the probe was refused: the caller cannot tell them apart.
    let wrapped = request.headers().contains_key("x-wrap-refusal");
    if wrapped {
        // Keeps a clone of the refusal in its error, however wrapped: that is a refusal it returns.
        let again = table.get_item()?.key("pk", s("TENANT#globex")).key("sk", s("y")).send().await;
        let violation = again.as_ref().err().and_then(|e| GuardViolation::find(e)).cloned();
        return Err(Box::new(Wrapped(violation.expect("refused"))));
    }
    Err(format!("the billing service is down (probe refused: {refused})").into())
}

/// A handler's own error type around a refusal.
#[derive(Debug)]
struct Wrapped(GuardViolation);

impl std::fmt::Display for Wrapped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "wrapped: {}", self.0)
    }
}

impl std::error::Error for Wrapped {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}

/// A refusal the handler dealt with and dropped does not turn its later, unrelated failure into
/// a 403: a 5xx the caller may retry (and alarms see) stays the handler's own error (red-team
/// review, 2026-11-30). A refusal the handler keeps in its error, wrapped in a type of its own,
/// still answers 403. Seen to fail with `take_held_refusal` returning the last refusal held or
/// not (the first call answers 403).
#[tokio::test]
async fn a_refusal_the_handler_dropped_does_not_answer_for_a_later_failure() {
    let iso = isolation().await;
    let out = probes_then_fails::call_with(&iso, crate::common::request_of("alice")).await;
    let error = out.expect_err("the handler's own error, not a 403 response");
    assert!(error.to_string().contains("probe refused: true"), "{error}");
    let mut request = crate::common::request_of("alice");
    request.headers_mut().insert("x-wrap-refusal", "1".parse().unwrap());
    let response = probes_then_fails::call_with(&iso, request).await.expect("a 403 response");
    assert_eq!(response.status(), 403);
}

// ---- A spec whose model claims more than its template grants ------------------------------

/// A spec written by hand (or edited in an expansion) whose model declares `PutItem` behind
/// `read_only`'s `GetItem` template: the guard would let puts through that the policy does not
/// grant, or the reverse. The runtime compiles the model again before the spec's first use and
/// refuses it, before any STS call. Fails without `spec.verify()` in `client.rs`.
#[tokio::test]
async fn a_spec_whose_template_is_not_its_model_is_refused() {
    use std::borrow::Cow;
    use tenant_isolation::HandlerSpec;
    use tenant_isolation::model::{Action, Confinement, HandlerModel, KeyRule, PhysicalName, TableModel};
    let table = TableModel {
        table: PhysicalName::Fixed("Orders".into()),
        indexes: Cow::Borrowed(&[]),
        actions: Cow::Borrowed(&[Action::GetItem, Action::PutItem]),
        keys: KeyRule::new("TENANT#"),
    };
    let model = HandlerModel::one_table(table, Confinement::SessionPolicy);
    let forged: &'static HandlerSpec = Box::leak(Box::new(tenant_isolation::__private::handler_spec(
        "forged",
        "",
        model,
        crate::common::read_only::POLICY_TEMPLATE,
    )));
    let iso = isolation().await;
    let refused = iso.enter(forged, &TenantId::parse("acme").unwrap(), None).await.unwrap_err();
    assert_eq!(refused.status(), 500);
    assert!(refused.to_string().contains("not what its model compiles to"), "{refused}");
    assert_eq!(iso.stats().sts_calls, 0);
}

// ---- A capability type whose spec copies a handler's template (review of issue 26) --------

mod forged_spec {
    use aws_lambda_events::apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse};
    use aws_sdk_dynamodb::types::AttributeValue;
    use lambda_runtime::LambdaEvent;
    use std::borrow::Cow;
    use tenant_isolation::__private::grant::Declared;
    use tenant_isolation::__private::{Isolated, Policy, handler_spec};
    use tenant_isolation::model::{Action, Confinement, HandlerModel, KeyRule, PhysicalName, TableModel};
    use tenant_isolation::{HandlerSpec, ScopeError, TenantTable, tenant_isolated};

    /// A handler that declares `GetItem` only.
    #[tenant_isolated(table = "Orders", actions = [GetItem])]
    async fn get_only(
        _orders: TenantTable,
        event: LambdaEvent<ApiGatewayV2httpRequest>,
    ) -> Result<ApiGatewayV2httpResponse, lambda_runtime::Error> {
        let _ = event;
        let scope = tenant_isolation::current()?;
        // `put_item()` compiles for the forged type (its own spec claims `PutItem`); the scope
        // check must refuse the handle.
        let orders: TenantTable<Forged> = scope.table::<Forged>()?;
        let pk = AttributeValue::S(orders.partition_key()?);
        orders.put_item()?.item("pk", pk).item("sk", AttributeValue::S("ORDER#forged".into())).send().await?;
        let mut response = ApiGatewayV2httpResponse::default();
        response.status_code = 200;
        Ok(response)
    }

    /// get_only's template, copied (what the macro compiled from `actions = [GetItem]`).
    const TEMPLATE: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["dynamodb:GetItem"],"Resource":["arn:{{partition}}:dynamodb:{{region}}:{{account}}:table/Orders"],"Condition":{"ForAllValues:StringLike":{"dynamodb:LeadingKeys":["TENANT#{{tenant}}","TENANT#{{tenant}}#*"]},"ForAnyValue:StringLike":{"dynamodb:LeadingKeys":["*"]},"Null":{"dynamodb:LeadingKeys":"false"}}}]}"#;

    /// A spec written by hand: get_only's template and bindings (so `same_policy` holds), but a
    /// model that claims `PutItem` too. Nothing compares a spec's model with its template unless
    /// the spec is entered (`HandlerSpec::verify`), and this one never is.
    const FORGED_TABLES: &[TableModel] = &[TableModel {
        table: PhysicalName::Fixed(Cow::Borrowed("Orders")),
        indexes: Cow::Borrowed(&[]),
        actions: Cow::Borrowed(&[Action::GetItem, Action::PutItem]),
        keys: KeyRule::new("TENANT#"),
    }];

    const FORGED_SPEC: &HandlerSpec = &handler_spec(
        "get_only",
        "",
        HandlerModel {
            tables: Cow::Borrowed(FORGED_TABLES),
            buckets: Cow::Borrowed(&[]),
            named: Cow::Borrowed(&[]),
            confinement: Confinement::SessionPolicy,
        },
        TEMPLATE,
    );

    struct Forged;
    impl Isolated for Forged {
        const SPEC: &'static HandlerSpec = FORGED_SPEC;
    }
    impl Policy for Forged {
        const TABLE: usize = 0;
        type BatchGetItem = Declared;
        type BatchWriteItem = Declared;
        type ConditionCheckItem = Declared;
        type DeleteItem = Declared;
        type GetItem = Declared;
        type PartiQLDelete = Declared;
        type PartiQLInsert = Declared;
        type PartiQLSelect = Declared;
        type PartiQLUpdate = Declared;
        type PutItem = Declared;
        type Query = Declared;
        type UpdateItem = Declared;
    }

    /// A capability type whose hand-written spec copies a `GetItem`-only handler's template (so
    /// the two share a policy) but claims `PutItem` in its model: the compile-time check reads that
    /// model, so `put_item()` builds. The scope check compares the models too and refuses the
    /// handle before anything is sent (red-team review of issue 26: it answered 403 from the guard,
    /// the only line left). Fails with `check_handler` comparing policies alone.
    #[tokio::test]
    async fn a_forged_spec_sharing_a_handlers_template_gets_no_handle() {
        assert!(FORGED_SPEC.same_policy(get_only::SPEC), "the forged spec shares the handler's policy");
        assert!(FORGED_SPEC.verify().is_err(), "its model does not compile to its template");
        let iso = crate::common::isolation_with(|b| b.verifier(crate::common::development_verifier())).await;
        let acme = crate::common::development_token(serde_json::json!({ "sub": "alice", "tenant_id": "acme" }));
        let mut request = ApiGatewayV2httpRequest::default();
        request.headers.insert("authorization", format!("Bearer {acme}").parse().unwrap());
        let err = get_only::call_with(&iso, LambdaEvent::new(request, lambda_runtime::Context::default()))
            .await
            .expect_err("the handle is refused");
        assert!(matches!(err.downcast_ref::<ScopeError>(), Some(ScopeError::PolicyMismatch { .. })), "{err}");
    }
}
