//! A report for a pull-request comment or a CI job summary.

use std::fmt::Write as _;

use super::{
    acl_key, acl_label, attribution_asked, effect_lines, in_sync_line, many_accounts, severity,
    skipped_lines, summary, who_when_from,
};
use nacl_drift_diff::AssessedChange;
use nacl_drift_reconcile::Comparison;

use nacl_drift_model::AccountNames;
use nacl_drift_model::sanitize::markdown as md_cell;

pub(super) fn markdown(comparison: &Comparison, accounts: &AccountNames) -> String {
    let mut out = String::new();
    if comparison.in_sync() {
        let _ = writeln!(out, "## ✅ NACLs in sync\n\n{}", in_sync_line(comparison));
    } else {
        let names = comparison.nacl_names();
        let attributed = attribution_asked(comparison);
        let _ = writeln!(out, "## ❌ NACL drift: {}", summary(comparison));
        let many_accounts = many_accounts(comparison, accounts);
        let mut previous_acl = None;
        for AssessedChange {
            change,
            verdict,
            address,
        } in &comparison.changes
        {
            let acl = acl_key(change);
            if previous_acl != Some(acl) {
                let account = match many_accounts {
                    Some(names) => format!("{} · ", md_cell(&names.label(&change.account))),
                    None => String::new(),
                };
                let _ = writeln!(
                    out,
                    "\n### {} · {account}{} · `{}`\n\n| change | rule / subnet | baseline | live | severity |{}\n|---|---|---|---|---|{}",
                    md_cell(&acl_label(&names, &change.network_acl_id)),
                    change.region,
                    change.vpc_id,
                    if attributed {
                        " who / when / from |"
                    } else {
                        ""
                    },
                    if attributed { "---|" } else { "" },
                );
                previous_acl = Some(acl);
            }
            let who = if attributed {
                let parts: Vec<String> = who_when_from(verdict)
                    .iter()
                    .map(|part| md_cell(part))
                    .collect();
                format!(" {} |", parts.join("<br>"))
            } else {
                String::new()
            };
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} |{who}",
                change.kind().label(),
                match address {
                    Some(address) =>
                        format!("{}<br>{}", md_cell(&change.position()), md_cell(address)),
                    None => md_cell(&change.position()),
                },
                md_cell(&change.baseline_in_words()),
                md_cell(&change.live_in_words()),
                md_cell(&severity(change, verdict)),
            );
        }
    }
    let effects = effect_lines(comparison);
    if !effects.is_empty() {
        let _ = writeln!(out, "\n### Effects on traffic\n");
        for (severity, line) in effects {
            let _ = writeln!(out, "- **{}** {}", severity.label(), md_cell(&line));
        }
    }
    let skipped = skipped_lines(comparison, accounts);
    if !skipped.is_empty() {
        let _ = writeln!(
            out,
            "\n<details><summary>Skipped: {}</summary>\n",
            skipped.len()
        );
        for line in skipped {
            let _ = writeln!(out, "- {}", md_cell(&line));
        }
        let _ = writeln!(out, "\n</details>");
    }
    out
}
