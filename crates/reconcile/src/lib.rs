//! The reconcile core: load the baselines, read the live state, compare
//! and analyse (then plan, execute and verify, with the apply crate).
//! Front-ends (`diff`, `apply`, and the guard to come) parse their input,
//! build a [`LiveSource`] and print; the steps themselves are here.
//!
//! No AWS dependency: live state comes through [`LiveSource`], which the
//! AWS edge implements for EC2, and [`Exports`] implements for exports.
//!
//! Depends on the model and the diff only.

#![deny(missing_docs)]

mod compare;
mod recreated;
mod source;

pub use compare::{Baselines, Comparison, ReconcileError, compare};
pub use recreated::with_recreated_ids;
pub use source::{Exports, LiveSource, SourceError};
