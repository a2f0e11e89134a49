//! The reconcile core: load the intent, read the live state, compare and
//! analyse, plan, execute, verify. Front-ends parse their input, build an
//! [`IntentSource`] and a [`LiveSource`], and print; the steps themselves
//! are here.
//!
//! - [`IntentSource`]: where the intended state comes from (the YAML
//!   baselines of a [`BaselineFolder`]; with Terraform or OpenTofu states,
//!   local or in S3 through a [`StateStore`], [`WithTerraform`]), as
//!   [`Baselines`].
//! - [`compare`]: the baselines against a fresh read of live state, with
//!   the exact effect and severity of every drift.
//! - [`restore`]: a plan's calls through apply's executor, and the
//!   baselines with the new ids of recreated NACLs.
//! - [`Comparison::assess`]: the one pipeline that decides what each change
//!   and effect is, from a front-end's [`Enrichers`]: the config's accepted
//!   drift and monitor-only NACLs and the brake's held NACLs (so that plans
//!   leave them alone), who made each change (the CloudTrail events of an
//!   `EventSource`: log files, or LookupEvents at the edge), and the assets
//!   behind each effect. Its records carry the documented JSON ([`Json`]).
//! - [`reconcile`]: the whole sequence under a [`Policy`] (report only, or
//!   restore, with prune and recreate), for front-ends with nobody at the
//!   keyboard; it verifies a restore with a fresh read, never with what it
//!   believes it did. Its [`Enrichers`] may hold NACLs back (`held`): the
//!   [`FlapBrake`] of such front-ends says which. [`reconcile_deciding`]
//!   is the same sequence with someone deciding (`apply`'s confirmation).
//!
//! - [`timeline`]: an incident's windows, the baselines replayed through
//!   CloudTrail's NACL calls since the start (`replay.rs`, pure), checked
//!   against a fresh read.
//!
//! Depends on: model, analysis, assets, attribution, config, diff, apply, terraform, flowlogs; no AWS SDK.
//! Live state comes
//! through [`LiveSource`] (the AWS edge implements it for EC2, [`Exports`]
//! for exports), and calls go through apply's `NaclApi`.

#![deny(missing_docs)]

mod assess;
mod assets;
mod brake;
mod closed;
mod compare;
mod intent;
mod json;
mod recreated;
mod replay;
mod restore;
mod source;
mod terraform;
mod timeline;

pub use assess::{AssessedEffect, Assessing, Enrichers, Events};
pub use assets::{AssetSource, AssetsRead, ExportedAssets, Exposure};
pub use brake::{FlapBrake, Flapping};
pub use closed::Closed;
pub use compare::{Baselines, Comparison, ReadNacl, ReconcileError, compare};
pub use intent::{BaselineFolder, IntentRead, IntentSource};
pub use json::{Json, changes as changes_json};
pub use nacl_drift_flowlogs::Evidence;
pub use nacl_drift_terraform::{HeldLock, S3Object, StateLocation, StateLock};
pub use recreated::with_recreated_ids;
pub use replay::{Moment, Timeline, Unreplayed, Window};
pub use restore::{Policy, Reconciled, Restored, reconcile, reconcile_deciding, restore};
pub use source::{Completeness, Exports, LiveRead, LiveSource, ReadScope, SourceError};
pub use terraform::{Addresses, Fetched, StateStore, StoreCall, TerraformStates, WithTerraform};
pub use timeline::{
    Flows, Lifecycle, NOT_LOOKED_UP, Period, Replayed, WindowEvidence, rfc3339, timeline,
};
