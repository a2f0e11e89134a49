//! `nacl-drift apply`: restore the baselines after an incident.
//!
//! Plans from a fresh diff, prints the plan, asks (or takes `--yes`), makes
//! the calls, records the ids of recreated NACLs in their baselines, then
//! diffs again and reports what drift remains. Exit 0 in sync, 2 when only
//! drift apply was told to leave remains, 1 when any call failed.

use std::collections::BTreeMap;
use std::io::{BufRead, IsTerminal};
use std::path::Path;

use anyhow::{Context, Result, bail};
use nacl_drift_apply::{Pace, Plan, PlanOptions, check_plan_permissions};
use nacl_drift_attribution::now;
use nacl_drift_config::{Config, today};
use nacl_drift_model::{Place, Region, SubnetLabels, write_baseline};
use nacl_drift_printer::plan::{
    Permissions, confirmation, plan_traffic, print_closed, print_permission_check, print_plan,
    print_plan_notes,
};
use nacl_drift_printer::{Printer, counted};
use nacl_drift_reconcile::{
    Assessing, AssetSource, Enrichers, IntentSource, Policy, ReconcileError, Reconciled,
    WithTerraform, reconcile_deciding,
};

use crate::attribution::{Attribution, AttributionArgs};
use crate::aws::{RunTarget, TargetArgs};
use crate::baseline_dir::IntentArgs;
use crate::comparison::{Comparison, Live};
use crate::diff::print_drift;
use crate::doctor::TextOrJson;
use crate::exit_status::ExitStatus;
use crate::live::LiveFiles;
use crate::project;
use nacl_drift_printer::accounts::print_read_errors;
use nacl_drift_printer::diff::warn_unread_assets;

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    intent: IntentArgs,

    /// Print the plan and stop: exit 0 when there is nothing to do, 2 when there is.
    #[arg(long)]
    dry_run: bool,

    /// Apply without asking.
    #[arg(long)]
    yes: bool,

    /// Also delete live entries that the baseline lacks.
    #[arg(long)]
    prune: bool,

    /// Recreate deleted NACLs with their entries, tags and subnets, and
    /// record their new ids in the baselines.
    #[arg(long)]
    recreate_missing: bool,

    /// Check each planned call with EC2's DryRun flag, report, and stop.
    #[arg(long)]
    check_permissions: bool,

    /// At most this many calls a second in each account and region, after a
    /// burst of five seconds' worth: EC2 refills 5 a second, for every
    /// caller in the account.
    #[arg(long, value_name = "N", default_value_t = Pace::default().calls_per_second,
          value_parser = clap::value_parser!(u32).range(1..))]
    call_rate: u32,

    #[command(flatten)]
    attribution: AttributionArgs,

    /// Before the plan, the network interfaces each effect of the drift
    /// newly exposes or cuts off [default: the config file's `[assets]
    /// enabled`].
    #[arg(long)]
    assets: bool,

    /// Text, or one JSON record (the text then goes to stderr).
    #[arg(long, value_enum, default_value_t = TextOrJson::Text)]
    format: TextOrJson,

    #[command(flatten)]
    target: TargetArgs,
}

impl Args {
    /// The same, with `--dry-run`: what `nacl-drift plan` runs.
    pub fn dry_run(mut self) -> Self {
        self.dry_run = true;
        self
    }
}

/// How far `apply` goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    /// Print the plan and stop (`--dry-run`).
    DryRun,
    /// Check each call with DryRun, and stop (`--check-permissions`).
    CheckPermissions,
    /// Ask, then restore.
    Ask,
    /// Restore without asking (`--yes`).
    Yes,
}

/// `apply`, resolved.
struct Settings {
    intent: WithTerraform,
    regions: Vec<Region>,
    mode: Mode,
    /// What the plan may undo, and how fast the calls are made.
    policy: Policy,
    attribution: Attribution,
    assets: bool,
    target: RunTarget,
}

impl Args {
    /// The flags, with the config file's baseline folder.
    fn resolve(self, config: &Config) -> Settings {
        let mode = match (self.dry_run, self.check_permissions, self.yes) {
            (true, _, _) => Mode::DryRun,
            (false, true, _) => Mode::CheckPermissions,
            (false, false, true) => Mode::Yes,
            (false, false, false) => Mode::Ask,
        };
        let target = self.target.resolve(config);
        Settings {
            intent: self.intent.resolve(config, &target.aws),
            regions: self.intent.regions.regions,
            mode,
            policy: Policy {
                restore: true,
                plan: PlanOptions {
                    prune: self.prune,
                    recreate_missing: self.recreate_missing,
                },
                pace: Pace {
                    calls_per_second: self.call_rate,
                    ..Pace::default()
                },
            },
            attribution: self.attribution.resolve(),
            assets: self.assets || config.assets,
            target,
        }
    }
}

pub async fn run(args: Args, config: &Config, printer: &mut Printer) -> Result<ExitStatus> {
    let json = args.format == TextOrJson::Json;
    if json {
        printer.people_on_stderr();
    }
    let settings = args.resolve(config);
    let baseline_dir = &settings.intent.folder.path;
    project::warn_expired(printer, config, today());
    let no_exports = LiveFiles::default();
    let live = Live::choose(&no_exports, &settings.target).await?;
    printer.name_accounts(live.account_names());
    let source = live
        .source()
        .context("apply restores on AWS, not on exports")?;
    let baselines = settings.intent.intent(&settings.regions).await?;
    let clients = source.clients(baselines.places());
    let policy = settings.policy.clone();
    let many = settings.target.accounts.many();
    let events = settings
        .attribution
        .source(&settings.target.aws, many)
        .await?;
    let with = Enrichers {
        events: settings.attribution.events(&events),
        assets: settings.assets.then_some(&source as &dyn AssetSource),
        ..Enrichers::judging(config, today())
    };
    // How the run ends when it stops before a restore.
    let mut stopped = ExitStatus::Success;
    let decide = async |comparison: &Comparison, assessing: &Assessing, plan: &Plan| {
        let place = (config, baseline_dir.as_path());
        let found = (comparison, assessing);
        if let Some(status) = decide(&settings, place, found, plan, &clients, printer).await? {
            stopped = status;
            return Ok(false);
        }
        if settings.mode == Mode::Ask {
            print_plan(printer, plan, &plan_traffic(comparison, plan), None);
            if !confirm(printer, plan)? {
                bail!("not applied: the answer was not yes");
            }
        }
        // Last, just before the calls: a terraform run that took the
        // state's lock meanwhile may be applying what the state does not
        // say yet.
        if let Some(lock) = settings.intent.lock().await? {
            return Err(ReconcileError::Locked(Box::new(lock)).into());
        }
        Ok(true)
    };
    let reconciled =
        reconcile_deciding(baselines, source.clone(), &clients, policy, &with, decide).await?;
    let verified = now();
    if json {
        printer.record(reconciled.json(verified)?.to_string());
    }
    let closed = reconciled.closed(verified);
    let Reconciled {
        before,
        plan,
        restored: Some(restored),
        after: Some(after),
        ..
    } = reconciled
    else {
        return Ok(stopped);
    };
    print_plan(
        printer,
        &plan,
        &plan_traffic(&before, &plan),
        Some(&restored.executed),
    );
    for baseline in &restored.recreated {
        // The file keeps the labels it had.
        let (path, _) = write_baseline(baseline_dir, baseline, &SubnetLabels::new())?;
        printer.line(format!(
            "Recorded the recreated NACLs' new ids in {}: commit it.",
            path.display()
        ));
    }
    print_closed(printer, &closed);
    if after.in_sync() {
        printer.line("Verified: the live state matches the baselines.");
    } else {
        printer.line("Drift that remains:");
        print_drift(printer, &after);
    }
    let failed = restored
        .executed
        .outcomes
        .iter()
        .filter(|o| o.is_failure())
        .count();
    if failed > 0 {
        bail!(
            "{failed} of {} calls failed; the others were made",
            plan.steps.len()
        );
    }
    Ok(exit_for_drift(&after))
}

/// Everything before the restore: the drift and who made it, the plan's
/// warnings and what it leaves alone, and `--dry-run` and
/// `--check-permissions`, which end the run here (as an empty plan does):
/// how the run ends then, or `None` when the restore may go on.
async fn decide(
    settings: &Settings,
    (config, baseline_dir): (&Config, &Path),
    (comparison, assessing): (&Comparison, &Assessing),
    plan: &Plan,
    clients: &BTreeMap<Place, nacl_drift_aws::Ec2>,
    printer: &mut Printer,
) -> Result<Option<ExitStatus>> {
    if !comparison.errors.is_empty() {
        print_read_errors(printer, &comparison.errors);
    }
    let attributing = settings.attribution.requested() && !comparison.in_sync();
    if attributing {
        settings.attribution.explain(comparison, assessing, printer);
    }
    let finding_assets = settings.assets && !comparison.in_sync();
    if finding_assets {
        warn_unread_assets(printer, comparison);
    }
    if attributing || finding_assets {
        printer.line(match (attributing, finding_assets) {
            (true, true) => "The drift, who made it, and what it reaches:",
            (true, false) => "The drift, and who made it:",
            _ => "The drift, and what it reaches:",
        });
        print_drift(printer, comparison);
    }
    print_plan_notes(printer, comparison, plan);
    if plan.is_empty() {
        return Ok(Some(exit_for_drift(comparison)));
    }
    project::announce(printer, config, baseline_dir);
    let traffic = plan_traffic(comparison, plan);
    if settings.mode == Mode::DryRun {
        print_plan(printer, plan, &traffic, None);
        printer.line(format!(
            "Dry run: {} planned, none made.",
            counted(plan.steps.len(), "call", "calls")
        ));
        return Ok(Some(if comparison.errors.is_empty() {
            ExitStatus::Found
        } else {
            ExitStatus::Failure
        }));
    }
    if settings.mode != Mode::CheckPermissions {
        return Ok(None);
    }
    let live = comparison.live_by_place();
    let result = check_plan_permissions(plan, clients, &live).await;
    Ok(Some(
        match print_permission_check(printer, plan, &traffic, &result) {
            Permissions::Denied(denied) => {
                bail!("{denied} of {} planned calls would fail", plan.steps.len())
            }
            Permissions::Unchecked => ExitStatus::Found,
            Permissions::Permitted => ExitStatus::Success,
        },
    ))
}

/// 1 when an account-region could not be read, else 2 while drift remains
/// that the config does not accept.
fn exit_for_drift(comparison: &Comparison) -> ExitStatus {
    if !comparison.errors.is_empty() {
        ExitStatus::Failure
    } else if comparison.unaccepted().next().is_none() {
        ExitStatus::Success
    } else {
        ExitStatus::Found
    }
}

/// Asks on a terminal; refuses anywhere else.
fn confirm(printer: &Printer, plan: &Plan) -> Result<bool> {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        bail!("refusing to apply without --yes: there is no terminal to ask on");
    }
    printer.prompt(&confirmation(plan))?;
    let mut answer = String::new();
    stdin.lock().read_line(&mut answer)?;
    Ok(answer.trim() == "yes")
}
