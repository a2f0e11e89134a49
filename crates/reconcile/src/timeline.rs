//! `timeline`'s steps: the intent, a fresh read of the live state, and the
//! NACL calls CloudTrail recorded since the start, replayed over the
//! baselines ([`replay`](crate::replay)); then where the replay does not
//! end in the live state, and, with flow logs, the flows each window
//! admitted.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::{Duration, UNIX_EPOCH};

use crate::replay::{Moment, Timeline, replay};
use nacl_drift_analysis::EffectKind;
use nacl_drift_attribution::{EventSource, LogError};
use nacl_drift_diff::{Attribution, Change};
use nacl_drift_flowlogs::{Evidence, FlowLogError, Interface, Interfaces, Query, Scan, scan};
use nacl_drift_model::{NetworkAclId, Operation, Place, ReadError, Region, SubnetId};
use serde::Serialize;

use crate::{AssessedEffect, AssetSource, Baselines, LiveSource, ReconcileError, compare};

/// What replaying the NACL calls since the start found.
#[derive(Debug)]
pub struct Replayed {
    /// The windows, and the calls not replayed.
    pub timeline: Timeline,
    /// Where the replay does not end in the live state (the trail lacks a
    /// call, or a baseline was not the state at the start): windows on
    /// those NACLs are not backed by the trail.
    pub differences: Vec<Change>,
    /// The account-regions whose live state could not be read: where the
    /// replay ends there is not checked.
    pub errors: Vec<ReadError>,
    /// The log files and records the event source passed over.
    pub skipped: Vec<LogError>,
    /// What the flow logs hold of each window, when they were read.
    pub flows: Option<Flows>,
}

/// The flow logs to read for evidence, and where the interfaces that
/// place and turn their records come from (those of now).
pub struct FlowLogs<'a> {
    /// The folder (S3's layout, or plain files) or file.
    pub path: &'a Path,
    /// The interfaces of each account-region with a window.
    pub interfaces: &'a dyn AssetSource,
}

/// What the flow logs hold of the windows.
#[derive(Debug)]
pub struct Flows {
    /// Each window's evidence, in the windows' order; `None` for a window
    /// that admitted nothing (a deny added, an allow removed).
    pub windows: Vec<Option<Evidence>>,
    /// What was read, and what was passed over, malformed or unreadable.
    pub read: Scan,
    /// The account-regions whose interfaces could not be read: records
    /// there without `subnet-id` are not placed.
    pub interface_errors: Vec<ReadError>,
}

/// Replays each NACL of `baselines`, the state at `since` (seconds since
/// the epoch), through the NACL calls `events` holds from then on, checks
/// where the replay ends against a fresh read of `source`, and, given
/// `flow_logs`, counts the flows each window admitted until it closed (or
/// `now`).
pub async fn timeline<S: LiveSource>(
    baselines: Baselines,
    source: S,
    events: &dyn EventSource,
    (since, now): (i64, i64),
    flow_logs: Option<FlowLogs<'_>>,
) -> Result<Replayed, ReconcileError> {
    let comparison = compare(baselines, source).await?;
    let regions: BTreeSet<Region> = comparison
        .files
        .iter()
        .map(|(_, baseline)| baseline.region.clone())
        .collect();
    let names: BTreeSet<Operation> = Operation::ALL.into();
    let found = events.events(&regions, &names, since).await?;
    let timeline = replay(&comparison.files, &found.events, &comparison.live);
    let unread = |change: &Change| {
        comparison
            .errors
            .iter()
            .any(|error| error.account == change.account && error.region == change.region)
    };
    let differences = timeline
        .differences(&comparison.live)
        .into_iter()
        .filter(|change| !unread(change))
        .collect();
    let flows = match flow_logs {
        Some(flow_logs) => Some(flows(&timeline, &comparison.files, flow_logs, now).await?),
        None => None,
    };
    Ok(Replayed {
        timeline,
        differences,
        errors: comparison.errors,
        skipped: found.skipped,
        flows,
    })
}

/// The flows each window that let traffic through admitted: on the
/// interfaces of its NACL's subnets (those of its baseline, or the subnets
/// that moved), while it held.
async fn flows(
    timeline: &Timeline,
    files: &[(std::path::PathBuf, nacl_drift_model::Baseline)],
    flow_logs: FlowLogs<'_>,
    now: i64,
) -> Result<Flows, FlowLogError> {
    let subnets_of: BTreeMap<&NetworkAclId, &BTreeSet<SubnetId>> = files
        .iter()
        .flat_map(|(_, baseline)| &baseline.network_acls)
        .map(|acl| (&acl.id, &acl.subnets))
        .collect();
    let mut asked = Vec::new();
    let mut queries = Vec::new();
    for window in &timeline.windows {
        let effect = &window.effect;
        if effect.effect.kind != EffectKind::NewlyAllowed {
            asked.push(None);
            continue;
        }
        let subnets = if effect.subnet_ids.is_empty() {
            subnets_of
                .get(&effect.network_acl_id)
                .map(|subnets| (*subnets).clone())
                .unwrap_or_default()
        } else {
            effect.subnet_ids.iter().cloned().collect()
        };
        asked.push(Some(queries.len()));
        queries.push(Query {
            account: effect.account.clone(),
            region: effect.region.clone(),
            subnets,
            effect: effect.effect.clone(),
            from: window.opened.at,
            until: window.closed.as_ref().map_or(now, |closed| closed.at),
        });
    }
    let places: BTreeSet<Place> = queries
        .iter()
        .map(|query| Place {
            account: query.account.clone(),
            region: query.region.clone(),
        })
        .collect();
    let mut interfaces = Interfaces::new();
    let mut interface_errors = Vec::new();
    for place in places {
        match flow_logs.interfaces.assets(&place).await {
            Ok(assets) => interfaces.extend(assets.interfaces.into_iter().map(|interface| {
                let addresses = (interface.private_ipv4.iter().copied().map(Into::into))
                    .chain(interface.ipv6.iter().copied().map(Into::into))
                    .collect();
                let placed = Interface {
                    subnet_id: interface.subnet_id,
                    addresses,
                };
                (interface.id, placed)
            })),
            Err(error) => interface_errors.push(ReadError {
                account: place.account.clone(),
                region: place.region.clone(),
                operation: "DescribeNetworkInterfaces".to_owned(),
                code: None,
                message: nacl_drift_model::with_causes(error.as_ref()),
            }),
        }
    }
    let mut read = scan(flow_logs.path, &queries, &interfaces)?;
    let mut evidence: Vec<Option<Evidence>> = std::mem::take(&mut read.evidence)
        .into_iter()
        .map(Some)
        .collect();
    let windows = asked
        .into_iter()
        .map(|index| index.and_then(|index| evidence[index].take()))
        .collect();
    Ok(Flows {
        windows,
        read,
        interface_errors,
    })
}

/// A moment as the JSON has it: when, and who.
#[derive(Serialize)]
pub(crate) struct MomentJson<'a> {
    at: String,
    by: &'a Attribution,
}

impl<'a> From<&'a Moment> for MomentJson<'a> {
    fn from(moment: &'a Moment) -> Self {
        MomentJson {
            at: rfc3339(moment.at),
            by: &moment.by,
        }
    }
}

/// Seconds since the epoch as RFC 3339, in UTC.
pub fn rfc3339(at: i64) -> String {
    let time = UNIX_EPOCH + Duration::from_secs(u64::try_from(at).unwrap_or_default());
    humantime::format_rfc3339_seconds(time).to_string()
}

impl Replayed {
    /// The Name tag of a baseline's NACL, as its baseline holds it.
    pub fn name_of(&self, acl: &NetworkAclId) -> Option<&str> {
        self.timeline
            .end
            .iter()
            .flat_map(|(_, baseline)| &baseline.network_acls)
            .find(|held| held.id == *acl)?
            .tags
            .get("Name")
            .map(String::as_str)
    }

    /// The documented JSON of `timeline --format json`; the windows still
    /// open last until `now` (seconds since the epoch).
    pub fn json(&self, now: i64) -> Result<serde_json::Value, serde_json::Error> {
        #[derive(Serialize)]
        struct WindowJson<'a> {
            effect: AssessedEffect,
            opened: MomentJson<'a>,
            closed: Option<MomentJson<'a>>,
            duration_seconds: i64,
            #[serde(skip_serializing_if = "Option::is_none")]
            flows: Option<EvidenceJson<'a>>,
        }
        #[derive(Serialize)]
        struct UnreplayedJson<'a> {
            call: MomentJson<'a>,
            why: &'a str,
        }
        #[derive(Serialize)]
        struct DifferenceJson<'a> {
            network_acl_id: &'a str,
            position: String,
            replayed: String,
            live: String,
        }
        #[derive(Serialize)]
        struct Record<'a> {
            windows: Vec<WindowJson<'a>>,
            not_replayed: Vec<UnreplayedJson<'a>>,
            not_the_live_state: Vec<DifferenceJson<'a>>,
            #[serde(skip_serializing_if = "Option::is_none")]
            flow_logs: Option<FlowLogsJson<'a>>,
            errors: &'a [ReadError],
        }
        let record = Record {
            windows: self
                .timeline
                .windows
                .iter()
                .enumerate()
                .map(|(index, window)| WindowJson {
                    effect: AssessedEffect {
                        effect: window.effect.clone(),
                        accepted: None,
                        assets: None,
                    },
                    opened: (&window.opened).into(),
                    closed: window.closed.as_ref().map(MomentJson::from),
                    duration_seconds: window.duration(now),
                    flows: self
                        .flows
                        .as_ref()
                        .and_then(|flows| flows.windows.get(index)?.as_ref())
                        .map(|evidence| EvidenceJson::of(evidence, window.duration(now))),
                })
                .collect(),
            not_replayed: self
                .timeline
                .unreplayed
                .iter()
                .map(|unreplayed| UnreplayedJson {
                    call: (&unreplayed.call).into(),
                    why: &unreplayed.why,
                })
                .collect(),
            not_the_live_state: self
                .differences
                .iter()
                .map(|change| DifferenceJson {
                    network_acl_id: change.network_acl_id.as_str(),
                    position: change.position(),
                    replayed: change.baseline_in_words(),
                    live: change.live_in_words(),
                })
                .collect(),
            flow_logs: self.flows.as_ref().map(FlowLogsJson::from),
            errors: &self.errors,
        };
        serde_json::to_value(record)
    }
}

/// A window's flows as the JSON has them.
#[derive(Serialize)]
struct EvidenceJson<'a> {
    records: u64,
    packets: u64,
    bytes: u64,
    first_seen: Option<String>,
    last_seen: Option<String>,
    distinct_sources: usize,
    top_sources: &'a [nacl_drift_flowlogs::SourceCount],
    covered_seconds: i64,
    window_seconds: i64,
    unknown: Vec<SpanJson>,
}

/// A span of time as the JSON has it.
#[derive(Serialize)]
struct SpanJson {
    from: String,
    until: String,
}

impl<'a> EvidenceJson<'a> {
    fn of(evidence: &'a Evidence, window_seconds: i64) -> Self {
        EvidenceJson {
            records: evidence.records,
            packets: evidence.packets,
            bytes: evidence.bytes,
            first_seen: evidence.first_seen.map(rfc3339),
            last_seen: evidence.last_seen.map(rfc3339),
            distinct_sources: evidence.distinct_sources,
            top_sources: &evidence.top_sources,
            covered_seconds: evidence.covered_seconds,
            window_seconds,
            unknown: evidence
                .unknown
                .iter()
                .map(|span| SpanJson {
                    from: rfc3339(span.from),
                    until: rfc3339(span.until),
                })
                .collect(),
        }
    }
}

/// What the flow logs read held, as the JSON has it.
#[derive(Serialize)]
struct FlowLogsJson<'a> {
    files: u64,
    files_passed_over: u64,
    records: u64,
    nodata: u64,
    skipdata: u64,
    malformed: u64,
    malformed_examples: &'a [String],
    unplaced: u64,
    direction_unknown: u64,
    unreadable: &'a [nacl_drift_flowlogs::Unreadable],
    interface_errors: &'a [ReadError],
}

impl<'a> From<&'a Flows> for FlowLogsJson<'a> {
    fn from(flows: &'a Flows) -> Self {
        let read = &flows.read;
        FlowLogsJson {
            files: read.files,
            files_passed_over: read.files_passed_over,
            records: read.records,
            nodata: read.nodata,
            skipdata: read.skipdata,
            malformed: read.malformed,
            malformed_examples: &read.malformed_examples,
            unplaced: read.unplaced,
            direction_unknown: read.direction_unknown,
            unreadable: &read.unreadable,
            interface_errors: &flows.interface_errors,
        }
    }
}
