//! `nacl-drift timeline`: each NACL's history since `--since`, replayed from
//! its baseline through CloudTrail's NACL calls (the core's `timeline`): the
//! windows each traffic effect held, who opened and closed them.

use std::path::PathBuf;

use anyhow::Result;
use nacl_drift_attribution::{Since, now};
use nacl_drift_aws::AwsSource;
use nacl_drift_config::Config;
use nacl_drift_printer::Printer;
use nacl_drift_printer::timeline::{Format, print_timeline};
use nacl_drift_reconcile::{IntentSource, Period, WindowEvidence, timeline};

use crate::attribution::EventsFrom;
use crate::aws::TargetArgs;
use crate::baseline_dir::IntentArgs;
use crate::exit_status::ExitStatus;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    intent: IntentArgs,

    /// The start, when the NACLs were as their baselines say: a duration
    /// (7d, 12h) or a time (2026-11-01T00:00:00Z). LookupEvents keeps 90 days.
    #[arg(long, value_name = "WHEN", default_value = "7d")]
    since: Since,

    /// The last moment a reported window may open [default: now].
    #[arg(long, value_name = "WHEN")]
    until: Option<Since>,

    /// Read the CloudTrail log files under this folder (AWSLogs/...,
    /// *.json.gz or *.json) instead of calling LookupEvents.
    #[arg(long, value_name = "DIR")]
    cloudtrail_logs: Option<PathBuf>,

    /// Skip log files that are not CloudTrail logs, with a warning.
    #[arg(long)]
    ignore_bad_logs: bool,

    /// Count the flows each window let through in the VPC Flow Logs under
    /// this folder (AWSLogs/.../vpcflowlogs/..., *.log.gz or *.log).
    #[arg(long, value_name = "DIR")]
    flow_logs: Option<PathBuf>,

    /// The network interfaces each window reached (those of now).
    #[arg(long)]
    assets: bool,

    /// Print text, the documented JSON, markdown for a ticket, or one
    /// self-contained HTML report.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,

    #[command(flatten)]
    target: TargetArgs,
}

pub async fn run(args: Args, config: &Config, printer: &mut Printer) -> Result<ExitStatus> {
    let period = Period::of(args.since.at(), args.until.as_ref().map(Since::at), now())?;
    let target = args.target.resolve(config);
    let intent = args.intent.resolve(config, &target.aws);
    let baselines = intent.intent(&args.intent.regions.regions).await?;
    let from = EventsFrom::of(args.cloudtrail_logs, args.ignore_bad_logs);
    let events = from.open(&target.aws, target.accounts.many()).await?;
    let source = AwsSource::for_target(target.aws.load().await?, &target.accounts).await?;
    let (flow_logs, reached) = (args.flow_logs.as_deref(), args.assets);
    let evidence = (flow_logs.is_some() || reached).then_some(WindowEvidence {
        assets: &source,
        flow_logs,
        reached,
    });
    let replayed = timeline(baselines, source.clone(), events.as_ref(), period, evidence).await?;
    print_timeline(printer, &replayed, args.format)?;
    Ok(if !replayed.errors.is_empty() {
        ExitStatus::Failure
    } else if replayed.timeline.windows.is_empty() {
        ExitStatus::Success
    } else {
        ExitStatus::Found
    })
}
