//! `nacl-drift lint`: check the baselines themselves, offline, for exposure
//! to the internet, rules never reached, an allow-all ahead of denies, and
//! IPv4 denies with no IPv6 twin. Exit 2 on a finding at or above
//! `--fail-on`, 0 otherwise.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use anyhow::{Result, bail};
use comfy_table::{Cell, Color};
use nacl_drift_analysis::{Finding, Severity, lint};
use nacl_drift_model::{NetworkAclId, Region, VpcId, read_baseline_dir};
use serde::Serialize;

use crate::baseline_dir::BaselineDir;
use crate::exit_status::ExitStatus;
use crate::printer::Printer;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Table,
    Json,
    Markdown,
}

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    baselines: BaselineDir,

    /// How to print the findings.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,

    /// Exit 2 on a finding of this severity or above (critical, high,
    /// medium or low).
    #[arg(long, value_name = "SEVERITY", default_value = "low")]
    fail_on: Severity,
}

/// A finding, with the NACL it is on.
#[derive(Serialize)]
struct Located {
    region: Region,
    vpc_id: VpcId,
    network_acl_id: NetworkAclId,
    #[serde(skip)]
    name: Option<String>,
    #[serde(flatten)]
    finding: Finding,
}

#[derive(Serialize)]
struct Report<'a> {
    severity: Option<Severity>,
    findings: &'a [Located],
}

pub fn run(args: Args, printer: &mut Printer) -> Result<ExitStatus> {
    let files = read_baseline_dir(&args.baselines.path)?;
    if files.is_empty() {
        bail!("no baseline files in {}", args.baselines.path.display());
    }
    let mut findings = Vec::new();
    let mut acls = 0;
    for (_, baseline) in &files {
        for acl in &baseline.network_acls {
            acls += 1;
            findings.extend(lint(&acl.entries).into_iter().map(|finding| Located {
                region: baseline.region.clone(),
                vpc_id: baseline.vpc_id.clone(),
                network_acl_id: acl.id.clone(),
                name: acl.tags.get("Name").cloned(),
                finding,
            }));
        }
    }
    findings.sort_by_key(|located| std::cmp::Reverse(located.finding.severity));
    let worst = findings.iter().map(|f| f.finding.severity).max();
    let summary = summary(&findings, acls);
    match args.format {
        Format::Json => printer.line(
            serde_json::to_string_pretty(&Report {
                severity: worst,
                findings: &findings,
            })
            .expect("findings always serialise to JSON"),
        ),
        Format::Markdown => printer.text(&markdown(&findings, &summary)),
        Format::Table if findings.is_empty() => printer.line(summary),
        Format::Table => {
            let mut table = printer.table(["NACL", "severity", "finding"]);
            for located in &findings {
                let color = match located.finding.severity {
                    Severity::Critical | Severity::High => Color::Red,
                    Severity::Medium => Color::Yellow,
                    Severity::Low => Color::Reset,
                };
                table.add_row(vec![
                    Cell::new(format!(
                        "{}\n{} {}",
                        label(located),
                        located.region,
                        located.vpc_id
                    )),
                    printer.colored(Cell::new(located.finding.severity.label()), color),
                    Cell::new(&located.finding.message),
                ]);
            }
            printer.print_table(&table);
            printer.line(summary);
        }
    }
    let failing = worst.is_some_and(|worst| worst >= args.fail_on);
    Ok(if failing {
        ExitStatus::Drift
    } else {
        ExitStatus::Success
    })
}

fn label(located: &Located) -> String {
    match &located.name {
        Some(name) => format!("{} ({name})", located.network_acl_id),
        None => located.network_acl_id.to_string(),
    }
}

/// "3 findings in 8 NACLs: 1 critical, 2 medium".
fn summary(findings: &[Located], acls: usize) -> String {
    if findings.is_empty() {
        return format!("No findings in {acls} NACLs.");
    }
    let mut by_severity: BTreeMap<std::cmp::Reverse<Severity>, usize> = BTreeMap::new();
    for located in findings {
        *by_severity
            .entry(std::cmp::Reverse(located.finding.severity))
            .or_default() += 1;
    }
    let counts: Vec<String> = by_severity
        .iter()
        .map(|(severity, count)| format!("{count} {}", severity.0.label()))
        .collect();
    format!(
        "{} findings in {acls} NACLs: {}",
        findings.len(),
        counts.join(", ")
    )
}

fn markdown(findings: &[Located], summary: &str) -> String {
    let mut out = format!("## nacl-drift lint\n\n{summary}\n");
    if !findings.is_empty() {
        out.push_str("\n| NACL | region | severity | finding |\n|---|---|---|---|\n");
        for located in findings {
            let _ = writeln!(
                out,
                "| `{}` | {} | {} | {} |",
                label(located),
                located.region,
                located.finding.severity.label(),
                located.finding.message.replace('|', "\\|")
            );
        }
    }
    out
}
