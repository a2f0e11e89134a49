//! VPC Flow Logs as evidence: for each window of a traffic effect, the
//! `ACCEPT` records the effect admitted (on interfaces in the NACL's
//! subnets, of the effect's protocol, port and remote addresses, during the
//! window), and how much of the window the logs cover at all.
//!
//! - [`scan`]: reads a folder of flow log files (S3's `AWSLogs/…/
//!   vpcflowlogs/…/*.log.gz` layout, or plain `.log` files), streamed, one
//!   file per core at a time, each by its own header line (any field order;
//!   the default version 2 format when a file has none).
//! - A record is placed in a subnet by its `subnet-id`, or by its
//!   `interface-id` among the interfaces read now; its direction is its
//!   `flow-direction`, or which side holds the interface's own address. A
//!   record that cannot be placed or turned is counted as such, never as a
//!   flow of a window.
//! - Lines that are malformed, NODATA or SKIPDATA are counted, and never
//!   fail the run; a file that cannot be read is named.
//! - Coverage: a window's minutes with no record (of any status) on its
//!   subnets within the longest aggregation interval are **unknown**, never
//!   "no traffic".
//!
//! Depends on: model, analysis; no AWS SDK.

#![deny(missing_docs)]

mod files;
mod format;
mod scan;

use std::collections::{BTreeSet, HashMap};
use std::net::IpAddr;
use std::path::PathBuf;

use nacl_drift_analysis::Effect;
use nacl_drift_model::{AccountId, InterfaceId, Region, SubnetId};
use serde::Serialize;

pub use scan::scan;

/// The longest aggregation interval (10 minutes): a logged interface has a
/// record, NODATA included, at least this often.
pub const LONGEST_INTERVAL: i64 = 600;

/// What one window asks of the flow logs.
#[derive(Clone, Debug)]
pub struct Query {
    /// The NACL's account and region: files of others are not read for it.
    pub account: AccountId,
    /// The NACL's region.
    pub region: Region,
    /// The NACL's subnets while the window held.
    pub subnets: BTreeSet<SubnetId>,
    /// The traffic the window admitted: direction, service and remote
    /// addresses.
    pub effect: Effect,
    /// When the window opened, in seconds since the epoch.
    pub from: i64,
    /// When it closed (or now, while it is open).
    pub until: i64,
}

/// An interface read now: where it is, and its own addresses (a record's
/// direction is which side holds one).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Interface {
    /// Its subnet.
    pub subnet_id: SubnetId,
    /// Its addresses, as flow records show them (the primary private IPv4
    /// address, and IPv6 addresses).
    pub addresses: Vec<IpAddr>,
}

/// The interfaces read now, by id.
pub type Interfaces = HashMap<InterfaceId, Interface>;

/// What the flow logs hold of one window.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Evidence {
    /// The ACCEPT records the effect admitted.
    pub records: u64,
    /// Their packets.
    pub packets: u64,
    /// Their bytes.
    pub bytes: u64,
    /// The first record's start, in seconds since the epoch.
    pub first_seen: Option<i64>,
    /// The last record's end.
    pub last_seen: Option<i64>,
    /// How many remote addresses they came from (or went to, for egress).
    pub distinct_sources: usize,
    /// The remote addresses with the most records, at most ten.
    pub top_sources: Vec<SourceCount>,
    /// The parts of the window no log covers: unknown, never "no traffic".
    pub unknown: Vec<Span>,
    /// The seconds of the window the logs cover.
    pub covered_seconds: i64,
}

/// A remote address and its records.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SourceCount {
    /// The address.
    pub address: IpAddr,
    /// How many records.
    pub records: u64,
}

/// A span of time, in seconds since the epoch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    /// Its start.
    pub from: i64,
    /// Its end.
    pub until: i64,
}

/// What a scan read, and the evidence of each query, in the queries' order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Scan {
    /// Each query's evidence.
    pub evidence: Vec<Evidence>,
    /// The files read.
    pub files: u64,
    /// The files passed over by their name: another account or region, or
    /// written outside the period (with a margin).
    pub files_passed_over: u64,
    /// The records read (every line but headers).
    pub records: u64,
    /// Records of no traffic in their interval.
    pub nodata: u64,
    /// Records that stand for flows not captured.
    pub skipdata: u64,
    /// Lines that are not records of their file's format.
    pub malformed: u64,
    /// The first few malformed lines: file, line number, why.
    pub malformed_examples: Vec<String>,
    /// ACCEPT records on an interface not read now and with no subnet-id:
    /// not placed in any subnet.
    pub unplaced: u64,
    /// ACCEPT records in a window's subnets whose direction cannot be told
    /// (no flow-direction, and the interface's addresses are not known).
    pub direction_unknown: u64,
    /// The files that could not be read, and why.
    pub unreadable: Vec<Unreadable>,
}

/// A file that could not be read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Unreadable {
    /// The file.
    pub path: PathBuf,
    /// Why.
    pub why: String,
}

/// Why the flow logs could not be read at all.
#[derive(Debug, thiserror::Error)]
pub enum FlowLogError {
    /// The folder or file given cannot be listed or opened.
    #[error("cannot read the flow logs at {path}")]
    Folder {
        /// The path given.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}
