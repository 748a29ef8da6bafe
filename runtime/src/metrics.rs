//! Opt-in metrics in CloudWatch Embedded Metric Format (EMF): one JSON log line per invocation,
//! which CloudWatch Logs turns into metrics without an agent or an API call
//! (<https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html>).
//!
//! Each line carries two metric directives:
//!
//! * per handler (dimension `Handler`): `Invocations`, `Served`, `Failed`, `Refused`, the
//!   refusals by kind (`RefusedIdentity`, `RefusedCredentials`, `RefusedGuard`, `RefusedScope`,
//!   `RefusedConfig`, `RefusedAws`) and by status (`Status401`, `Status403`, `Status503`, `Status500`);
//! * per function (no dimension): what the credential cache did since the previous line:
//!   `StsCalls`, `StsFailures`, `CacheHits`, `CacheMisses`, `Renewals`, `RenewalFailures`,
//!   `Evictions`.
//!
//! The tenant id is never a dimension, nor on the line at all: its cardinality is unbounded (a
//! metric per tenant, each billed). It belongs to the invocation's log (`tenant` in the
//! `tenant_isolated` span), where Logs Insights can count per tenant.

use crate::credentials::CacheStats;
use crate::error::IsolationError;
use std::io::Write;
use std::sync::{Arc, Mutex, PoisonError};

/// Where metrics go: nowhere (the default), or EMF lines to standard output (which Lambda sends
/// to CloudWatch Logs) or to a writer of yours.
///
/// ```
/// let metrics = tenant_isolation::Metrics::emf("Orders");
/// # let _ = metrics;
/// ```
#[derive(Clone, Default)]
pub struct Metrics {
    sink: Option<Arc<Sink>>,
}

struct Sink {
    namespace: String,
    out: Mutex<Box<dyn Write + Send>>,
    /// The cache's counters as of the previous line, so that each line carries what happened
    /// since (CloudWatch sums the lines).
    last: Mutex<CacheStats>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").field("namespace", &self.sink.as_ref().map(|s| s.namespace.as_str())).finish()
    }
}

/// `TENANT_METRICS`: `off` (the default) or `emf`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum MetricsFormat {
    Off,
    Emf,
}

impl crate::config::Choice for MetricsFormat {
    const CHOICES: &'static [(&'static str, MetricsFormat)] =
        &[("off", MetricsFormat::Off), ("emf", MetricsFormat::Emf)];
}

/// How one invocation ended, as the metrics count it.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Ended<'a> {
    /// The handler ran and answered (`failed`: an `Err` or a 5xx).
    Ran { failed: bool },
    /// The invocation was refused with this error.
    Refused(&'a IsolationError),
}

impl Metrics {
    /// No metrics.
    pub fn off() -> Metrics {
        Metrics { sink: None }
    }

    /// EMF lines on standard output, under CloudWatch namespace `namespace`
    /// (`TENANT_METRICS=emf`, `TENANT_METRICS_NAMESPACE`, default `TenantIsolation`).
    pub fn emf(namespace: impl Into<String>) -> Metrics {
        Metrics::emf_to(namespace, std::io::stdout())
    }

    /// EMF lines written to `out` (a log file, or a buffer in tests), one line per invocation.
    pub fn emf_to(namespace: impl Into<String>, out: impl Write + Send + 'static) -> Metrics {
        Metrics {
            sink: Some(Arc::new(Sink {
                namespace: namespace.into(),
                out: Mutex::new(Box::new(out)),
                last: Mutex::new(CacheStats::default()),
            })),
        }
    }

    /// Whether lines are written.
    pub fn is_on(&self) -> bool {
        self.sink.is_some()
    }

    /// Writes the line of one invocation: `handler` (empty when it was refused before routing),
    /// how it ended, and the cache's counters now.
    pub(crate) fn record(&self, handler: &str, ended: Ended<'_>, stats: impl FnOnce() -> CacheStats) {
        let Some(sink) = &self.sink else { return };
        let now = stats();
        let delta = {
            let mut last = sink.last.lock().unwrap_or_else(PoisonError::into_inner);
            let delta = since(&last, &now);
            *last = now;
            delta
        };
        let line = sink.line(handler, ended, &delta);
        let mut out = sink.out.lock().unwrap_or_else(PoisonError::into_inner);
        // A metrics line that cannot be written is lost, never the invocation's answer.
        if let Err(e) = writeln!(out, "{line}").and_then(|()| out.flush()) {
            tracing::debug!(error = %e, "an EMF metrics line could not be written");
        }
    }
}

/// The counters that grew from `last` to `now` (`entries` is a level, not a count).
fn since(last: &CacheStats, now: &CacheStats) -> CacheStats {
    CacheStats {
        hits: now.hits.saturating_sub(last.hits),
        misses: now.misses.saturating_sub(last.misses),
        sts_calls: now.sts_calls.saturating_sub(last.sts_calls),
        sts_failures: now.sts_failures.saturating_sub(last.sts_failures),
        refreshes: now.refreshes.saturating_sub(last.refreshes),
        refresh_failures: now.refresh_failures.saturating_sub(last.refresh_failures),
        evictions: now.evictions.saturating_sub(last.evictions),
        entries: now.entries,
    }
}

/// The handler dimension of an invocation refused before any handler was chosen (an axum
/// layer authenticates before routing).
const BEFORE_ROUTING: &str = "(before routing)";

const HANDLER_METRICS: [&str; 14] = [
    "Invocations",
    "Served",
    "Failed",
    "Refused",
    "RefusedIdentity",
    "RefusedCredentials",
    "RefusedGuard",
    "RefusedScope",
    "RefusedConfig",
    "RefusedAws",
    "Status401",
    "Status403",
    "Status503",
    "Status500",
];

const CACHE_METRICS: [&str; 7] =
    ["StsCalls", "StsFailures", "CacheHits", "CacheMisses", "Renewals", "RenewalFailures", "Evictions"];

impl Sink {
    fn line(&self, handler: &str, ended: Ended<'_>, cache: &CacheStats) -> String {
        use serde_json::{Map, Value, json};
        let handler = if handler.is_empty() { BEFORE_ROUTING } else { handler };
        let refusal = match ended {
            Ended::Refused(e) => Some(e),
            Ended::Ran { .. } => None,
        };
        let kind = refusal.map(|e| match e {
            // A record without a usable tenant is refused at the same stage as a bad token.
            IsolationError::Identity(_) | IsolationError::Record(_) => "RefusedIdentity",
            IsolationError::Credentials(_) => "RefusedCredentials",
            IsolationError::Guard(_) => "RefusedGuard",
            IsolationError::Scope(_) => "RefusedScope",
            IsolationError::Config(_) | IsolationError::Spec(_) => "RefusedConfig",
            IsolationError::Aws(_) => "RefusedAws",
        });
        let status = refusal.map(|e| format!("Status{}", e.status()));
        let count = |name: &str| -> u64 {
            u64::from(match name {
                "Invocations" => true,
                "Served" => matches!(ended, Ended::Ran { failed: false }),
                "Failed" => matches!(ended, Ended::Ran { failed: true }),
                "Refused" => refusal.is_some(),
                name if name.starts_with("Status") => status.as_deref() == Some(name),
                name => kind == Some(name),
            })
        };
        let mut line = Map::new();
        let directive = |names: &[&str], dimensions: Value| {
            let metrics: Vec<Value> = names.iter().map(|n| json!({ "Name": n, "Unit": "Count" })).collect();
            json!({ "Namespace": self.namespace, "Dimensions": dimensions, "Metrics": metrics })
        };
        let timestamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        line.insert(
            "_aws".into(),
            json!({
                "Timestamp": timestamp,
                "CloudWatchMetrics": [
                    directive(&HANDLER_METRICS, json!([["Handler"]])),
                    directive(&CACHE_METRICS, json!([[]])),
                ],
            }),
        );
        line.insert("Handler".into(), json!(handler));
        for name in HANDLER_METRICS {
            line.insert(name.into(), json!(count(name)));
        }
        let cache_values = [
            cache.sts_calls,
            cache.sts_failures,
            cache.hits,
            cache.misses,
            cache.refreshes,
            cache.refresh_failures,
            cache.evictions,
        ];
        for (name, value) in CACHE_METRICS.iter().zip(cache_values) {
            line.insert((*name).into(), json!(value));
        }
        Value::Object(line).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::IdentityError;

    /// A writer the test reads back.
    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);

    impl Write for Buffer {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn lines(buffer: &Buffer) -> Vec<serde_json::Value> {
        let bytes = buffer.0.lock().unwrap().clone();
        String::from_utf8(bytes).unwrap().lines().map(|l| serde_json::from_str(l).expect("one JSON object")).collect()
    }

    /// Every metric a directive names is a number on the line, and every dimension it names is
    /// a string there: what CloudWatch requires of an EMF line, or it drops the metrics.
    fn assert_valid_emf(line: &serde_json::Value) {
        let directives = line["_aws"]["CloudWatchMetrics"].as_array().expect("directives");
        assert!(line["_aws"]["Timestamp"].is_u64());
        for d in directives {
            assert_eq!(d["Namespace"], "Orders");
            for set in d["Dimensions"].as_array().unwrap() {
                for dim in set.as_array().unwrap() {
                    assert!(line[dim.as_str().unwrap()].is_string(), "{dim}");
                }
            }
            for m in d["Metrics"].as_array().unwrap() {
                assert!(line[m["Name"].as_str().unwrap()].is_u64(), "{m}");
            }
        }
    }

    #[test]
    fn each_invocation_is_one_emf_line_with_its_counts() {
        let buffer = Buffer::default();
        let metrics = Metrics::emf_to("Orders", buffer.clone());
        let stats = |calls| CacheStats { sts_calls: calls, misses: calls, hits: 3, ..CacheStats::default() };
        metrics.record("get_order", Ended::Ran { failed: false }, || stats(1));
        let refusal = IsolationError::Identity(IdentityError::MissingToken);
        metrics.record("", Ended::Refused(&refusal), || stats(1));
        metrics.record("get_order", Ended::Ran { failed: true }, || stats(4));
        let lines = lines(&buffer);
        assert_eq!(lines.len(), 3);
        lines.iter().for_each(assert_valid_emf);
        assert_eq!((lines[0]["Handler"].as_str(), lines[0]["Served"].as_u64()), (Some("get_order"), Some(1)));
        assert_eq!((lines[0]["StsCalls"].as_u64(), lines[0]["CacheHits"].as_u64()), (Some(1), Some(3)));
        assert_eq!(lines[1]["Handler"], BEFORE_ROUTING);
        assert_eq!(
            ["Refused", "RefusedIdentity", "Status401", "Status403", "Served"].map(|m| lines[1][m].as_u64().unwrap()),
            [1, 1, 1, 0, 0]
        );
        assert_eq!(lines[1]["StsCalls"], 0, "deltas: nothing happened since the first line");
        assert_eq!((lines[2]["Failed"].as_u64(), lines[2]["StsCalls"].as_u64()), (Some(1), Some(3)));
    }

    #[test]
    fn off_writes_nothing() {
        let metrics = Metrics::off();
        assert!(!metrics.is_on());
        metrics.record("h", Ended::Ran { failed: false }, || unreachable!("no counters read when off"));
    }
}
