//! The AWS edge: the one crate of the workspace that speaks to AWS (with
//! the binary, which parses flags, and `replay`, the tests' recorded
//! answers).
//!
//! Everything that crosses the edge is converted here, in both directions,
//! and every AWS error is classified here ([`ApiError`]). The other crates
//! see model types only.
//!
//! - [`fetch_network_acls`] takes an EC2 client that is already configured
//!   for one region, follows DescribeNetworkAcls' pagination, and converts
//!   each NACL with [`convert_network_acl`], which is pure and also serves
//!   recorded responses in tests. [`parse_export`] reads the same data from
//!   an `aws ec2 describe-network-acls` export.
//! - [`subnet_labels`] names each subnet with its Name and CIDRs, for the
//!   labels a snapshot writes beside subnet ids.
//! - [`Ec2`] makes a restore's calls: apply's `NaclApi` for EC2.
//! - [`caller`] asks STS whose credentials are in use.
//! - [`Queue`] receives and deletes the guard's SQS messages; [`SnsTopic`]
//!   publishes its alerts, [`SecurityHub`] imports its findings.
//! - [`region_trails`] says which trails record a region's NACL calls, and
//!   [`event_rules`] which EventBridge rules send them where, for `doctor`,
//!   with [`check_lookup_events`].
//! - [`AwsSource`] is EC2 for the caller's account or many, as one live
//!   source that also makes restores (the guard's `Edge`).
//! - [`Ec2Live`] is the reconcile core's live source for EC2: every region
//!   read concurrently ([`read_regions`]), for the caller's account.
//! - [`OrgLive`] is the same for many accounts: a role assumed in each
//!   ([`session`]), the accounts of an organization
//!   ([`organization_accounts`]), every account-region read with bounded
//!   concurrency, and each one that fails reported, not fatal.
//! - [`lookup_events`] asks CloudTrail for the events that may have made
//!   the drift, as CloudTrail's JSON records.
//! - [`S3States`] reads Terraform states from the S3 backend, and their
//!   locks (`.tflock`, a DynamoDB lock table): the core's `StateStore`.
//! - [`load_config`] and the `*_client` functions build the clients, once
//!   per service and region; [`block_on`] runs the binary's calls on a
//!   runtime whose threads have the stack the SDK needs unoptimised.
//!
//! The only library that may depend on the AWS SDK; only `doctor` and the
//! binary depend on it.
//!
//! Depends on: model, analysis, assets, apply, attribution, config, diff, reconcile, snapshot, guard, findings, terraform; the AWS SDK.

#![deny(missing_docs)]

mod accounts;
mod acl_list;
mod api_error;
mod asset_exports;
mod assets;
mod clients;
mod cloudtrail;
mod convert;
mod ec2_calls;
mod edge;
mod export;
mod identity;
mod live;
mod network_acls;
mod queue;
mod rules;
mod runtime;
mod security_hub;
mod subnets;
mod terraform_states;
mod topic;
mod trails;

pub use accounts::{
    AccountSession, AccountsRead, ListAccountsError, OnRead, OrgAccount, OrgLive, SESSION_NAME,
    account_names, account_sessions, enabled_regions, enabled_regions_of, list_accounts,
    organization_accounts, organization_id, read_accounts,
};
pub use api_error::ApiError;
pub use asset_exports::{AssetExports, parse_asset_export};
pub use assets::read_assets;
pub use aws_config::SdkConfig;
pub use clients::{
    SdkConfigError, cloudtrail_client, configured_region, ec2_client, eventbridge_client,
    https_client, load_config, sts_client,
};
pub use cloudtrail::{
    CloudTrailLookup, LOOKUP_PAUSE, LookupError, check_lookup_events, lookup_events,
};
pub use convert::{ConvertError, convert_network_acl};
pub use ec2_calls::Ec2;
pub use edge::{AwsEdge, AwsSource};
pub use export::{ExportError, LiveFileError, parse_export, read_exports};
pub use identity::{
    Caller, caller, caller_account, caller_identity, home_region, sessions_identity,
};
pub use live::{Ec2Live, LiveReadError, account_of, read_regions};
pub use network_acls::{DescribeAclsError, fetch_network_acls};
pub(crate) use network_acls::{PAGE_SIZE, vpc_filter};
pub use queue::{LONG_POLL, Queue, QueueError, Receipt, queue_region};
pub use rules::{Rule, event_bus_policy, event_rules};
pub use runtime::{STACK_SIZE, block_on};
pub use security_hub::SecurityHub;
pub use subnets::subnet_labels;
pub use terraform_states::S3States;
pub use topic::SnsTopic;
pub use trails::{Trail, region_trails};
