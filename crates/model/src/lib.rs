//! The nacl-drift baseline model.
//!
//! A baseline is the committed, reviewed truth about a VPC's network ACLs: one
//! YAML file per (account, region, VPC), at
//! `<baseline-dir>/<account>/<region>/<vpc-id>.yaml`.
//!
//! Every value in this crate is valid by construction: rule numbers are in
//! `1..=32766`, CIDRs are canonical, ports only exist on tcp/udp and ICMP
//! type/code only on icmp/icmpv6, and a NACL holds at most one entry per
//! (direction, rule number). Parsing a file checks all of it and reports the
//! file and line of the first problem ([`BaselineError`]).
//!
//! Serialisation is deterministic: the same model always gives the same
//! bytes, so an unchanged estate snapshots to byte-identical files.
//!
//! Depends on: nothing of ours; no AWS SDK. Every other crate speaks in its
//! types. It reads and writes files: the baselines, and the cache of their
//! parses ([`ParseCache`]).

#![deny(missing_docs)]

mod baseline;
mod cidr;
mod entry;
mod error;
mod ids;
pub mod labels;
mod limits;
mod lines;
mod live;
mod operation;
mod ownership;
mod parse_cache;
mod place;
mod region_record;
pub mod sanitize;
mod store;
mod yaml11;

pub use baseline::{Baseline, NetworkAcl, ObservedAcl, SCHEMA_VERSION, Scope};
pub use cidr::{Cidr, CidrError};
pub use entry::{
    Action, Direction, Entry, EntryError, EntryKey, EntryRecord, IcmpTypeCode, PortRange, Protocol,
    RuleNumber, Traffic,
};
pub use error::{BaselineError, FileLocation, with_causes};
pub use ids::{
    AccountId, AssociationId, EventBusArn, IdError, InterfaceId, NetworkAclId, PrefixListId,
    Region, RoleArn, RoleName, RouteTableId, SecurityGroupId, SubnetId, TopicArn, VpcId,
};
pub use labels::{AclNotes, SubnetLabels, subnet_label};
pub use limits::{MAX_FLOW_DEPTH, MAX_YAML_BYTES, check_yaml, read_bounded};
pub use lines::Lines;
pub use live::{DuplicateAcl, baselines_for_region, merge_sources};
pub use operation::Operation;
pub use ownership::{Distrust, distrust};
pub use parse_cache::{CacheRefused, ParseCache, STALE_AFTER};
pub use place::{AccountNames, Identity, LiveAcl, LiveVpcs, Place, ReadError, Vpc};
pub use region_record::{
    NO_VPCS_FILE, RegionRecord, read_region_records, remove_region_record, write_region_record,
};
pub use store::{
    WriteOutcome, baseline_path, baseline_paths, held_twice, read_baseline, read_baseline_dir,
    remove_baseline, vpc_ids_with_baselines, write_baseline, write_noted_baseline,
};
