//! The default format: one row per change, grouped by NACL, then the
//! effects on traffic and a summary.

use comfy_table::Color;
use nacl_drift_diff::{AssessedChange, DriftKind, Severity};

use super::{
    acl_key, acl_label, attribution_asked, effect_lines, in_sync_line, many_accounts, place,
    position, severity, skipped_lines, summary, who_when_from,
};
use crate::Printer;
use nacl_drift_reconcile::Comparison;

fn severity_color(severity: Severity) -> Color {
    match severity {
        Severity::Critical | Severity::High => Color::Red,
        Severity::Medium => Color::Yellow,
        Severity::Low => Color::Reset,
    }
}

fn kind_color(kind: DriftKind) -> Color {
    match kind {
        DriftKind::EntryDeleted | DriftKind::NetworkAclDeleted => Color::Red,
        DriftKind::EntryAdded | DriftKind::NetworkAclAdded => Color::Green,
        _ => Color::Yellow,
    }
}

pub(super) fn print_table(printer: &mut Printer, comparison: &Comparison) {
    if comparison.in_sync() {
        printer.line(in_sync_line(comparison));
    } else {
        let names = comparison.nacl_names();
        let attributed = attribution_asked(comparison);
        let mut header = vec![
            "NACL",
            "change",
            "rule / subnet",
            "baseline",
            "live",
            "severity",
        ];
        if attributed {
            header.push("who / when / from");
        }
        let mut table = printer.table(header);
        let accounts = printer.account_names().clone();
        let many_accounts = many_accounts(comparison, &accounts);
        let mut previous_acl = None;
        for AssessedChange {
            change,
            verdict,
            address,
        } in &comparison.changes
        {
            let acl = acl_key(change);
            let acl_cell = if previous_acl == Some(acl) {
                String::new()
            } else {
                format!(
                    "{}\n{}",
                    acl_label(&names, &change.network_acl_id),
                    place(change, many_accounts)
                )
            };
            previous_acl = Some(acl);
            let mut row = vec![
                Printer::cell(acl_cell),
                printer.colored(
                    Printer::cell(change.kind().label()),
                    kind_color(change.kind()),
                ),
                Printer::cell(position(change, address.as_deref())),
                Printer::cell(change.baseline_in_words()),
                Printer::cell(change.live_in_words()),
                printer.colored(
                    Printer::cell(severity(change, verdict)),
                    severity_color(change.severity),
                ),
            ];
            if attributed {
                row.push(Printer::cell(who_when_from(verdict).join("\n")));
            }
            table.add_row(row);
        }
        printer.print_table(table);
        let effects = effect_lines(comparison);
        if !effects.is_empty() {
            printer.line("Effects on traffic:");
            for (severity, line) in effects {
                printer.styled_line(
                    &format!("  [{}] {line}", severity.label()),
                    Some(severity_color(severity)).filter(|_| severity >= Severity::High),
                );
            }
        }
        printer.line(format!("Drift: {}", summary(comparison)));
    }
    let skipped = skipped_lines(comparison, printer.account_names());
    for line in skipped {
        printer.line(format!("Skipped {line}"));
    }
}
