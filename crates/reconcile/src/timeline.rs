//! `timeline`'s steps: the intent, a fresh read of the live state, and the
//! NACL calls CloudTrail recorded since the start, replayed over the
//! baselines ([`replay`](crate::replay)); then where the replay does not
//! end in the live state, and what [`WindowEvidence`] asks of each window:
//! the flows it admitted, the interfaces it reached.

mod evidence;

use std::collections::BTreeSet;
use std::time::{Duration, UNIX_EPOCH};

use crate::replay::{Moment, Timeline, replay};
use nacl_drift_assets::EffectAssets;
use nacl_drift_attribution::{EventSource, InterfaceEvent, LogError};
use nacl_drift_diff::{Attribution, Change};
use nacl_drift_flowlogs::Evidence;
use nacl_drift_model::{InterfaceId, NetworkAclId, Operation, ReadError, Region, SubnetId};
use serde::Serialize;

use crate::{AssessedEffect, Baselines, LiveSource, ReconcileError, compare};

pub use evidence::{Flows, Lifecycle, WindowEvidence};

/// The span a timeline reports, in seconds since the epoch: the windows
/// that opened from `since` to `until`; those open still last until `now`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Period {
    /// When the NACLs were as their baselines say.
    pub since: i64,
    /// The last moment a reported window may open (`--until`; now by
    /// default). The calls after it are replayed too: the replay must end
    /// in the live state.
    pub until: i64,
    /// Now.
    pub now: i64,
}

impl Period {
    /// The period from `since` to `until` (`now` when `None`); an `until`
    /// before `since` is refused.
    pub fn of(since: i64, until: Option<i64>, now: i64) -> Result<Period, ReconcileError> {
        let until = until.unwrap_or(now);
        if until < since {
            return Err(ReconcileError::PeriodBackwards {
                since: rfc3339(since),
                until: rfc3339(until),
            });
        }
        Ok(Period { since, until, now })
    }
}

/// What replaying the NACL calls since the start found.
#[derive(Debug)]
pub struct Replayed {
    /// The span reported.
    pub period: Period,
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
    /// The interfaces each window reached (as they are now), in the
    /// windows' order, when asked; `None` for a window whose effect cannot
    /// reach one, or whose account-region's assets could not be read.
    pub reached: Vec<Option<EffectAssets>>,
    /// The account-regions whose interfaces could not be read.
    pub asset_errors: Vec<ReadError>,
    /// The interfaces made and deleted, as the event source read them
    /// (`None`: it does not read them, as LookupEvents).
    pub interface_events: Option<Vec<InterfaceEvent>>,
    /// With the interfaces each window reached: those made or deleted in
    /// its subnets while it held, in the windows' order.
    pub lifecycle: Vec<Vec<Lifecycle>>,
}

/// Replays each NACL of `baselines`, the state at `since` (seconds since
/// the epoch), through the NACL calls `events` holds from then on, checks
/// where the replay ends against a fresh read of `source`, and adds what
/// `evidence` asks of each window (its flows until it closed, or `now`;
/// the interfaces it reached).
pub async fn timeline<S: LiveSource>(
    baselines: Baselines,
    source: S,
    events: &dyn EventSource,
    period: Period,
    evidence: Option<WindowEvidence<'_>>,
) -> Result<Replayed, ReconcileError> {
    let comparison = compare(baselines, source).await?;
    let regions: BTreeSet<Region> = comparison
        .files
        .iter()
        .map(|(_, baseline)| baseline.region.clone())
        .collect();
    let names: BTreeSet<Operation> = Operation::ALL.into();
    let found = events.events(&regions, &names, period.since).await?;
    let mut timeline = replay(&comparison.files, &found.events, &comparison.live);
    timeline
        .windows
        .retain(|window| window.opened.at <= period.until);
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
    let mut replayed = Replayed {
        period,
        timeline,
        differences,
        errors: comparison.errors,
        skipped: found.skipped,
        interface_events: found.interfaces,
        lifecycle: Vec::new(),
        flows: None,
        reached: Vec::new(),
        asset_errors: Vec::new(),
    };
    if let Some(evidence) = evidence {
        replayed.add(evidence, &comparison.files).await?;
    }
    Ok(replayed)
}

/// Why a timeline from LookupEvents names no interface made or deleted.
pub const NOT_LOOKED_UP: &str = "not read: LookupEvents is not asked for them; --cloudtrail-logs reads them from the trail's files";

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

    /// The documented JSON of `timeline --format json`.
    pub fn json(&self) -> Result<serde_json::Value, serde_json::Error> {
        let now = self.period.now;
        #[derive(Serialize)]
        struct WindowJson<'a> {
            effect: AssessedEffect,
            opened: MomentJson<'a>,
            closed: Option<MomentJson<'a>>,
            duration_seconds: i64,
            #[serde(skip_serializing_if = "Option::is_none")]
            flows: Option<EvidenceJson<'a>>,
            #[serde(skip_serializing_if = "Option::is_none")]
            interfaces_made_or_deleted: Option<Vec<LifecycleJson<'a>>>,
        }
        #[derive(Serialize)]
        struct LifecycleJson<'a> {
            interface_id: &'a InterfaceId,
            subnet_id: &'a SubnetId,
            event: &'static str,
            call: MomentJson<'a>,
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
            /// When the interfaces of `assets` were read: they are those
            /// of now, not those of each window.
            #[serde(skip_serializing_if = "Option::is_none")]
            assets_read_at: Option<String>,
            /// With assets from LookupEvents, which is not asked for the
            /// interfaces made and deleted: why none are named.
            #[serde(skip_serializing_if = "Option::is_none")]
            interfaces_made_or_deleted: Option<&'static str>,
            asset_errors: &'a [ReadError],
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
                        assets: self.reached.get(index).cloned().flatten(),
                    },
                    opened: (&window.opened).into(),
                    closed: window.closed.as_ref().map(MomentJson::from),
                    duration_seconds: window.duration(now),
                    flows: self
                        .flows
                        .as_ref()
                        .and_then(|flows| flows.windows.get(index)?.as_ref())
                        .map(|evidence| EvidenceJson::of(evidence, window.duration(now))),
                    interfaces_made_or_deleted: self.lifecycle.get(index).map(|lifecycle| {
                        lifecycle
                            .iter()
                            .map(|made| LifecycleJson {
                                interface_id: &made.interface,
                                subnet_id: &made.subnet,
                                event: if made.made { "made" } else { "deleted" },
                                call: (&made.call).into(),
                            })
                            .collect()
                    }),
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
            assets_read_at: (!self.reached.is_empty()).then(|| rfc3339(now)),
            interfaces_made_or_deleted: (!self.reached.is_empty()
                && self.interface_events.is_none())
            .then_some(NOT_LOOKED_UP),
            asset_errors: &self.asset_errors,
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
        }
    }
}
