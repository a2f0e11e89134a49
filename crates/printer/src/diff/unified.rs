//! Each baseline file with drift, against the live state of its VPC written
//! the same way, as a unified diff.

use std::collections::BTreeSet;

use comfy_table::Color;
use nacl_drift_diff::live_baseline;
use nacl_drift_model::sanitize::shown;
use nacl_drift_model::{Baseline, Region, VpcId};
use similar::TextDiff;

use super::in_sync_line;
use crate::Printer;
use nacl_drift_reconcile::Comparison;

/// Each baseline file with drift, against the live state of its VPC written
/// the same way; then each VPC that has NACLs in scope but no baseline.
pub(super) fn print_unified(printer: &mut Printer, comparison: &Comparison) {
    if comparison.in_sync() {
        printer.line(in_sync_line(comparison));
        return;
    }
    let drifted: BTreeSet<(&Region, &VpcId)> = comparison
        .changes
        .iter()
        .map(|assessed| (&assessed.change.region, &assessed.change.vpc_id))
        .collect();
    let skipped = &comparison.skipped;
    let mut printed = BTreeSet::new();
    for (path, baseline) in &comparison.files {
        let vpc = (&baseline.region, &baseline.vpc_id);
        if !drifted.contains(&vpc) || skipped.iter().any(|s| s.path.as_ref() == Some(path)) {
            continue;
        }
        printed.insert(vpc);
        let live = reviewable(live_baseline(baseline, &comparison.live));
        let name = shown(&path.display().to_string()).into_owned();
        print_text_diff(
            printer,
            &reviewable(baseline.clone()),
            &live,
            &name,
            &format!("{name} (live)"),
        );
    }
    let template = comparison
        .files
        .iter()
        .find(|(_, b)| !skipped.iter().any(|s| s.account == b.account));
    for (region, vpc_id) in drifted.difference(&printed) {
        let Some((_, template)) = template else {
            continue;
        };
        let mut empty = template.clone();
        empty.region = (*region).clone();
        empty.vpc_id = (*vpc_id).clone();
        empty.network_acls.clear();
        let live = reviewable(live_baseline(&empty, &comparison.live));
        let name = empty.relative_path().display().to_string();
        print_text_diff(
            printer,
            "",
            &live,
            "/dev/null",
            &format!("{name} (live, no baseline)"),
        );
    }
}

/// The file's YAML with its tags escaped ([`shown`]): a tag value with a
/// line break would be written as a block of lines, each of which a CI log
/// could read as a command.
fn reviewable(mut baseline: Baseline) -> String {
    for acl in &mut baseline.network_acls {
        acl.tags = acl
            .tags
            .iter()
            .map(|(key, value)| (shown(key).into_owned(), shown(value).into_owned()))
            .collect();
    }
    baseline.to_yaml()
}

fn print_text_diff(printer: &mut Printer, old: &str, new: &str, old_name: &str, new_name: &str) {
    let diff = TextDiff::from_lines(old, new);
    let text = diff
        .unified_diff()
        .context_radius(3)
        .header(old_name, new_name)
        .to_string();
    for line in text.lines() {
        let color = match line.as_bytes().first() {
            Some(b'+') if !line.starts_with("+++") => Some(Color::Green),
            Some(b'-') if !line.starts_with("---") => Some(Color::Red),
            Some(b'@') => Some(Color::Cyan),
            _ => None,
        };
        printer.styled_line(line, color);
    }
}
