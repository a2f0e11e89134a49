//! The reconcile core: load the intent, read the live state, compare and
//! analyse, plan, execute, verify. Front-ends parse their input, build an
//! [`IntentSource`] and a [`LiveSource`], and print; the steps themselves
//! are here.
//!
//! - [`IntentSource`]: where the intended state comes from (the YAML
//!   baselines of a [`BaselineFolder`]), as [`Baselines`].
//! - [`compare`]: the baselines against a fresh read of live state, with
//!   the exact effect and severity of every drift.
//! - [`restore`]: a plan's calls through apply's executor, and the
//!   baselines with the new ids of recreated NACLs.
//! - [`Comparison::attribute`]: who made each change, from the CloudTrail
//!   events of an `EventSource` (log files, or LookupEvents at the edge).
//! - [`Comparison::judge`]: the project's config applied: accepted drift
//!   and monitor-only NACLs marked, so that plans leave them alone.
//! - [`reconcile`]: the whole sequence under a [`Policy`] (report only, or
//!   restore, with prune and recreate), for front-ends with nobody at the
//!   keyboard; it verifies a restore with a fresh read, never with what it
//!   believes it did. Its [`Policy`] may hold NACLs back (`held`): the
//!   [`FlapBrake`] of such front-ends says which. [`reconcile_deciding`]
//!   is the same sequence with someone deciding (`apply`'s confirmation).
//!
//! Depends on: model, analysis, assets, attribution, config, diff, apply; no AWS SDK.
//! Live state comes
//! through [`LiveSource`] (the AWS edge implements it for EC2, [`Exports`]
//! for exports), and calls go through apply's `NaclApi`.

#![deny(missing_docs)]

mod assets;
mod attribute;
mod brake;
mod compare;
mod intent;
mod judge;
mod recreated;
mod restore;
mod source;

pub use assets::{AssetSource, ExportedAssets, Exposure};
pub use attribute::Attributing;
pub use brake::{FlapBrake, Flapping};
pub use compare::{Baselines, Comparison, ReconcileError, compare};
pub use intent::{BaselineFolder, IntentSource};
pub use recreated::with_recreated_ids;
pub use restore::{Policy, Reconciled, Restored, reconcile, reconcile_deciding, restore};
pub use source::{Completeness, Exports, LiveRead, LiveSource, ReadScope, SourceError};
