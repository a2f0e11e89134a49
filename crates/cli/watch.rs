//! `nacl-drift watch`: the guard. Every `--interval`, a fresh read of the
//! live state of the baselines' scope, reconciled by the reconcile core:
//! reported, and with `--restore` restored (the plan `apply --yes` would
//! make) and verified. Monitor-only NACLs and accepted drift are never
//! restored, and the flapping brake stops restoring a NACL that something
//! keeps changing back.
//!
//! One line per reconcile on stdout, flushed at once: JSON (`ndjson`) or a
//! sentence (`text`). SIGINT and SIGTERM finish the reconcile in progress,
//! then exit 0. `--once` reconciles once and exits as `diff` does.

use std::collections::BTreeSet;
use std::time::{Duration, Instant, SystemTime};

use anyhow::{Result, bail};
use nacl_drift_apply::{Outcome, Pace, PlanOptions};
use nacl_drift_config::Config;
use nacl_drift_diff::{Change, ReadError, Severity, Skipped, TrafficEffect};
use nacl_drift_model::NetworkAclId;
use nacl_drift_reconcile::{Baselines, FlapBrake, Flapping, Policy, Reconciled, reconcile};
use serde::Serialize;
use tokio::signal::unix::{SignalKind, signal};

use crate::accounts::AccountArgs;
use crate::aws::AwsArgs;
use crate::baseline_dir::BaselineDir;
use crate::comparison::Live;
use crate::exit_status::ExitStatus;
use crate::live::LiveFileArgs;
use crate::printer::Printer;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    baselines: BaselineDir,

    /// Time between reconciles: 30s, 5m.
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = humantime::parse_duration)]
    interval: Duration,

    /// Restore drift (as `apply --yes` would), then verify; without it,
    /// report only.
    #[arg(long)]
    restore: bool,

    /// With --restore: also delete live entries that the baseline lacks.
    #[arg(long, requires = "restore")]
    prune: bool,

    /// Reconcile once, then exit 0 in sync, 2 on drift, 1 on error.
    #[arg(long)]
    once: bool,

    /// One JSON object per reconcile (ndjson), or one line of text.
    #[arg(long, value_enum, default_value_t = WatchFormat::Ndjson)]
    format: WatchFormat,

    /// Stop restoring a NACL restored this many times within --flap-window.
    #[arg(long, value_name = "N", default_value_t = 3,
          value_parser = clap::value_parser!(u16).range(1..))]
    flap_limit: u16,

    /// The window of the flapping brake: 10m, 1h.
    #[arg(long, value_name = "DURATION", default_value = "10m", value_parser = humantime::parse_duration)]
    flap_window: Duration,

    #[command(flatten)]
    accounts: AccountArgs,

    #[command(flatten)]
    aws: AwsArgs,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum WatchFormat {
    Ndjson,
    Text,
}

pub async fn run(args: Args, config: &Config, printer: &mut Printer) -> Result<ExitStatus> {
    let baseline_dir = args.baselines.resolve(config);
    let no_exports = LiveFileArgs::default();
    let live = Live::choose(&no_exports, &args.accounts, &args.aws).await?;
    let Some(source) = live.source() else {
        bail!("watch reads live state from AWS, not from exports");
    };
    let mut brake = FlapBrake::new(usize::from(args.flap_limit), args.flap_window);
    let mut stop = Stop::new()?;
    loop {
        let baselines = Baselines::read(&baseline_dir)?;
        let clients = live.clients(baselines.places());
        let held = brake.held(Instant::now());
        let policy = Policy {
            restore: args.restore,
            plan: PlanOptions {
                prune: args.prune,
                recreate_missing: false,
            },
            pace: Pace::default(),
            held: held
                .iter()
                .map(|flapping| (flapping.network_acl_id.clone(), flapping.reason()))
                .collect(),
        };
        let reconciled = reconcile(baselines, source.clone(), &clients, policy, config).await?;
        let line = Line::of(&reconciled, &held);
        for restored in line.restored.iter().filter(|r| r.status == "done") {
            brake.restored(&restored.network_acl_id, Instant::now());
        }
        match args.format {
            WatchFormat::Ndjson => {
                printer.line(serde_json::to_string(&line).expect("a line always serialises"))
            }
            WatchFormat::Text => printer.line(line.text()),
        }
        printer.flush();
        if args.once {
            return Ok(if !line.errors.is_empty() {
                ExitStatus::Failure
            } else if line.in_sync {
                ExitStatus::Success
            } else {
                ExitStatus::Drift
            });
        }
        if stop.wait(args.interval).await {
            return Ok(ExitStatus::Success);
        }
    }
}

/// SIGINT and SIGTERM, which end the watch between reconciles.
struct Stop {
    interrupt: tokio::signal::unix::Signal,
    terminate: tokio::signal::unix::Signal,
}

impl Stop {
    fn new() -> Result<Self> {
        Ok(Stop {
            interrupt: signal(SignalKind::interrupt())?,
            terminate: signal(SignalKind::terminate())?,
        })
    }

    /// Waits `interval`; true when a signal came first.
    async fn wait(&mut self, interval: Duration) -> bool {
        tokio::select! {
            () = tokio::time::sleep(interval) => false,
            _ = self.interrupt.recv() => true,
            _ = self.terminate.recv() => true,
        }
    }
}

/// One reconcile, as watch prints it.
#[derive(Serialize)]
struct Line<'a> {
    time: String,
    trigger: &'static str,
    event: Option<()>,
    /// After a restore, as verified; otherwise as found.
    in_sync: bool,
    severity: Option<Severity>,
    changes: &'a [Change],
    effects: &'a [TrafficEffect],
    skipped: &'a [Skipped],
    errors: &'a [ReadError],
    restored: Vec<RestoredCall>,
    flapping: Vec<FlappingNacl>,
}

#[derive(Serialize)]
struct RestoredCall {
    call: &'static str,
    network_acl_id: NetworkAclId,
    status: String,
}

#[derive(Serialize)]
struct FlappingNacl {
    network_acl_id: NetworkAclId,
    flapping: bool,
    severity: Severity,
    restores: usize,
    window_seconds: u64,
    reason: String,
}

impl<'a> Line<'a> {
    fn of(reconciled: &'a Reconciled, held: &[Flapping]) -> Self {
        let report = &reconciled.before.report;
        let restored = match &reconciled.restored {
            Some(restored) => reconciled
                .plan
                .steps
                .iter()
                .zip(&restored.executed.outcomes)
                .map(|(step, outcome)| RestoredCall {
                    call: step.operation().name(),
                    network_acl_id: step.network_acl_id.clone(),
                    status: match outcome {
                        Outcome::Done => "done".to_owned(),
                        other => other.to_string(),
                    },
                })
                .collect(),
            None => Vec::new(),
        };
        let after = reconciled.after.as_ref().map(|after| &after.report);
        let in_sync = after.unwrap_or(report).unaccepted().next().is_none();
        let mut errors = &report.errors[..];
        if let Some(after) = after
            && !after.errors.is_empty()
        {
            errors = &after.errors[..];
        }
        let drifted: BTreeSet<&NetworkAclId> =
            report.changes.iter().map(|c| &c.network_acl_id).collect();
        Line {
            time: humantime::format_rfc3339_seconds(SystemTime::now()).to_string(),
            trigger: "poll",
            event: None,
            in_sync,
            severity: report.severity,
            changes: &report.changes,
            effects: &report.effects,
            skipped: &report.skipped,
            errors,
            restored,
            flapping: held
                .iter()
                .filter(|flapping| drifted.contains(&flapping.network_acl_id))
                .map(|flapping| FlappingNacl {
                    network_acl_id: flapping.network_acl_id.clone(),
                    flapping: true,
                    severity: Severity::Critical,
                    restores: flapping.restores,
                    window_seconds: flapping.window.as_secs(),
                    reason: flapping.reason(),
                })
                .collect(),
        }
    }

    /// One sentence: when, what was found, what was done.
    fn text(&self) -> String {
        let mut text = format!("{} poll: ", self.time);
        if self.changes.is_empty() {
            text.push_str("in sync");
        } else {
            let severity = self.severity.map_or("none", Severity::label);
            text.push_str(&format!(
                "{} changes (highest: {severity})",
                self.changes.len()
            ));
        }
        if !self.restored.is_empty() {
            let done = self.restored.iter().filter(|r| r.status == "done").count();
            text.push_str(&format!(
                "; restored with {done} of {} calls; {}",
                self.restored.len(),
                if self.in_sync {
                    "verified in sync"
                } else {
                    "drift remains"
                }
            ));
        }
        for flapping in &self.flapping {
            text.push_str(&format!(
                "; {}: {}",
                flapping.network_acl_id, flapping.reason
            ));
        }
        if !self.errors.is_empty() {
            text.push_str(&format!(
                "; {} account-regions could not be read",
                self.errors.len()
            ));
        }
        text
    }
}
