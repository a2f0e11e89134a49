//! What a snapshot found and did, region by region.

use std::collections::BTreeMap;

use nacl_drift_model::sanitize::{Shown, shown};
use nacl_drift_model::{ReadError, Region};
use nacl_drift_snapshot::{FileOutcome, RegionSummary};

use crate::Printer;

/// One row per region (and a total for several): VPCs, NACLs, entries, and
/// the files created, updated, unchanged and removed; then the folder.
pub fn print_summary(
    printer: &mut Printer,
    dir: &std::path::Path,
    summaries: &BTreeMap<Region, RegionSummary>,
) {
    let mut header = vec!["region", "VPCs", "NACLs", "entries"];
    header.extend(FileOutcome::ALL.map(FileOutcome::label));
    let mut table = printer.table(header);
    let mut totals = RegionSummary::default();
    for (region, summary) in summaries {
        let mut row = vec![
            region.to_string(),
            summary.vpcs.to_string(),
            summary.acls.to_string(),
            summary.entries.to_string(),
        ];
        for column in FileOutcome::ALL {
            let count = summary.files.get(&column).copied().unwrap_or(0);
            *totals.files.entry(column).or_default() += count;
            row.push(count.to_string());
        }
        totals.vpcs += summary.vpcs;
        totals.acls += summary.acls;
        totals.entries += summary.entries;
        table.add_row(row);
    }
    if summaries.len() > 1 {
        let mut row = vec![
            "total".to_owned(),
            totals.vpcs.to_string(),
            totals.acls.to_string(),
            totals.entries.to_string(),
        ];
        row.extend(
            FileOutcome::ALL
                .map(|column| totals.files.get(&column).copied().unwrap_or(0).to_string()),
        );
        table.add_row(row);
    }
    printer.print_table(table);
    for (region, summary) in summaries {
        for vpc_id in &summary.not_found {
            printer.warning(&format!("{region}: no network ACLs found for {vpc_id}"));
        }
    }
    for summary in summaries.values() {
        for path in &summary.removed {
            printer.line(format!(
                "Removed {}: no longer in the live state",
                shown(&path.display().to_string())
            ));
        }
    }
    let kept: Vec<String> = summaries
        .values()
        .flat_map(|summary| summary.kept_unheld.iter().map(ToString::to_string))
        .collect();
    if !kept.is_empty() {
        printer.line(format!(
            "Kept the baselines of {}, which the exports do not hold: an export answers only for what it holds (pass --export-is-complete if they are gone)",
            kept.join(", ")
        ));
    }
    printer.line(format!("Baselines in {}", dir.display()));
}

/// A warning for each account-region whose subnets could not be described:
/// its files are written without new names and CIDRs (they keep those they
/// had).
pub fn warn_unlabelled(printer: &Printer, unlabelled: &[ReadError]) {
    for error in unlabelled {
        printer.warning(&format!(
            "{} {}: subnets are written without their names and CIDRs: {}",
            error.account,
            error.region,
            Shown(&error.message)
        ));
    }
}

#[cfg(test)]
mod tests {
    use nacl_drift_model::ReadError;

    use super::warn_unlabelled;
    use crate::Printer;

    #[test]
    fn a_region_without_labels_is_a_warning_on_stderr_escaped() {
        let (printer, printed, said) = Printer::capturing();
        let error = ReadError {
            account: "111122223333".parse().expect("an account"),
            region: "eu-west-1".parse().expect("a region"),
            operation: "DescribeSubnets".to_owned(),
            code: None,
            message: "denied\u{1b}[2J".to_owned(),
        };
        warn_unlabelled(&printer, &[error]);
        assert!(printed.bytes().is_empty(), "nothing on stdout");
        let said = String::from_utf8(said.bytes()).expect("UTF-8");
        assert!(
            said.starts_with(
                "warning: 111122223333 eu-west-1: subnets are written without their names and CIDRs: denied"
            ),
            "{said}"
        );
        assert!(!said.contains('\u{1b}'), "{said}");
    }
}
