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
