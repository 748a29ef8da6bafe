//! The handlers linked into this binary, as `#[tenant_isolated]` registers them.

use crate::__private::Registration;
use crate::spec::HandlerSpec;

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

/// Two handlers whose key prefixes overlap on one physical table: one prefix starts the other,
/// so a tenant of the shorter prefix owns keys of the longer one (tenant `ORG` of `TENANT#`
/// owns every `TENANT#ORG#…` key).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "handlers `{first}` (key prefix `{first_prefix}`) and `{second}` (key prefix `{second_prefix}`) share table \
     `{table}`, and one prefix starts the other: a tenant of one could own the other's keys"
)]
pub struct PrefixOverlap {
    /// The physical table.
    pub table: String,
    /// One handler.
    pub first: String,
    /// Its prefix.
    pub first_prefix: String,
    /// The other handler.
    pub second: String,
    /// Its prefix.
    pub second_prefix: String,
}

/// Refuses key prefixes that overlap on one physical table among `handlers` (their physical
/// table names as the runtime resolves them). Deploy-time tools run it over every handler of
/// every function on a table (the `policies` audit does); [`crate::Isolation::prepare`] runs it
/// over the handlers linked into the binary.
pub fn check_prefixes(handlers: &[&HandlerSpec]) -> Result<(), PrefixOverlap> {
    for (i, a) in handlers.iter().enumerate() {
        for b in &handlers[i + 1..] {
            let table = a.table_name();
            if table == b.table_name() && a.table().keys.overlaps(&b.table().keys) {
                return Err(PrefixOverlap {
                    table,
                    first: a.name().to_owned(),
                    first_prefix: a.key_prefix().to_owned(),
                    second: b.name().to_owned(),
                    second_prefix: b.key_prefix().to_owned(),
                });
            }
        }
    }
    Ok(())
}
