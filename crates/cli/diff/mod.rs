//! `nacl-drift diff`: compare live state with the baselines.
//!
//! Live state is read for exactly the scope the baselines record (their
//! regions and VPC filters) and only for the caller's account, which STS
//! names before anything else is read. `--live-file` reads exports instead;
//! then the account is the exports' owner. Exit 0 in sync, 2 on drift,
//! 1 on error.

mod render;

use anyhow::Result;
use nacl_drift_config::{Config, today};
use nacl_drift_diff::Severity;

use crate::attribution::AttributionArgs;
use crate::aws::AwsArgs;
use crate::baseline_dir::BaselineDir;
use crate::comparison::{Comparison, compare};
use crate::exit_status::ExitStatus;
use crate::live::LiveFileArgs;
use crate::printer::Printer;
use crate::project;

pub use render::{Format, position};

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    baselines: BaselineDir,

    #[command(flatten)]
    live: LiveFileArgs,

    /// How to print the report [default: the config file's `format`, else
    /// table].
    #[arg(long, value_enum)]
    format: Option<Format>,

    /// Also list the drift the config file accepts (JSON always lists it,
    /// marked `accepted`).
    #[arg(long)]
    show_accepted: bool,

    #[command(flatten)]
    attribution: AttributionArgs,

    /// Exit 2 only when some change reaches this severity (critical, high,
    /// medium or low), and 0 otherwise [default: the config file's
    /// `fail_on`, else any change]. Accepted drift never counts.
    #[arg(long, value_name = "SEVERITY")]
    fail_on: Option<Severity>,

    #[command(flatten)]
    aws: AwsArgs,
}

pub async fn run(args: Args, config: &Config, printer: &mut Printer) -> Result<ExitStatus> {
    let format = project::format(args.format, config, "diff")?.unwrap_or(Format::Table);
    let fail_on = args.fail_on.or(config.fail_on);
    let baseline_dir = args.baselines.resolve(config);
    project::warn_expired(printer, config, today());
    let mut comparison = compare(&baseline_dir, &args.live, &args.aws, config).await?;
    args.attribution
        .attribute(&mut comparison, &args.aws, printer)
        .await?;
    let report = &comparison.report;
    let failing = match fail_on {
        None => report.unaccepted().next().is_some(),
        Some(level) => report.unaccepted().any(|change| change.severity >= level),
    };
    if args.show_accepted || matches!(format, Format::Json | Format::Sarif) {
        render::print(printer, format, &comparison);
    } else {
        let accepted = hide_accepted(&mut comparison);
        let (changes, them) = if accepted == 1 {
            ("change", "it")
        } else {
            ("changes", "them")
        };
        if accepted > 0 && comparison.report.changes.is_empty() {
            printer.line(format!(
                "No drift but what the config file accepts: {accepted} accepted {changes}; --show-accepted lists {them}."
            ));
        } else {
            render::print(printer, format, &comparison);
            if accepted > 0 {
                printer.line(format!(
                    "{accepted} accepted {changes} not shown (the config file accepts {them}): --show-accepted lists {them}."
                ));
            }
        }
    }
    Ok(if failing {
        ExitStatus::Drift
    } else {
        ExitStatus::Success
    })
}

/// Takes the accepted changes, and the traffic effects only they cause, out
/// of the report people read; returns how many changes it took out.
fn hide_accepted(comparison: &mut Comparison) -> usize {
    let report = &mut comparison.report;
    let before = report.changes.len();
    report.changes.retain(|change| change.accepted.is_none());
    report.effects.retain(|effect| effect.accepted.is_none());
    report.in_sync = report.changes.is_empty();
    before - report.changes.len()
}

/// Prints the drift of `comparison` as the default table.
pub fn print_drift(printer: &mut Printer, comparison: &Comparison) {
    render::print(printer, Format::Table, comparison);
}
