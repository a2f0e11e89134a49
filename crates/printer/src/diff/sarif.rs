//! The drift as SARIF: each change at the line of its entry (or of its
//! NACL) in the baseline file that records it.

use std::collections::HashMap;
use std::path::Path;

use nacl_drift_diff::{AssessedChange, Change, Drift};
use nacl_drift_model::Lines;
use serde_json::Value;

use nacl_drift_assets::in_words;

use super::acl_label;
use crate::sarif::{self, RuleKind};
use nacl_drift_reconcile::Comparison;

pub(super) fn sarif_log(comparison: &Comparison) -> Value {
    let names = comparison.nacl_names();
    let lines: HashMap<&Path, Lines> = comparison
        .files
        .iter()
        .map(|(path, _)| {
            // The files were read a moment ago; one that vanished since
            // has no lines, and its results point at line 1.
            let text = std::fs::read_to_string(path).unwrap_or_default();
            (path.as_path(), Lines::of(&text))
        })
        .collect();
    let findings: Vec<sarif::SarifResult> = comparison
        .changes
        .iter()
        .filter_map(
            |AssessedChange {
                 change,
                 verdict,
                 address,
             }| {
                let (path, line) = location(comparison, &lines, change)?;
                let position = match change.position() {
                    position if position.is_empty() => position,
                    position => format!(" {position}"),
                };
                Some(sarif::SarifResult {
                    rule: RuleKind::Drift(change.kind()),
                    severity: change.severity,
                    message: format!(
                        "{} on {}{position}: the baseline has {}, live is {}{}",
                        change.kind().label(),
                        acl_label(&names, change.network_acl_id.as_str()),
                        change.baseline_in_words(),
                        change.live_in_words(),
                        in_words(&comparison.change_assets(change))
                            .map(|words| format!("; it {words}"))
                            .unwrap_or_default(),
                    ) + &address
                        .as_ref()
                        .map(|address| format!(" (Terraform: {address})"))
                        .unwrap_or_default(),
                    path,
                    line,
                    fingerprint: format!(
                        "{}/{}/{}/{}/{}",
                        change.account,
                        change.region,
                        change.network_acl_id,
                        position.trim().replace(' ', "/"),
                        sarif::rule_id(RuleKind::Drift(change.kind())),
                    ),
                    accepted: verdict.accepted.as_ref(),
                })
            },
        )
        .collect();
    sarif::log(&findings)
}

/// The baseline file that records the change's NACL, and the line of its
/// entry or of the NACL. A NACL no baseline holds points at the first line
/// of its VPC's baseline, or of a baseline of its region whose scope made
/// it count.
fn location<'a>(
    comparison: &'a Comparison,
    lines: &HashMap<&Path, Lines>,
    change: &Change,
) -> Option<(&'a Path, usize)> {
    let same_region = |baseline: &nacl_drift_model::Baseline| {
        baseline.account == change.account && baseline.region == change.region
    };
    let (path, _) = comparison
        .files
        .iter()
        .find(|(_, baseline)| same_region(baseline) && baseline.vpc_id == change.vpc_id)
        .or_else(|| {
            comparison
                .files
                .iter()
                .find(|(_, baseline)| same_region(baseline))
        })?;
    let lines = &lines[path.as_path()];
    let line = match &change.drift {
        Drift::EntryDeleted { key, .. } | Drift::EntryModified { key, .. } => lines
            .entry(&change.network_acl_id, *key)
            .or_else(|| lines.acl(&change.network_acl_id)),
        Drift::NetworkAclAdded { .. } => None,
        _ => lines.acl(&change.network_acl_id),
    };
    Some((path, line.unwrap_or(1)))
}
