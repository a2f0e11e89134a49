//! Compares baselines with the live state of network ACLs.
//!
//! Pure functions over the model, with no AWS dependency: the caller reads
//! baselines and live state, and [`diff`] says what drifted. It is linear in
//! the size of the estate.
//!
//! - Entries match on (NACL id, direction, rule number), and compare on
//!   their normalised content (protocol numbers and names, canonical CIDRs).
//! - Only baselines of the live state's account(s) are compared; others are
//!   [`Skipped`], never reported as deleted NACLs.
//! - A NACL is "added" when it is in a baseline's scope (its regions and VPC
//!   filter) but not in the baseline.
//! - Each change carries a severity, from the exact effect on traffic of the
//!   changed entries (or of the NACL a subnet moved to), which the report
//!   lists: see the analysis crate. [`effects_of`] and [`causes_of`] say
//!   which effects follow from which changes.
//!
//! Depends on: model, analysis, rayon (each baseline compared on its own
//! core); no AWS SDK, no I/O.

#![deny(missing_docs)]

mod cause;
mod compare;
mod report;
mod scope;
mod traffic;
mod verdict;

pub use cause::{causes_of, effects_of};
pub use compare::{diff, diff_covering, live_baseline};
pub use nacl_drift_analysis::Severity;
pub use report::{
    Accepted, Attributed, Attribution, Change, Drift, DriftKind, Report, SkipCause, Skipped, State,
    TrafficEffect,
};
pub use scope::{Coverage, coverage};
pub use verdict::{AssessedChange, SetBy, Verdict};
