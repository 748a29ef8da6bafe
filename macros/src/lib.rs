//! The `#[tenant_isolated]` attribute of [`tenant-isolation`](https://docs.rs/tenant-isolation).
//!
//! Depend on `tenant-isolation`, which re-exports this macro and documents it; this crate
//! holds only the compile-time half: argument parsing (`args`), validation into the shared
//! model and its policy template (`model`, using `tenant-isolation-core`), the handler's
//! signature (`handler`), and the expansion (`expand`, one module per generated part).

mod args;
mod expand;
mod handler;
mod model;

use proc_macro::TokenStream;

/// Isolates an async Lambda handler to the calling tenant. See the `tenant-isolation` crate.
#[proc_macro_attribute]
pub fn tenant_isolated(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::tenant_isolated(args.into(), item.into()).into()
}
