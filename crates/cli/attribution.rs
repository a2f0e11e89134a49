//! `--attribute`: who made each change, from CloudTrail, for diff and apply.

use std::path::PathBuf;

use anyhow::{Result, bail};
use nacl_drift_attribution::{EventSource, LogFolder, Since, now};
use nacl_drift_aws::CloudTrailLookup;
use nacl_drift_diff::Attributed;
use nacl_drift_reconcile::{Assessing, Events};

use crate::aws::Aws;
use crate::comparison::Comparison;
use nacl_drift_printer::Printer;

#[derive(clap::Args, Debug)]
pub struct AttributionArgs {
    /// Find who made each change: the most recent matching CloudTrail event
    /// (LookupEvents, or --cloudtrail-logs).
    #[arg(long)]
    attribute: bool,

    /// Read the CloudTrail log files under this folder (AWSLogs/..., *.json.gz
    /// or *.json) instead of calling LookupEvents. Implies --attribute.
    #[arg(long, value_name = "DIR")]
    cloudtrail_logs: Option<PathBuf>,

    /// How far back to look: a duration (90d, 12h, 30m) or a time
    /// (2026-11-01T00:00:00Z). LookupEvents keeps 90 days.
    #[arg(long, value_name = "WHEN", default_value = "90d")]
    since: Since,

    /// Skip log files that are not CloudTrail logs, with a warning, instead
    /// of failing.
    #[arg(long)]
    ignore_bad_logs: bool,
}

impl AttributionArgs {
    /// The settings these flags give.
    pub fn resolve(self) -> Attribution {
        let asked = self.attribute || self.cloudtrail_logs.is_some();
        Attribution {
            source: asked.then(|| EventsFrom::of(self.cloudtrail_logs, self.ignore_bad_logs)),
            since: self.since,
        }
    }
}

/// Where the events behind the changes are looked for.
#[derive(Clone, Debug)]
pub enum EventsFrom {
    /// CloudTrail's LookupEvents, in each region of a change.
    LookupEvents,
    /// CloudTrail log files under a folder.
    LogFiles(LogFolder),
}

impl EventsFrom {
    /// The log files under `logs` (skipping bad ones with `ignore_bad`),
    /// else LookupEvents.
    pub fn of(logs: Option<PathBuf>, ignore_bad: bool) -> EventsFrom {
        match logs {
            Some(dir) => EventsFrom::LogFiles(LogFolder { dir, ignore_bad }),
            None => EventsFrom::LookupEvents,
        }
    }

    /// The source, built: the log files, or LookupEvents with the
    /// credentials of `aws`, which answers for one account alone.
    pub async fn open(&self, aws: &Aws, many_accounts: bool) -> Result<Box<dyn EventSource>> {
        Ok(match self {
            EventsFrom::LookupEvents if many_accounts => bail!(
                "over many accounts, CloudTrail's events come from --cloudtrail-logs (an organization trail's log files): LookupEvents answers for one account"
            ),
            EventsFrom::LogFiles(folder) => Box::new(folder.clone()),
            EventsFrom::LookupEvents => Box::new(CloudTrailLookup::new(aws.load().await?)),
        })
    }
}

/// The event source the flags name, built; none when not asked.
pub struct EventsSource(Option<Box<dyn EventSource>>);

/// Who made each change, as the flags ask: from where, and how far back.
#[derive(Clone, Debug)]
pub struct Attribution {
    /// `None`: not asked for.
    source: Option<EventsFrom>,
    since: Since,
}

impl Attribution {
    /// Whether attribution was asked for.
    pub fn requested(&self) -> bool {
        self.source.is_some()
    }

    /// The source of the events, when asked for: log files, or
    /// LookupEvents with the credentials of `aws`. A run over many accounts
    /// needs log files: LookupEvents answers for one account.
    pub async fn source(&self, aws: &Aws, many_accounts: bool) -> Result<EventsSource> {
        Ok(EventsSource(match &self.source {
            None => None,
            Some(from) => Some(from.open(aws, many_accounts).await?),
        }))
    }

    /// Where the assessment finds who made each change: `source`'s events
    /// from `--since` on.
    pub fn events<'a>(&self, source: &'a EventsSource) -> Events<'a> {
        match &source.0 {
            Some(source) => Events::Source {
                source: source.as_ref(),
                since: self.since.at(),
            },
            None => Events::NotAsked,
        }
    }

    /// Says what attributing the comparison passed over, and why changes
    /// stayed unattributed where `--since` is the likely reason.
    pub fn explain(&self, comparison: &Comparison, assessing: &Assessing, printer: &mut Printer) {
        for skipped in &assessing.skipped {
            printer.warning(&format!("skipped {skipped}"));
        }
        self.explain_unattributed(comparison, assessing.before_the_window, printer);
    }

    /// Says when `--since` is the likely reason for unattributed changes:
    /// the log files hold an older event that matches, or LookupEvents
    /// keeps more days than were asked for.
    fn explain_unattributed(
        &self,
        comparison: &Comparison,
        before_the_window: usize,
        printer: &Printer,
    ) {
        let changes = |count: usize| if count == 1 { "change" } else { "changes" };
        if before_the_window > 0 {
            printer.note(&format!(
                "{before_the_window} unattributed {} {} an event older than --since {}: widen --since to see who made them",
                changes(before_the_window),
                if before_the_window == 1 { "matches" } else { "match" },
                self.since.text()
            ));
            return;
        }
        let unattributed = comparison
            .changes
            .iter()
            .filter(|assessed| matches!(assessed.verdict.attribution, Attributed::Unattributed))
            .count();
        let window_days = (now() - self.since.at()) / 86_400;
        let looked_up = matches!(self.source, Some(EventsFrom::LookupEvents));
        if unattributed > 0 && looked_up && window_days < 89 {
            printer.note(&format!(
                "{unattributed} {} unattributed within --since {}: LookupEvents keeps 90 days, so --since 90d looks further back",
                changes(unattributed),
                self.since.text()
            ));
        }
    }
}
