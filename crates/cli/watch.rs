//! `nacl-drift watch`: the guard, as a long-running process. Each
//! reconcile is a fresh read of live state through the reconcile core,
//! reported, and with `--restore` restored (the plan `apply --yes` would
//! make) and verified; see the guard crate for what it never touches.
//!
//! - Poll mode (no queue): every `--interval`, everything.
//! - Event mode (`--sqs-queue-url`): the VPC of each NACL call
//!   that EventBridge delivers, and a sweep of everything on start and
//!   every `--sweep-interval`.
//!
//! One line per reconcile on stdout, flushed at once: JSON (`ndjson`) or a
//! sentence (`text`). SIGINT and SIGTERM finish the reconcile in progress,
//! then exit 0. `--once` reconciles once (or drains the queue) and exits
//! as `diff` does.

use std::time::Duration;

use anyhow::Result;
use nacl_drift_aws::Queue;
use nacl_drift_config::Config;
use nacl_drift_guard::queue::QueueSettings;
use nacl_drift_guard::{poll, queue};
use tokio::signal::unix::{SignalKind, signal};

use crate::accounts::AccountArgs;
use crate::aws::AwsArgs;
use crate::exit_status::ExitStatus;
use crate::guard::{GuardArgs, LineFormat, SqsQueue, exit_status, print_said, with_context};
use crate::project;
use nacl_drift_printer::Printer;

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
    #[arg(long, value_enum, default_value_t = LineFormat::Ndjson)]
    format: LineFormat,

    #[command(flatten)]
    accounts: AccountArgs,

    #[command(flatten)]
    aws: AwsArgs,
}

pub async fn run(args: Args, config: &Config, printer: &mut Printer) -> Result<ExitStatus> {
    let queue = match &args.sqs_queue_url {
        Some(url) => Some(SqsQueue(Queue::new(&args.aws.load().await?, url)?)),
        None => None,
    };
    let baseline_dir = args.guard.baselines.resolve(config);
    project::announce(printer, config, &baseline_dir);
    let mut guard = args
        .guard
        .guard(baseline_dir, &args.accounts, &args.aws, config)
        .await?;
    let mut stop = Stop::new()?;
    let mut say = |said| print_said(printer, args.format, said);
    let standing = match queue {
        Some(queue) => {
            let settings = QueueSettings {
                sweep_interval: args.sweep_interval,
                debounce: args.debounce,
                once: args.once,
            };
            queue::run(&mut guard, queue, settings, &mut stop, &mut say)
                .await
                .map_err(|error| with_context(error, String::new()))?
        }
        None => poll::run(&mut guard, args.interval, args.once, &mut stop, &mut say).await,
    };
    Ok(exit_status(standing))
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
}

impl queue::Stop for Stop {
    async fn signalled(&mut self) {
        tokio::select! {
            _ = self.interrupt.recv() => {}
            _ = self.terminate.recv() => {}
        }
    }
}
