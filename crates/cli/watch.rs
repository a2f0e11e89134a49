//! `nacl-drift watch`: the guard, as a long-running process. Each
//! reconcile is a fresh read of live state through the reconcile core,
//! reported, and with `--restore` restored (the plan `apply --yes` would
//! make) and verified; see [`crate::guard`] for what it never touches.
//!
//! - Poll mode (no queue): every `--interval`, everything.
//! - Event mode (`--sqs-queue-url`, [`queue`]): the VPC of each NACL call
//!   that EventBridge delivers, and a sweep of everything on start and
//!   every `--sweep-interval`.
//!
//! One line per reconcile on stdout, flushed at once: JSON (`ndjson`) or a
//! sentence (`text`). SIGINT and SIGTERM finish the reconcile in progress,
//! then exit 0. `--once` reconciles once (or drains the queue) and exits
//! as `diff` does.

mod queue;

use std::time::Duration;

use anyhow::Result;
use nacl_drift_aws::Queue;
use nacl_drift_config::Config;
use tokio::signal::unix::{SignalKind, signal};

use crate::accounts::AccountArgs;
use crate::aws::AwsArgs;
use crate::comparison::Live;
use crate::exit_status::ExitStatus;
use crate::guard::{Guard, GuardArgs, Line, Scope, Trigger};
use crate::live::LiveFileArgs;
use crate::printer::{Printer, print_error};
use crate::project;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    guard: GuardArgs,

    /// Poll mode: the time between reconciles: 30s, 5m.
    #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = humantime::parse_duration)]
    interval: Duration,

    /// Event mode: long-poll this SQS queue, fed by an EventBridge rule on
    /// CloudTrail's NACL calls, and reconcile the VPC of each.
    #[arg(long, value_name = "URL")]
    sqs_queue_url: Option<String>,

    /// Event mode: the time between full sweeps (EventBridge delivers on a
    /// best-effort basis); the first is on start.
    #[arg(long, value_name = "DURATION", default_value = "10m", requires = "sqs_queue_url",
          value_parser = humantime::parse_duration)]
    sweep_interval: Duration,

    /// Event mode: how long the events of one VPC gather before its
    /// reconcile (a burst of console edits is one reconcile).
    #[arg(long, value_name = "DURATION", default_value = "1s", requires = "sqs_queue_url",
          value_parser = humantime::parse_duration)]
    debounce: Duration,

    /// Reconcile once (event mode: drain what the queue holds, waiting at
    /// most one long poll), then exit 0 in sync, 2 on drift, 1 on error.
    #[arg(long)]
    once: bool,

    /// One JSON object per reconcile (ndjson), or one line of text.
    #[arg(long, value_enum, default_value_t = WatchFormat::Ndjson)]
    format: WatchFormat,

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
    let queue = match &args.sqs_queue_url {
        Some(url) => Some(Queue::new(&args.aws.load().await?, url)?),
        None => None,
    };
    let baseline_dir = args.guard.baselines.resolve(config);
    project::announce(printer, config, &baseline_dir);
    let no_exports = LiveFileArgs::default();
    let live = Live::choose(&no_exports, &args.accounts, &args.aws).await?;
    let mut guard = Guard::new(&args.guard, baseline_dir, live, config).await?;
    let mut stop = Stop::new()?;
    if let Some(queue) = queue {
        return queue::run(&mut guard, queue, &args, printer, &mut stop).await;
    }
    loop {
        let reconciled = match guard.baselines() {
            Ok(baselines) => {
                guard
                    .reconcile(&baselines, Scope::Everything, Trigger::Poll, Vec::new())
                    .await
            }
            Err(error) => Err(error.into()),
        };
        let status = match reconciled {
            Ok(line) => {
                print_line(printer, args.format, &line);
                line.status()
            }
            Err(error) => {
                print_error(&error);
                ExitStatus::Failure
            }
        };
        if args.once {
            return Ok(status);
        }
        if stop.wait(args.interval).await {
            return Ok(ExitStatus::Success);
        }
    }
}

/// Prints one reconcile's line, at once.
fn print_line(printer: &mut Printer, format: WatchFormat, line: &Line) {
    match format {
        WatchFormat::Ndjson => printer.line(line.json()),
        WatchFormat::Text => printer.line(line.text()),
    }
    printer.flush();
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
            () = self.signalled() => true,
        }
    }

    /// Returns when SIGINT or SIGTERM comes.
    async fn signalled(&mut self) {
        tokio::select! {
            _ = self.interrupt.recv() => {}
            _ = self.terminate.recv() => {}
        }
    }
}
