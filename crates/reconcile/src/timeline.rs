//! `timeline`'s steps: the intent, a fresh read of the live state, and the
//! NACL calls CloudTrail recorded since the start, replayed over the
//! baselines (the timeline crate); then where the replay does not end in
//! the live state.

use std::collections::BTreeSet;
use std::time::{Duration, UNIX_EPOCH};

use crate::replay::{Moment, Timeline, replay};
use nacl_drift_attribution::{EventSource, LogError};
use nacl_drift_diff::{Attribution, Change};
use nacl_drift_model::{Operation, ReadError, Region};
use serde::Serialize;

use crate::{AssessedEffect, Baselines, LiveSource, ReconcileError, compare};

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
}

/// Replays each NACL of `baselines`, the state at `since` (seconds since
/// the epoch), through the NACL calls `events` holds from then on, and
/// checks where the replay ends against a fresh read of `source`.
pub async fn timeline<S: LiveSource>(
    baselines: Baselines,
    source: S,
    events: &dyn EventSource,
    since: i64,
) -> Result<Replayed, ReconcileError> {
    let comparison = compare(baselines, source).await?;
    let regions: BTreeSet<Region> = comparison
        .files
        .iter()
        .map(|(_, baseline)| baseline.region.clone())
        .collect();
    let names: BTreeSet<Operation> = Operation::ALL.into();
    let found = events.events(&regions, &names, since).await?;
    let timeline = replay(&comparison.files, &found.events);
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
    Ok(Replayed {
        timeline,
        differences,
        errors: comparison.errors,
        skipped: found.skipped,
    })
}

/// A moment as the JSON has it: when, and who.
#[derive(Serialize)]
struct MomentJson<'a> {
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
    /// The documented JSON of `timeline --format json`; the windows still
    /// open last until `now` (seconds since the epoch).
    pub fn json(&self, now: i64) -> Result<serde_json::Value, serde_json::Error> {
        #[derive(Serialize)]
        struct WindowJson<'a> {
            effect: AssessedEffect,
            opened: MomentJson<'a>,
            closed: Option<MomentJson<'a>>,
            duration_seconds: i64,
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
            errors: &'a [ReadError],
        }
        let record = Record {
            windows: self
                .timeline
                .windows
                .iter()
                .map(|window| WindowJson {
                    effect: AssessedEffect {
                        effect: window.effect.clone(),
                        accepted: None,
                        assets: None,
                    },
                    opened: (&window.opened).into(),
                    closed: window.closed.as_ref().map(MomentJson::from),
                    duration_seconds: window.duration(now),
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
            errors: &self.errors,
        };
        serde_json::to_value(record)
    }
}
