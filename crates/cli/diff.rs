//! `nacl-drift diff`: compare live state with the baselines.
//!
//! Live state is read for exactly the scope the baselines record (their
//! regions and VPC filters) and only for the caller's account, which STS
//! names before anything else is read. `--live-file` reads exports instead;
//! then the account is the exports' owner. With `--accounts` or `--org`,
//! each account's baselines are compared with its own live state; an
//! account-region that cannot be read is listed in `errors`, never as
//! deleted. Exit 0 in sync, 2 on drift, 1 on error (an unread account-region
//! among them).

use std::path::PathBuf;

use anyhow::{Context, Result};
use nacl_drift_config::{Config, today};
use nacl_drift_diff::Severity;
use nacl_drift_model::Region;
use nacl_drift_printer::Printer;
use nacl_drift_printer::diff::{self as render, Format};
use nacl_drift_reconcile::{Exposure, WithTerraform};

use crate::attribution::{Attribution, AttributionArgs};
use crate::aws::{RunTarget, TargetArgs};
use crate::baseline_dir::IntentArgs;
use crate::comparison::{Comparison, Live};
use crate::exit_status::ExitStatus;
use crate::live::{LiveFileArgs, LiveFiles};
use crate::project;
use nacl_drift_printer::accounts::print_read_errors;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    intent: IntentArgs,

    #[command(flatten)]
    live: LiveFileArgs,

    /// How to print the report [default: the config file's `format`, else
    /// table].
    #[arg(long, value_enum)]
    format: Option<Format>,

    /// Also write the report in FORMAT to FILE, from the same comparison
    /// (e.g. markdown=summary.md sarif=drift.sarif); repeat for several.
    #[arg(long = "write", value_name = "FORMAT=FILE", value_parser = format_and_file)]
    writes: Vec<(Format, PathBuf)>,

    /// Also list the drift the config file accepts (JSON always lists it,
    /// marked `accepted`).
    #[arg(long)]
    show_accepted: bool,

    #[command(flatten)]
    attribution: AttributionArgs,

    /// For each effect, the network interfaces it newly exposes to the
    /// internet or cuts off (DescribeNetworkInterfaces, DescribeSecurityGroups,
    /// DescribeRouteTables, each account-region read once) [default: the
    /// config file's `[assets] enabled`].
    #[arg(long)]
    assets: bool,

    /// Exit 2 only when some drift at or above --fail-on (any, without it)
    /// newly exposes a network interface; implies --assets.
    #[arg(long)]
    fail_on_exposed: bool,

    /// Exit 2 only when some change reaches this severity (critical, high,
    /// medium or low), and 0 otherwise [default: the config file's
    /// `fail_on`, else any change]. Accepted drift never counts.
    #[arg(long, value_name = "SEVERITY")]
    fail_on: Option<Severity>,

    #[command(flatten)]
    target: TargetArgs,
}

/// `diff`, resolved: what to compare, how to print it, when to fail.
struct Settings {
    intent: WithTerraform,
    regions: Vec<Region>,
    live_files: LiveFiles,
    format: Format,
    writes: Vec<(Format, PathBuf)>,
    fail_on: Option<Severity>,
    show_accepted: bool,
    attribution: Attribution,
    assets: bool,
    fail_on_exposed: bool,
    target: RunTarget,
}

impl Args {
    /// The flags, with the config file's defaults.
    fn resolve(self, config: &Config) -> Result<Settings> {
        let target = self.target.resolve(config);
        Ok(Settings {
            format: project::format(self.format, config, "diff")?.unwrap_or(Format::Table),
            writes: self.writes,
            fail_on: self.fail_on.or(config.fail_on),
            intent: self.intent.resolve(config, &target.aws),
            regions: self.intent.regions.regions,
            live_files: self.live.resolve(),
            show_accepted: self.show_accepted,
            attribution: self.attribution.resolve(),
            assets: self.assets || self.fail_on_exposed || config.assets,
            fail_on_exposed: self.fail_on_exposed,
            target,
        })
    }
}

pub async fn run(args: Args, config: &Config, printer: &mut Printer) -> Result<ExitStatus> {
    let settings = args.resolve(config)?;
    let format = settings.format;
    project::warn_expired(printer, config, today());
    let live = Live::choose(&settings.live_files, &settings.target).await?;
    printer.name_accounts(live.account_names());
    let many = settings.target.accounts.many();
    let attribution = &settings.attribution;
    let events = attribution.source(&settings.target.aws, many).await?;
    let (mut comparison, assessing) = live
        .compare(
            &settings.intent,
            &settings.regions,
            config,
            settings.assets,
            attribution.events(&events),
        )
        .await?;
    for note in &comparison.intent_notes {
        printer.note(note);
    }
    attribution.explain(&comparison, &assessing, printer);
    render::warn_unread_assets(printer, &comparison);
    let exposure = settings
        .fail_on_exposed
        .then(|| comparison.exposure(settings.fail_on));
    let failing = match settings.fail_on {
        _ if exposure.is_some() => exposure == Some(Exposure::Exposed),
        None => comparison.unaccepted().next().is_some(),
        Some(level) => comparison
            .unaccepted()
            .any(|change| change.severity >= level),
    };
    let errors = comparison.errors.clone();
    let comparison_unchecked = comparison
        .unchecked(settings.target.accounts.narrowed())
        .len();
    for (written, file) in &settings.writes {
        let (mut to_file, printed) = Printer::in_memory();
        to_file.name_accounts(printer.account_names().clone());
        render::report(
            &mut to_file,
            *written,
            &mut comparison.clone(),
            settings.show_accepted,
        );
        std::fs::write(file, printed.bytes())
            .with_context(|| format!("cannot write the report to {}", file.display()))?;
    }
    render::report(printer, format, &mut comparison, settings.show_accepted);
    // The command ends here: its largest value, every NACL of both sides,
    // is left to the exit rather than freed piece by piece (10 ms of the
    // quarter second a diff of 5,000 NACLs takes).
    std::mem::forget(comparison);
    if !errors.is_empty() {
        if matches!(format, Format::Json | Format::Sarif | Format::Asff) {
            for error in &errors {
                printer.warning(&format!("could not read {error}"));
            }
        } else {
            print_read_errors(printer, &errors);
        }
        return Ok(ExitStatus::Failure);
    }
    if let Some(Exposure::Unknown(unknown)) = exposure {
        printer.error(&format!(
            "--fail-on-exposed cannot tell whether the drift exposes anything: {}",
            unknown.join("; ")
        ));
        return Ok(ExitStatus::Failure);
    }
    let unchecked = comparison_unchecked;
    if unchecked > 0 {
        printer.error(&format!(
            "{unchecked} baselines, NACLs or subnets were not compared (listed as skipped): a gate that skipped something is not green; name the accounts on purpose (--account, --accounts), narrow with --region, or export what is missing"
        ));
        return Ok(ExitStatus::Failure);
    }
    Ok(if failing {
        ExitStatus::Found
    } else {
        ExitStatus::Success
    })
}

/// Prints the drift of `comparison` as the default table.
pub fn print_drift(printer: &mut Printer, comparison: &Comparison) {
    render::print(printer, Format::Table, comparison);
}

/// `FORMAT=FILE`, for `--write`.
fn format_and_file(text: &str) -> Result<(Format, PathBuf), String> {
    let (format, file) = text
        .split_once('=')
        .ok_or_else(|| format!("{text:?} is not FORMAT=FILE (e.g. sarif=nacl-drift.sarif)"))?;
    let format = <Format as clap::ValueEnum>::from_str(format, true)?;
    Ok((format, PathBuf::from(file)))
}
