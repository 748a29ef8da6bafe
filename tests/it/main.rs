//! Integration tests of `tenant-isolation` against real local stand-ins for AWS (moto).
//!
//! One test binary, one module per concern (`tests/it/<concern>.rs`); the harness lives in the
//! `tenant-isolation-tests` library (`tests/src/lib.rs`). Run the tools setup first:
//! `bash scripts/setup-tools.sh` (or just `bash scripts/test.sh`).

mod harness_smoke;
