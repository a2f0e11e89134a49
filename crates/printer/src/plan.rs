//! A restore's plan: one row per call, with the traffic each closes or
//! reopens and, once made, its outcome; and the drift a plan leaves alone,
//! with why.

use comfy_table::Color;
use nacl_drift_analysis::{Effect, EffectKind};
use nacl_drift_apply::{
    Outcome, Plan, Stage, StepResult, Untouched, exposure_windows, traffic_effects,
};
use nacl_drift_model::Operation;
use nacl_drift_model::sanitize::Shown;
use nacl_drift_reconcile::{Closed, Comparison, rfc3339};

use crate::Printer;

/// For each step, the traffic it closes or reopens, one line each.
fn traffic_lines(effects: &[Vec<Effect>]) -> Vec<String> {
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

/// What checking each planned call's permission (DryRun) came to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Permissions {
    /// This many calls would fail.
    Denied(usize),
    /// Some calls could not be checked.
    Unchecked,
    /// Every call is permitted.
    Permitted,
}

/// Prints `plan` with each call's permission in `result`, and what the
/// check came to (nothing was changed).
pub fn print_permission_check(
    printer: &mut Printer,
    plan: &Plan,
    traffic: &[String],
    result: &StepResult,
) -> Permissions {
    print_plan(printer, plan, traffic, Some(result));
    let denied = result.outcomes.iter().filter(|o| o.is_failure()).count();
    if denied > 0 {
        return Permissions::Denied(denied);
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
        return Permissions::Unchecked;
    }
    printer.line("Every planned call is permitted. Nothing was changed.");
    Permissions::Permitted
}

/// The question before `plan`'s calls are made.
pub fn confirmation(plan: &Plan) -> String {
    let acls: std::collections::BTreeSet<_> =
        plan.steps.iter().map(|step| &step.network_acl_id).collect();
    format!(
        "Make {} {} on {}? Type yes to apply: ",
        if plan.steps.len() == 1 {
            "this"
        } else {
            "these"
        },
        crate::counted(plan.steps.len(), "call", "calls"),
        crate::counted(acls.len(), "NACL", "NACLs")
    )
}

/// The plan, one row per call, with the traffic each closes or reopens;
/// with a result, the outcome of each.
pub fn print_plan(
    printer: &mut Printer,
    plan: &Plan,
    traffic: &[String],
    result: Option<&StepResult>,
) {
    let mut header = vec!["#", "stage", "NACL", "call", "what", "traffic"];
    if result.is_some() {
        header.push("result");
    }
    // Of more than one account: each step names its account.
    let accounts = plan
        .steps
        .iter()
        .any(|step| step.account != plan.steps[0].account)
        .then(|| printer.account_names().clone());
    let mut table = printer.table(header);
    for (index, step) in plan.steps.iter().enumerate() {
        let stage = match step.stage {
            Stage::Close => "1 close",
            Stage::Open => "2 open",
        };
        let mut acl = match &accounts {
            Some(names) => format!(
                "{} {} {}",
                step.network_acl_id,
                names.label(&step.account),
                step.region
            ),
            None => format!("{} {}", step.network_acl_id, step.region),
        };
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

/// For each step of `plan`, the traffic it closes or reopens.
pub fn plan_traffic(comparison: &Comparison, plan: &Plan) -> Vec<String> {
    traffic_lines(&traffic_effects(plan, &comparison.live_entries()))
}

/// What comes before a restore's calls: the traffic the plan would
/// briefly let through, what it leaves alone, and, when it is empty, why.
pub fn print_plan_notes(printer: &mut Printer, comparison: &Comparison, plan: &Plan) {
    let live = comparison.live_entries();
    for (step, window) in exposure_windows(plan, &live) {
        printer.warning(&format!(
            "after call {}, this plan would briefly let through {}, which neither the live state nor the baseline allows",
            step + 1,
            window.traffic()
        ));
    }
    print_untouched(printer, plan);
    if plan.is_empty() {
        printer.line(if comparison.in_sync() {
            "Nothing to do: the live state matches the baselines."
        } else {
            "Nothing to do that apply was allowed to do."
        });
    }
}

/// Each window the restore closed: what, since when and by whom, for how
/// long.
pub fn print_closed(printer: &mut Printer, closed: &[Closed]) {
    for closed in closed {
        let change = &closed.change;
        let since = match (&closed.opened, closed.duration()) {
            (Some(opened), Some(held)) => format!(
                "open since {} by {}, for {}",
                rfc3339(opened.at),
                Shown(&opened.by.who()),
                humantime::format_duration(std::time::Duration::from_secs(
                    held.max(0).unsigned_abs()
                ))
            ),
            _ => "open since a time no event says".to_owned(),
        };
        printer.line(format!(
            "Closed at {}: {} {} ({}): {since}.",
            rfc3339(closed.closed_at),
            change.network_acl_id,
            change.position(),
            change.kind().label()
        ));
    }
}

/// Each change the plan leaves alone, and why.
fn print_untouched(printer: &mut Printer, plan: &Plan) {
    for Untouched {
        change,
        verdict,
        why,
    } in &plan.untouched
    {
        let what = match change.position() {
            position if position.is_empty() => position,
            position => format!(" {position}"),
        };
        let because = match (&verdict.accepted, &verdict.monitor_only) {
            (Some(accepted), _) => {
                format!(
                    " (\"{}\", until {})",
                    Shown(&accepted.reason),
                    accepted.expires
                )
            }
            (None, Some(reason)) => format!(" (\"{}\")", Shown(reason)),
            (None, None) => verdict
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
