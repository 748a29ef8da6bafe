//! A warm batch of record handler work against the same records on one unprotected client.
//!
//! One SQS batch of 10 messages over 5 tenants, each message one `PutItem` in its tenant's
//! partition of `Orders` (moto on loopback):
//! * `isolated`: `fulfil::call_with`, the generated record handler: per record, its tenant read
//!   from the message attribute, the cached session of that tenant, the scope, the guard, the
//!   put signed with the tenant's credentials, and the partial batch response;
//! * `unprotected`: the same 10 puts on one DynamoDB client with the process's credentials, at
//!   the same concurrency (8 at once), and nothing else.
//!
//! Warm: one batch fills the cache (5 STS calls) before anything is measured, and no measured
//! batch calls STS (checked at the end). The two sides run in alternating rounds (order swapped
//! every round); the gate is the median of the per-round ratios: target ≤ 1.1.
//!
//! `cargo bench -p tenant-isolation-tests --bench records -- [--rounds 101]`

use aws_lambda_events::sqs::{SqsEvent, SqsMessage};
use aws_sdk_dynamodb::types::AttributeValue;
use futures_util::StreamExt;
use lambda_runtime::{Context, LambdaEvent};
use serde_json::json;
use std::process::ExitCode;
use std::time::{Duration, Instant};
use tenant_isolation::{Isolation, IsolationError, TenantTable, tenant_isolated};
use tenant_isolation_tests::{provision, sdk_config};

const TARGET: f64 = 1.1;
const RECORDS: usize = 10;
const TENANTS: usize = 5;
const CONCURRENCY: usize = 8;

/// One put in the message's tenant's partition.
#[tenant_isolated(table = "Orders", actions = [PutItem], records = sqs(tenant_attribute = "tenant_id"))]
async fn fulfil(orders: TenantTable, message: SqsMessage) -> Result<(), IsolationError> {
    orders
        .put_item()?
        .item("pk", AttributeValue::S(orders.partition_key()?))
        .item("sk", AttributeValue::S(message.body.unwrap_or_default()))
        .send()
        .await?;
    Ok(())
}

fn batch(round: usize) -> LambdaEvent<SqsEvent> {
    let records: Vec<_> = (0..RECORDS)
        .map(|i| {
            json!({ "messageId": format!("m-{i}"), "body": format!("BENCH#{round}#{i}"),
                    "messageAttributes": { "tenant_id": { "stringValue": format!("t{}", i % TENANTS), "dataType": "String" } } })
        })
        .collect();
    LambdaEvent::new(serde_json::from_value(json!({ "Records": records })).expect("an SQS event"), Context::default())
}

/// The floor: the same puts, one client, no isolation.
async fn unprotected(client: &aws_sdk_dynamodb::Client, table: &str, round: usize) {
    futures_util::stream::iter(0..RECORDS)
        .map(|i| {
            client
                .put_item()
                .table_name(table)
                .item("pk", AttributeValue::S(format!("TENANT#t{}", i % TENANTS)))
                .item("sk", AttributeValue::S(format!("BENCH#{round}#{i}")))
                .send()
        })
        .buffer_unordered(CONCURRENCY)
        .for_each(|r| async move {
            r.expect("unprotected put");
        })
        .await;
}

fn main() -> ExitCode {
    let mut rounds = 101;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == "--rounds" {
            rounds = args.next().and_then(|n| n.parse().ok()).unwrap_or(rounds);
        }
    }
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("tokio");
    let ok = rt.block_on(run(rounds));
    if ok { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}

async fn run(rounds: usize) -> bool {
    let moto = tenant_isolation_tests::start_moto();
    let fx = provision(&moto);
    let sdk = sdk_config(&moto.endpoint()).await;
    let iso: Isolation = Isolation::builder()
        .sdk_config(sdk.clone())
        .role_arn(fx.role_arn.clone())
        .record_concurrency(CONCURRENCY as u64)
        .build()
        .await
        .expect("isolation");
    let client = aws_sdk_dynamodb::Client::new(&sdk);
    let warm = fulfil::call_with(&iso, batch(0)).await.expect("warm-up batch");
    assert!(warm.batch_item_failures.is_empty(), "{warm:?}");
    assert_eq!(iso.stats().sts_calls, TENANTS as u64);

    let (mut ratios, mut isolated_all, mut floor_all) = (Vec::new(), Vec::new(), Vec::new());
    for round in 1..=rounds {
        let mut isolated = Duration::ZERO;
        let mut floor = Duration::ZERO;
        for side in if round % 2 == 0 { [0, 1] } else { [1, 0] } {
            let t = Instant::now();
            if side == 0 {
                let out = fulfil::call_with(&iso, batch(round)).await.expect("batch");
                assert!(out.batch_item_failures.is_empty(), "{out:?}");
                isolated = t.elapsed();
            } else {
                unprotected(&client, "Orders", round).await;
                floor = t.elapsed();
            }
        }
        ratios.push(isolated.as_secs_f64() / floor.as_secs_f64());
        isolated_all.push(isolated);
        floor_all.push(floor);
    }
    assert_eq!(iso.stats().sts_calls, TENANTS as u64, "no measured batch called STS");
    ratios.sort_by(f64::total_cmp);
    isolated_all.sort();
    floor_all.sort();
    let median = ratios[ratios.len() / 2];
    println!(
        "records: {RECORDS}-record SQS batch over {TENANTS} tenants, {rounds} paired rounds: isolated median {:.2} ms, \
         unprotected median {:.2} ms, median ratio {median:.3} (target ≤ {TARGET})",
        isolated_all[rounds / 2].as_secs_f64() * 1e3,
        floor_all[rounds / 2].as_secs_f64() * 1e3
    );
    median <= TARGET
}
