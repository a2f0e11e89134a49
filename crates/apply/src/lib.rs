//! Restores network ACLs to their baselines after an incident.
//!
//! [`plan`] turns a diff report into the EC2 calls that undo it (pure);
//! [`execute`] makes them through a [`NaclApi`] (the AWS edge implements it
//! for EC2), or checks with EC2's `DryRun` flag that they would be
//! permitted; [`check_restore_permissions`] asks the same of each kind of
//! call, with arguments that change nothing. No AWS dependency. Two rules keep a restore from ever exposing more
//! than it must:
//!
//! - Entries are reverted with `ReplaceNetworkAclEntry`, which is atomic,
//!   never with a delete then a create.
//! - Calls that close access (restoring a deny, removing an allow) run
//!   before calls that open it, for every NACL, before any NACL opens
//!   anything: the plan has a closing stage and an opening stage, and the
//!   opening stage starts once the closing stage has finished everywhere.
//!   Subnets move back to their NACL in the closing stage, after that
//!   NACL's closing calls.
//!
//! Depends on: model, analysis, diff; no AWS SDK. EC2 is reached through
//! [`NaclApi`].

#![deny(missing_docs)]

mod api;
mod budget;
mod execute;
mod plan;
mod probe;
mod simulate;

pub use api::{CallError, CallErrorKind, NaclApi};
pub use budget::{CallBudget, Pace};
pub use execute::{Outcome, StepResult, execute};
pub use plan::{Call, CallEffect, Plan, PlanOptions, Stage, Step, Untouched, plan};
pub use probe::{Permission, check_plan_permissions, check_restore_permissions};
pub use simulate::{exposure_windows, traffic_effects};
