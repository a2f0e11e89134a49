//! `nacl-drift diff`: compare live state with the baselines.
//!
//! Live state is read for exactly the scope the baselines record (their
//! regions and VPC filters) and only for the caller's account, which STS
//! names before anything else is read. `--live-file` reads exports instead;
//! then the account is the exports' owner. Exit 0 in sync, 2 on drift,
//! 1 on error.

mod render;

use anyhow::Result;
use nacl_drift_diff::Severity;

use crate::attribution::AttributionArgs;
use crate::aws::AwsArgs;
use crate::baseline_dir::BaselineDir;
use crate::comparison::{Comparison, compare};
use crate::exit_status::ExitStatus;
use crate::live::LiveFileArgs;
use crate::printer::Printer;

pub use render::{Format, position};

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    baselines: BaselineDir,

    #[command(flatten)]
    live: LiveFileArgs,

    /// How to print the report.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,

    #[command(flatten)]
    attribution: AttributionArgs,

    /// Exit 2 only when some change reaches this severity (critical, high,
    /// medium or low), and 0 otherwise (default: on any change).
    #[arg(long, value_name = "SEVERITY")]
    fail_on: Option<Severity>,

    #[command(flatten)]
    aws: AwsArgs,
}

pub async fn run(args: Args, printer: &mut Printer) -> Result<ExitStatus> {
    let mut comparison = compare(&args.baselines.path, &args.live, &args.aws).await?;
    args.attribution
        .attribute(&mut comparison, &args.aws, printer)
        .await?;
    render::print(printer, args.format, &comparison);
    let report = &comparison.report;
    let failing = match args.fail_on {
        None => !report.in_sync,
        Some(level) => report.changes.iter().any(|change| change.severity >= level),
    };
    Ok(if failing {
        ExitStatus::Drift
    } else {
        ExitStatus::Success
    })
}

/// Prints the drift of `comparison` as the default table.
pub fn print_drift(printer: &mut Printer, comparison: &Comparison) {
    render::print(printer, Format::Table, comparison);
}
