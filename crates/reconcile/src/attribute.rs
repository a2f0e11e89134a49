//! Who made each change: the comparison's changes matched against the
//! CloudTrail events of an [`EventSource`] (log files, or LookupEvents at
//! the edge).

use std::collections::BTreeSet;

use nacl_drift_attribution::{EventSource, EventsError, LogError, attribute, event_names};
use nacl_drift_model::Region;

use crate::Comparison;

/// What attributing a comparison says besides each change's verdict.
#[derive(Debug, Default)]
pub struct Attributing {
    /// How many unattributed changes match an event older than `since`:
    /// widening it would name who made them.
    pub before_the_window: usize,
    /// Log files and records the source passed over, with why.
    pub skipped: Vec<LogError>,
}

impl Comparison {
    /// Attributes each change to the most recent event of `source` that
    /// matches it, from `since` (seconds since the epoch) on; the events
    /// asked for are those of the changes' regions and kinds alone.
    pub async fn attribute(
        &mut self,
        source: &impl EventSource,
        since: i64,
    ) -> Result<Attributing, EventsError> {
        let regions: BTreeSet<Region> = self
            .report
            .changes
            .iter()
            .map(|change| change.region.clone())
            .collect();
        let names = event_names(&self.report.changes);
        let found = source.events(&regions, &names, since).await?;
        let subnets = self.association_subnets();
        let before_the_window = attribute(
            &self.report,
            &mut self.verdicts,
            &found.events,
            &self.accounts,
            &subnets,
            since,
        );
        Ok(Attributing {
            before_the_window,
            skipped: found.skipped,
        })
    }
}
