//! The assets behind a drift: each rule of exposure on its own
//! (`rules.rs`), and a brute-force reference over random estates, packet
//! by packet (`reference.rs`).

mod estate;
mod reference;
mod rules;
