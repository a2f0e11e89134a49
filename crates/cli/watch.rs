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

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Result;
use nacl_drift_aws::Queue;
use nacl_drift_config::Config;
use nacl_drift_guard::queue::QueueSettings;
use nacl_drift_guard::{poll, queue};
use tokio::signal::unix::{SignalKind, signal};

use crate::aws::{RunTarget, TargetArgs};
use crate::exit_status::ExitStatus;
use crate::guard::{
    GuardArgs, GuardSettings, LineFormat, exit_status, print_said, start, with_context,
};
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
    target: TargetArgs,
}

/// How the watch learns of changes: `Q` is the queue, by URL until it is
/// opened.
enum Mode<Q> {
    /// Everything, every interval.
    Poll(Duration),
    /// The events of a queue, and sweeps.
    Queue(Q, QueueSettings),
}

/// `watch`, resolved.
struct Settings {
    guard: GuardSettings,
    mode: Mode<String>,
    once: bool,
    format: LineFormat,
    target: RunTarget,
}

impl Args {
    /// The flags, with the config file's baseline folder.
    fn resolve(self, config: &Config) -> Settings {
        let mode = match self.sqs_queue_url {
            Some(url) => Mode::Queue(
                url,
                QueueSettings {
                    sweep_interval: self.sweep_interval,
                    debounce: self.debounce,
                    once: self.once,
                },
            ),
            None => Mode::Poll(self.interval),
        };
        let target = self.target.resolve(config);
        Settings {
            guard: self
                .guard
                .resolve(config, &target.aws, PathBuf::from("baselines")),
            mode,
            once: self.once,
            format: self.format,
            target,
        }
    }
}

pub async fn run(args: Args, config: &Config, printer: &mut Printer) -> Result<ExitStatus> {
    let settings = args.resolve(config);
    let mode = match settings.mode {
        Mode::Queue(url, queue) => {
            let config = settings.target.aws.load().await?;
            Mode::Queue(Queue::new(&config, &url)?, queue)
        }
        Mode::Poll(interval) => Mode::Poll(interval),
    };
    project::announce(printer, config, &settings.guard.intent.folder.path);
    let mut guard = start(settings.guard, &settings.target, config).await?;
    let mut stop = Stop::new()?;
    let mut say = |said| print_said(printer, settings.format, said);
    let standing = match mode {
        Mode::Queue(queue, queue_settings) => {
            queue::run(&mut guard, queue, queue_settings, &mut stop, &mut say)
                .await
                .map_err(|error| with_context(error, String::new()))?
        }
        Mode::Poll(interval) => {
            poll::run(&mut guard, interval, settings.once, &mut stop, &mut say).await
        }
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
