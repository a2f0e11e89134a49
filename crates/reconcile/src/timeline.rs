//! `timeline`'s steps: the intent, a fresh read of the live state, and the
//! NACL calls CloudTrail recorded since the start, replayed over the
//! baselines (the timeline crate); then where the replay does not end in
//! the live state.

use std::collections::BTreeSet;

use nacl_drift_attribution::{EventSource, LogError};
use nacl_drift_diff::Change;
use nacl_drift_model::{Operation, ReadError, Region};
use nacl_drift_timeline::{Timeline, replay};

use crate::{Baselines, LiveSource, ReconcileError, compare};

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
