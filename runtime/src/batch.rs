//! The batch driver of record handlers ([`crate::records`]): a batch's records through the one
//! invocation pipeline, each in its own scope, groups in order, bounded concurrency, failures
//! answered as the source expects; and what `#[tenant_isolated(records = ...)]` expands to.

use crate::error::IsolationError;
use crate::isolation::Isolation;
use crate::metrics::Ended;
use crate::pipeline::{Answer, Invocation, check_lambda_tenant_of_batch};
use crate::sources::{BatchFailure, Deployment, RecordError, RecordOutput, RecordSource};
use crate::spec::HandlerSpec;
use crate::table::Isolated;
use futures_util::{FutureExt, StreamExt};
use lambda_runtime::LambdaEvent;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use tenant_isolation_core::TenantId;
use tracing::Instrument;

/// Why a batch's invocation failed as a whole.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BatchError {
    /// The batch was refused before any record ran (Lambda's tenant id is not every record's
    /// tenant, or is missing under `required`; or the runtime is not configured). No STS call.
    #[error("the batch was refused: {0}")]
    Refused(#[from] IsolationError),
    /// Records failed and the source takes no partial response, or a failed record cannot be
    /// named ([`BatchFailure`]).
    #[error(transparent)]
    Records(#[from] BatchFailure),
}

/// One record on its way: its place in the batch, its id, its tenant (or why it has none).
struct Pending<R> {
    index: usize,
    id: Option<String>,
    tenant: Result<TenantId, RecordError>,
    record: R,
}

impl Isolation {
    /// Runs a batch of `source`'s records through the pipeline, each record in the scope of
    /// the tenant `source` reads from it, under `P`'s policy; answers as the source expects
    /// (see [`crate::records`]). What `#[tenant_isolated(records = ...)]` expands to.
    ///
    /// `handler` returns `Err` for a record that failed; a guard refusal it returns is that
    /// record's failure, logged as a refusal. Records of one order key run in order, a failure
    /// stopping the rest of them; others run side by side, at most
    /// [`IsolationBuilder::record_concurrency`](crate::IsolationBuilder::record_concurrency) at
    /// once.
    pub async fn run_records<P, S, F, Fut>(
        &self,
        source: &S,
        event: LambdaEvent<S::Batch>,
        handler: F,
    ) -> Result<S::Response, BatchError>
    where
        P: Isolated,
        S: RecordSource,
        F: Fn(S::Record) -> Fut,
        Fut: Future,
        Fut::Output: RecordOutput,
    {
        run_batch(self, P::SPEC, source, event, &handler).await
    }
}

async fn run_batch<S, F, Fut>(
    isolation: &Isolation,
    spec: &'static HandlerSpec,
    source: &S,
    event: LambdaEvent<S::Batch>,
    handler: &F,
) -> Result<S::Response, BatchError>
where
    S: RecordSource,
    F: Fn(S::Record) -> Fut,
    Fut: Future,
    Fut::Output: RecordOutput,
{
    let LambdaEvent { payload, context } = event;
    let span = tracing::info_span!(
        "tenant_isolated_batch",
        handler = spec.name(),
        request_id = context.request_id.as_str(),
        records = tracing::field::Empty,
        failed = tracing::field::Empty,
    );
    async {
        // The partition-key attributes the guard confines writes by: a stream record's tenant is
        // read from the same one.
        let keys = isolation.key_schema();
        let partition_key = |table: &str| keys.partition_key(table);
        let tables = spec.table_names_in(isolation.physical_names());
        let deployment = Deployment::new(&partition_key, &tables);
        let pending: Vec<Pending<S::Record>> = S::records(payload)
            .into_iter()
            .enumerate()
            .map(|(index, record)| Pending {
                index,
                id: S::id(&record),
                tenant: source.tenant(&record, &deployment),
                record,
            })
            .collect();
        span.record("records", pending.len());
        // Before any record runs (so before any STS call): an invocation that Lambda's tenant
        // isolation mode gave a tenant id is that tenant's, every record of it.
        let tenants: Vec<Option<&TenantId>> = pending.iter().map(|p| p.tenant.as_ref().ok()).collect();
        let mode = isolation.lambda_tenant_mode();
        if let Err(e) = check_lambda_tenant_of_batch(context.tenant_id.as_deref(), mode, &tenants) {
            let e = IsolationError::Identity(e);
            tracing::warn!(status = e.status(), error = %e, "batch refused");
            // Counted as a refusal of the handler's, as a refused request is (an alarm on
            // `RefusedIdentity` sees forged or mis-routed batches too).
            isolation.metrics().record(spec.name(), Ended::Refused(&e), || isolation.stats());
            return Err(e.into());
        }
        let ids: Vec<Option<String>> = pending.iter().map(|p| p.id.clone()).collect();
        let mut failed = vec![false; pending.len()];
        let request_id = context.request_id.as_str();
        let mut runs = futures_util::stream::iter(groups::<S>(pending))
            .map(|group| run_group(isolation, spec, request_id, group, handler))
            .buffer_unordered(isolation.record_concurrency());
        while let Some(ended) = runs.next().await {
            for (index, ok) in ended {
                failed[index] = !ok;
            }
        }
        span.record("failed", failed.iter().filter(|f| **f).count());
        let ended: Vec<(Option<String>, bool)> = ids.into_iter().zip(failed).collect();
        Ok(S::respond(&ended)?)
    }
    .instrument(span.clone())
    .await
}

/// The batch in groups, each group's records in batch order: one group per order key, and a
/// group of its own for each record without one.
fn groups<S: RecordSource>(pending: Vec<Pending<S::Record>>) -> Vec<Vec<Pending<S::Record>>> {
    let mut groups: Vec<Vec<Pending<S::Record>>> = Vec::new();
    let mut keyed: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for p in pending {
        match S::order_key(&p.record) {
            Some(key) => match keyed.get(&key) {
                Some(&g) => groups[g].push(p),
                None => {
                    keyed.insert(key, groups.len());
                    groups.push(vec![p]);
                }
            },
            None => groups.push(vec![p]),
        }
    }
    groups
}

/// One group, in order: after a failure, the group's later records are not run (they fail).
/// Returns `(index, succeeded)` per record.
async fn run_group<R, F, Fut>(
    isolation: &Isolation,
    spec: &'static HandlerSpec,
    request_id: &str,
    group: Vec<Pending<R>>,
    handler: &F,
) -> Vec<(usize, bool)>
where
    F: Fn(R) -> Fut,
    Fut: Future,
    Fut::Output: RecordOutput,
{
    let mut ended = Vec::with_capacity(group.len());
    let mut stopped = false;
    for Pending { index, id, tenant, record } in group {
        if stopped {
            tracing::warn!(
                record = id.as_deref().unwrap_or_default(),
                "record not run: an earlier record of its order group failed"
            );
            ended.push((index, false));
            continue;
        }
        let span = tracing::info_span!("record", id = id.as_deref().unwrap_or_default());
        let ok = run_record(isolation, spec, request_id, tenant, record, handler).instrument(span).await;
        stopped = !ok;
        ended.push((index, ok));
    }
    ended
}

/// One record through the pipeline: its tenant (no STS call when it has none), its scope, the
/// handler. Whether it succeeded. The scope's request id is the invocation's (Lambda's), as for
/// every handler; the record's own id is on the `record` span around it.
async fn run_record<R, F, Fut>(
    isolation: &Isolation,
    spec: &'static HandlerSpec,
    request_id: &str,
    tenant: Result<TenantId, RecordError>,
    record: R,
    handler: &F,
) -> bool
where
    F: Fn(R) -> Fut,
    Fut: Future,
    Fut::Output: RecordOutput,
{
    let invocation = Invocation::start(isolation, Some(spec), Some(request_id));
    let Ok(identity) = invocation.identified(tenant.map_err(IsolationError::Record)) else {
        return false;
    };
    let judged = invocation
        .run(
            spec,
            &identity,
            // A panic is this record's failure: unwound into the batch, it would fail every other
            // tenant's records with it (retried, then dead-lettered together). Caught inside the
            // scope, so that the scope ends and the record is judged like any failure.
            || AssertUnwindSafe(async move { handler(record).await }).catch_unwind(),
            |out: Result<Fut::Output, Box<dyn std::any::Any + Send>>| {
                let failure = match out {
                    Ok(out) => out.failure(),
                    Err(panic) => Some(format!("the handler panicked: {}", panic_text(&*panic))),
                };
                if let Some(e) = &failure {
                    tracing::warn!(error = %e, "record failed");
                }
                (Answer { failed: failure.is_some(), status: None }, failure.is_none())
            },
        )
        .await;
    matches!(judged, Ok(true))
}

/// What a panic says, when it says it with a string.
fn panic_text(panic: &(dyn std::any::Any + Send)) -> &str {
    panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(no message)")
}

// ---- What `#[tenant_isolated(records = ...)]` handlers expand to (through `__private`) --------

/// A generated record handler's source, record and output types, and its source as a constant
/// (where each record's tenant is). The macro implements it with the types of the handler's
/// signature, so that a record of another source's type, or an output that is not a
/// [`RecordOutput`], is reported at the signature.
pub trait RecordHandler: Isolated {
    /// The event source.
    type Source: RecordSource<Record = Self::Record>;
    /// The record parameter's type.
    type Record;
    /// The return type.
    type Output: RecordOutput;
    /// The source, as the attribute's `records = ...` declared it.
    const SOURCE: Self::Source;
}

/// The body of every generated record handler function: the process-wide [`Isolation`].
pub async fn run_records_global<H, F, Fut>(
    event: LambdaEvent<<H::Source as RecordSource>::Batch>,
    handler: F,
) -> Result<<H::Source as RecordSource>::Response, lambda_runtime::Error>
where
    H: RecordHandler,
    F: Fn(H::Record) -> Fut,
    Fut: Future<Output = H::Output>,
{
    match Isolation::global().await {
        Ok(isolation) => run_records_with::<H, F, Fut>(isolation, event, handler).await,
        Err(e) => {
            tracing::error!(error = %e, "tenant isolation is not configured");
            Err(BatchError::Refused(IsolationError::Config(e)).into())
        }
    }
}

/// The body of every generated record handler's `call_with`: an explicit [`Isolation`].
pub async fn run_records_with<H, F, Fut>(
    isolation: &Isolation,
    event: LambdaEvent<<H::Source as RecordSource>::Batch>,
    handler: F,
) -> Result<<H::Source as RecordSource>::Response, lambda_runtime::Error>
where
    H: RecordHandler,
    F: Fn(H::Record) -> Fut,
    Fut: Future<Output = H::Output>,
{
    let source = H::SOURCE;
    Ok(isolation.run_records::<H, H::Source, F, Fut>(&source, event, handler).await?)
}
