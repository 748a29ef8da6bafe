//! The handlers linked into this binary, as `#[tenant_isolated]` registers them.

use crate::config::Env;
use crate::spec::HandlerSpec;

/// A handler's spec, collected from every `#[tenant_isolated]` in the binary (the macro submits
/// one per handler).
#[doc(hidden)]
pub struct Registration(pub &'static HandlerSpec);
inventory::collect!(Registration);

/// Every handler registered in this binary, sorted by module path and name, each once.
///
/// Each `#[tenant_isolated]` function registers its [`HandlerSpec`] when it is linked in;
/// a binary whose handlers live in a library must reference that library
/// (`use my_lib as _;`) or they are not linked and this is empty. The same handler
/// registered twice (a binary linking two copies of its crate) is listed once.
///
/// This is what an audit reads (the `tenant-isolation-audit` crate's `policies` command).
pub fn registered_handlers() -> Vec<&'static HandlerSpec> {
    let mut specs: Vec<&'static HandlerSpec> = inventory::iter::<Registration>.into_iter().map(|r| r.0).collect();
    specs.sort_by_key(|s| (s.module_path(), s.name()));
    specs.dedup_by_key(|s| (s.module_path(), s.name()));
    specs
}

/// Two key rules that overlap on one physical table or bucket: one prefix starts the other,
/// so a tenant of the shorter prefix owns keys of the longer one (tenant `ORG` of `TENANT#`
/// owns every `TENANT#ORG#…` key; tenant `tenants` of prefix `""` owns every `tenants/…` object).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "handlers `{first}` (key prefix `{first_prefix}`) and `{second}` (key prefix `{second_prefix}`) share      {kind} `{table}`, and one prefix starts the other: a tenant of one could own the other's keys"
)]
pub struct PrefixOverlap {
    /// A table or a bucket.
    pub kind: ResourceKind,
    /// The physical table or bucket.
    pub table: Box<str>,
    /// One handler.
    pub first: Box<str>,
    /// Its prefix.
    pub first_prefix: Box<str>,
    /// The other handler (the same one when two of its declarations overlap).
    pub second: Box<str>,
    /// Its prefix.
    pub second_prefix: Box<str>,
}

/// What two overlapping key rules share.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResourceKind {
    /// A DynamoDB table.
    Table,
    /// An S3 bucket.
    Bucket,
}

impl std::fmt::Display for ResourceKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ResourceKind::Table => "table",
            ResourceKind::Bucket => "bucket",
        })
    }
}

/// Refuses key prefixes that overlap on one physical table or bucket among `handlers` (their
/// physical names as the runtime resolves them). Deploy-time tools run it over every handler of
/// every function on a table (the `policies` audit does); [`crate::Isolation::prepare`] runs it
/// over the handlers linked into the binary.
///
/// Physical names are read from the process environment now; the runtime checks with the
/// environment it captured when it was built.
pub fn check_prefixes(handlers: &[&HandlerSpec]) -> Result<(), PrefixOverlap> {
    check_prefixes_in(handlers, &Env::live())
}

/// [`check_prefixes`] with the physical names that `env` binds.
pub(crate) fn check_prefixes_in(handlers: &[&HandlerSpec], env: &Env) -> Result<(), PrefixOverlap> {
    // Every (handler, physical name, prefix) of every table, then of every bucket.
    let mut tables = Vec::new();
    let mut buckets = Vec::new();
    for h in handlers {
        for (t, name) in h.tables().iter().zip(h.table_names_in(env)) {
            tables.push((h, name, &t.keys));
        }
        for (b, name) in h.buckets().iter().zip(h.bucket_names_in(env)) {
            buckets.push((h, name, &b.objects));
        }
    }
    let overlap = |kind, a: (&&HandlerSpec, &String, &str), b: (&&HandlerSpec, &String, &str)| PrefixOverlap {
        kind,
        table: a.1.as_str().into(),
        first: a.0.name().into(),
        first_prefix: a.2.into(),
        second: b.0.name().into(),
        second_prefix: b.2.into(),
    };
    for (i, (h, name, rule)) in tables.iter().enumerate() {
        if let Some((g, _, other)) = tables[i + 1..].iter().find(|(_, n, r)| n == name && rule.overlaps(r)) {
            return Err(overlap(ResourceKind::Table, (h, name, rule.prefix()), (g, name, other.prefix())));
        }
    }
    for (i, (h, name, rule)) in buckets.iter().enumerate() {
        if let Some((g, _, other)) = buckets[i + 1..].iter().find(|(_, n, r)| n == name && rule.overlaps(r)) {
            return Err(overlap(ResourceKind::Bucket, (h, name, rule.prefix()), (g, name, other.prefix())));
        }
    }
    Ok(())
}
