//! `nacl-drift apply`: restore the baselines after an incident.
//!
//! Plans from a fresh diff, prints the plan, asks (or takes `--yes`), makes
//! the calls, records the ids of recreated NACLs in their baselines, then
//! diffs again and reports what drift remains. Exit 0 in sync, 2 when only
//! drift apply was told to leave remains, 1 when any call failed.

use std::io::{BufRead, IsTerminal};

use anyhow::{Context, Result, bail};
use comfy_table::Color;
use nacl_drift_analysis::EffectKind;
use nacl_drift_apply::{
    Outcome, Pace, Place, Plan, PlanOptions, Stage, Step, StepResult, check_plan_permissions,
    exposure_windows, plan, traffic_effects,
};
use nacl_drift_config::{Config, today};
use nacl_drift_model::sanitize::Shown;
use nacl_drift_model::{ObservedAcl, Operation, SubnetLabels, write_baseline};
use nacl_drift_reconcile::{Restored, restore};

use crate::accounts::{AccountArgs, print_read_errors};
use crate::attribution::AttributionArgs;
use crate::aws::AwsArgs;
use crate::baseline_dir::{BaselineDir, RegionFilter};
use crate::comparison::{Comparison, Live};
use crate::diff::print_drift;
use crate::exit_status::ExitStatus;
use crate::live::LiveFileArgs;
use crate::project;
use nacl_drift_printer::diff::position;
use nacl_drift_printer::{Printer, counted};

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    baselines: BaselineDir,

    #[command(flatten)]
    regions: RegionFilter,

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

    #[command(flatten)]
    accounts: AccountArgs,

    #[command(flatten)]
    aws: AwsArgs,
}

impl Args {
    /// The same, with `--dry-run`: what `nacl-drift plan` runs.
    pub fn dry_run(mut self) -> Self {
        self.dry_run = true;
        self
    }
}

pub async fn run(args: Args, config: &Config, printer: &mut Printer) -> Result<ExitStatus> {
    let baseline_dir = args.baselines.resolve(config);
    project::warn_expired(printer, config, today());
    let no_exports = LiveFileArgs::default();
    let source = Live::choose(&no_exports, &args.accounts, &args.aws).await?;
    let mut comparison = source
        .compare(&baseline_dir, &args.regions.regions, config)
        .await?;
    if !comparison.report.errors.is_empty() {
        print_read_errors(printer, &comparison.report.errors);
    }
    if args.attribution.requested() && !comparison.report.in_sync {
        args.attribution
            .attribute(&mut comparison, &args.aws, args.accounts.many(), printer)
            .await?;
        printer.line("The drift, and who made it:");
        print_drift(printer, &comparison);
    }
    let options = PlanOptions {
        prune: args.prune,
        recreate_missing: args.recreate_missing,
    };
    let plan = plan(&comparison.report, options);
    let live = comparison
        .live
        .iter()
        .map(|acl| {
            (
                acl.observed.acl.id.clone(),
                acl.observed.acl.entries.clone(),
            )
        })
        .collect();
    let traffic = traffic_lines(&traffic_effects(&plan, &live));
    for (step, window) in exposure_windows(&plan, &live) {
        printer.warning(&format!(
            "after call {}, this plan would briefly let through {}, which neither the live state nor the baseline allows",
            step + 1,
            window.traffic()
        ));
    }
    print_untouched(printer, &plan);
    if plan.is_empty() {
        printer.line(if comparison.report.in_sync {
            "Nothing to do: the live state matches the baselines."
        } else {
            "Nothing to do that apply was allowed to do."
        });
        return Ok(exit_for_drift(&comparison));
    }
    project::announce(printer, config, &baseline_dir);
    if args.dry_run {
        print_plan(printer, &plan, &traffic, None);
        printer.line(format!(
            "Dry run: {} planned, none made.",
            counted(plan.steps.len(), "call", "calls")
        ));
        return Ok(if comparison.report.errors.is_empty() {
            ExitStatus::Drift
        } else {
            ExitStatus::Failure
        });
    }

    let clients = source.clients(plan.steps.iter().map(Step::place));
    let pace = Pace {
        calls_per_second: args.call_rate,
        ..Pace::default()
    };
    if args.check_permissions {
        let live: Vec<(Place, ObservedAcl)> = comparison
            .live
            .iter()
            .filter_map(|acl| {
                let place = Place {
                    account: acl.observed.account.clone(),
                    region: acl.region.clone()?,
                };
                Some((place, acl.observed.clone()))
            })
            .collect();
        let result = check_plan_permissions(&plan, &clients, &live).await;
        print_plan(printer, &plan, &traffic, Some(&result));
        let denied = result.outcomes.iter().filter(|o| o.is_failure()).count();
        if denied > 0 {
            bail!("{denied} of {} planned calls would fail", plan.steps.len());
        }
        let unchecked = result
            .outcomes
            .iter()
            .filter(|outcome| !matches!(outcome, Outcome::Permitted))
            .count();
        if unchecked > 0 {
            printer.line(format!(
                "{unchecked} of {} planned calls could not be checked (see above). Nothing was changed.",
                plan.steps.len()
            ));
            return Ok(ExitStatus::Drift);
        }
        printer.line("Every planned call is permitted. Nothing was changed.");
        return Ok(ExitStatus::Success);
    }
    if !args.yes {
        print_plan(printer, &plan, &traffic, None);
        if !confirm(printer, &plan)? {
            bail!("not applied: the answer was not yes");
        }
    }

    let Restored {
        executed,
        recreated,
    } = restore(&comparison, &plan, &clients, pace).await;
    print_plan(printer, &plan, &traffic, Some(&executed));
    for baseline in &recreated {
        // The file keeps the labels it had.
        let (path, _) = write_baseline(&baseline_dir, baseline, &SubnetLabels::new())?;
        printer.line(format!(
            "Recorded the recreated NACLs' new ids in {}: commit it.",
            path.display()
        ));
    }
    let failed = executed.outcomes.iter().filter(|o| o.is_failure()).count();

    let after = source
        .compare(&baseline_dir, &args.regions.regions, config)
        .await
        .context("cannot verify the restore")?;
    if after.report.in_sync {
        printer.line("Verified: the live state matches the baselines.");
    } else {
        printer.line("Drift that remains:");
        print_drift(printer, &after);
    }
    if failed > 0 {
        bail!(
            "{failed} of {} calls failed; the others were made",
            plan.steps.len()
        );
    }
    Ok(exit_for_drift(&after))
}

/// 1 when an account-region could not be read, else 2 while drift remains
/// that the config does not accept.
fn exit_for_drift(comparison: &Comparison) -> ExitStatus {
    if !comparison.report.errors.is_empty() {
        ExitStatus::Failure
    } else if comparison.report.unaccepted().next().is_none() {
        ExitStatus::Success
    } else {
        ExitStatus::Drift
    }
}

/// Asks on a terminal; refuses anywhere else.
fn confirm(printer: &Printer, plan: &Plan) -> Result<bool> {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        bail!("refusing to apply without --yes: there is no terminal to ask on");
    }
    let acls: std::collections::BTreeSet<_> =
        plan.steps.iter().map(|s| &s.network_acl_id).collect();
    printer.prompt(&format!(
        "Make {} {} on {}? Type yes to apply: ",
        if plan.steps.len() == 1 {
            "this"
        } else {
            "these"
        },
        counted(plan.steps.len(), "call", "calls"),
        counted(acls.len(), "NACL", "NACLs")
    ))?;
    let mut answer = String::new();
    stdin.lock().read_line(&mut answer)?;
    Ok(answer.trim() == "yes")
}

/// For each step, the traffic it closes or reopens, one line each.
fn traffic_lines(effects: &[Vec<nacl_drift_analysis::Effect>]) -> Vec<String> {
    effects
        .iter()
        .map(|effects| {
            effects
                .iter()
                .map(|effect| {
                    let verb = match effect.kind {
                        EffectKind::NewlyDenied => "closes",
                        EffectKind::NewlyAllowed => "reopens",
                    };
                    format!("{verb} {}", effect.traffic())
                })
                .collect::<Vec<_>>()
                .join("\n")
        })
        .collect()
}

/// The plan, one row per call, with the traffic each closes or reopens;
/// with a result, the outcome of each.
fn print_plan(printer: &mut Printer, plan: &Plan, traffic: &[String], result: Option<&StepResult>) {
    let mut header = vec!["#", "stage", "NACL", "call", "what", "traffic"];
    if result.is_some() {
        header.push("result");
    }
    let mut table = printer.table(header);
    for (index, step) in plan.steps.iter().enumerate() {
        let stage = match step.stage {
            Stage::Close => "1 close",
            Stage::Open => "2 open",
        };
        let mut acl = format!("{} {}", step.network_acl_id, step.region);
        if step.recreates {
            acl.push_str(" (recreated)");
        }
        let traffic = match traffic[index].as_str() {
            "" if matches!(
                step.operation(),
                Operation::CreateTags | Operation::DeleteTags | Operation::CreateNetworkAcl
            ) =>
            {
                ""
            }
            "" => "no effective change",
            lines => lines,
        };
        let mut row = vec![
            Printer::cell((index + 1).to_string()),
            Printer::cell(stage),
            Printer::cell(acl),
            Printer::cell(step.operation().name()),
            Printer::cell(step.describe()),
            Printer::cell(traffic),
        ];
        if let Some(result) = result {
            let outcome = &result.outcomes[index];
            let color = match outcome {
                Outcome::Done | Outcome::AlreadyDone(_) | Outcome::Permitted => Color::Green,
                Outcome::Failed(_) => Color::Red,
                Outcome::Skipped(_) => Color::Yellow,
            };
            row.push(printer.colored(Printer::cell(outcome.to_string()), color));
        }
        table.add_row(row);
    }
    printer.print_table(table);
}

fn print_untouched(printer: &mut Printer, plan: &Plan) {
    for (change, why) in &plan.untouched {
        let what = match position(change) {
            position if position.is_empty() => position,
            position => format!(" {position}"),
        };
        let because = match (&change.accepted, &change.monitor_only) {
            (Some(accepted), _) => {
                format!(
                    " (\"{}\", until {})",
                    Shown(&accepted.reason),
                    accepted.expires
                )
            }
            (None, Some(reason)) => format!(" (\"{}\")", Shown(reason)),
            (None, None) => change
                .held
                .as_ref()
                .map(|reason| format!(" (\"{}\")", Shown(reason)))
                .unwrap_or_default(),
        };
        printer.line(format!(
            "Left alone: {} on {}{what}: {why}{because}",
            change.kind().label(),
            change.network_acl_id
        ));
    }
}
