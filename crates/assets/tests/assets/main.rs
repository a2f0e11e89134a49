//! The assets behind a drift: each rule of exposure on its own
//! (`rules.rs`). The brute-force reference over random estates, packet by
//! packet, goes through the whole comparison (moved subnets included), in
//! `crates/reconcile/tests/in_memory/exposure.rs`.

mod estate;
mod rules;
