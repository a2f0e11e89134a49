//! `nacl-drift lint`: check the baselines themselves, offline, for exposure
//! to the internet, rules never reached, an allow-all ahead of denies, and
//! IPv4 denies with no IPv6 twin. Exit 2 on a finding at or above
//! `--fail-on`, 0 otherwise.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use std::path::Path;

use anyhow::{Context, Result, bail};
use comfy_table::Color;
use nacl_drift_analysis::{Finding, FindingKind, Severity, lint};
use nacl_drift_config::{Config, Exemption, Kind, Subject, today};
use nacl_drift_diff::Accepted;
use nacl_drift_model::sanitize::{self, Shown};
use nacl_drift_model::{AccountId, EntryKey, Lines, NetworkAclId, Region, VpcId};
use nacl_drift_reconcile::Baselines;
use serde::Serialize;

use crate::accounts::AccountArgs;
use crate::baseline_dir::{BaselineDir, RegionFilter};
use crate::exit_status::ExitStatus;
use crate::project;
use nacl_drift_printer::sarif::{self, RuleKind};
use nacl_drift_printer::{Printer, counted};

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Table,
    Json,
    Markdown,
    /// SARIF 2.1.0, for GitHub code scanning.
    Sarif,
}

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    baselines: BaselineDir,

    #[command(flatten)]
    regions: RegionFilter,

    /// How to print the findings [default: the config file's `format`, else
    /// table].
    #[arg(long, value_enum)]
    format: Option<Format>,

    /// Exit 2 on a finding of this severity or above (critical, high,
    /// medium or low) [default: the config file's `fail_on`, else low].
    /// Accepted findings never count.
    #[arg(long, value_name = "SEVERITY")]
    fail_on: Option<Severity>,

    /// Also list the findings the config file accepts (JSON always lists
    /// them, marked `accepted`).
    #[arg(long)]
    show_accepted: bool,

    /// Only the baselines of the selected accounts.
    #[command(flatten)]
    accounts: AccountArgs,
}

/// A finding, with the NACL it is on.
#[derive(Serialize)]
struct Located<'a> {
    #[serde(skip)]
    path: &'a Path,
    #[serde(skip)]
    line: usize,
    #[serde(skip)]
    account: AccountId,
    region: Region,
    vpc_id: VpcId,
    network_acl_id: NetworkAclId,
    /// Whether the NACL is its VPC's default.
    is_default: bool,
    #[serde(skip)]
    name: Option<String>,
    #[serde(flatten)]
    finding: Finding,
    #[serde(skip_serializing_if = "Option::is_none")]
    accepted: Option<Accepted>,
}

#[derive(Serialize)]
struct Report<'a> {
    severity: Option<Severity>,
    findings: &'a [Located<'a>],
}

pub fn run(args: Args, config: &Config, printer: &mut Printer) -> Result<ExitStatus> {
    let format = project::format(args.format, config, "lint")?.unwrap_or(Format::Table);
    let fail_on = args.fail_on.or(config.fail_on).unwrap_or(Severity::Low);
    let baseline_dir = args.baselines.resolve(config);
    let today = today();
    project::warn_expired(printer, config, today);
    let selected = args.accounts.offline_selection()?;
    let mut files = Baselines::read(&baseline_dir)?
        .in_regions(&args.regions.regions)?
        .into_files();
    if let Some(selected) = &selected {
        files.retain(|(_, baseline)| selected.contains(&baseline.account));
        if files.is_empty() {
            bail!(
                "no baseline files of the selected accounts in {}",
                baseline_dir.display()
            );
        }
    }
    let mut findings = Vec::new();
    let mut acls = 0;
    for (path, baseline) in &files {
        let lines = if format == Format::Sarif {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            Lines::of(&text)
        } else {
            Lines::default()
        };
        for acl in &baseline.network_acls {
            acls += 1;
            for mut finding in lint(&acl.entries) {
                if acl.is_default && acl.subnets.is_empty() {
                    unused_default(&mut finding);
                }
                let key = finding.rule_number.map(|rule_number| EntryKey {
                    direction: finding.direction,
                    rule_number,
                });
                let subject = Subject {
                    account: &baseline.account,
                    region: &baseline.region,
                    vpc_id: &baseline.vpc_id,
                    network_acl_id: &acl.id,
                    kind: Kind::Finding(finding.kind),
                    key,
                    cidrs: key
                        .and_then(|key| acl.entries.get(&key))
                        .map(|entry| vec![entry.cidr()])
                        .unwrap_or_default(),
                    is_default: Some(acl.is_default),
                };
                let accepted = config.accepting(&subject, today).map(Exemption::accepted);
                let line = key
                    .and_then(|key| lines.entry(&acl.id, key))
                    .or_else(|| lines.acl(&acl.id))
                    .unwrap_or(1);
                findings.push(Located {
                    path,
                    line,
                    account: baseline.account.clone(),
                    region: baseline.region.clone(),
                    vpc_id: baseline.vpc_id.clone(),
                    network_acl_id: acl.id.clone(),
                    is_default: acl.is_default,
                    name: acl.tags.get("Name").cloned(),
                    finding,
                    accepted,
                });
            }
        }
    }
    findings.sort_by_key(|located| std::cmp::Reverse(located.finding.severity));
    let worst = findings
        .iter()
        .filter(|located| located.accepted.is_none())
        .map(|located| located.finding.severity)
        .max();
    let accepted = findings.iter().filter(|f| f.accepted.is_some()).count();
    let summary = summary(&findings, acls);
    let machine = matches!(format, Format::Json | Format::Sarif);
    if !machine && !args.show_accepted {
        findings.retain(|located| located.accepted.is_none());
    }
    match format {
        Format::Json => printer.line(sanitize::json(
            serde_json::to_string_pretty(&Report {
                severity: worst,
                findings: &findings,
            })
            .expect("findings always serialise to JSON"),
        )),
        Format::Markdown => printer.text(&markdown(&findings, &summary)),
        Format::Sarif => printer.line(sanitize::json(
            serde_json::to_string_pretty(&sarif_log(&findings)).expect("SARIF always serialises"),
        )),
        Format::Table if findings.is_empty() => printer.line(&summary),
        Format::Table => {
            let mut table = printer.table(["NACL", "severity", "kind", "finding"]);
            for located in &findings {
                let color = match located.finding.severity {
                    Severity::Critical | Severity::High => Color::Red,
                    Severity::Medium => Color::Yellow,
                    Severity::Low => Color::Reset,
                };
                table.add_row(vec![
                    Printer::cell(format!(
                        "{}\n{} {}",
                        label(located),
                        located.region,
                        located.vpc_id
                    )),
                    printer.colored(Printer::cell(severity(located)), color),
                    Printer::cell(kind_name(located.finding.kind)),
                    Printer::cell(&located.finding.message),
                ]);
            }
            printer.print_table(table);
            printer.line(&summary);
        }
    }
    if accepted > 0 && !machine && !args.show_accepted {
        printer.line("--show-accepted lists the accepted findings.");
    }
    let failing = worst.is_some_and(|worst| worst >= fail_on);
    Ok(if failing {
        ExitStatus::Drift
    } else {
        ExitStatus::Success
    })
}

/// The severity, and when the config accepts the finding, until when and why.
fn severity(located: &Located) -> String {
    let severity = located.finding.severity.label();
    match &located.accepted {
        Some(accepted) => format!(
            "{severity}, accepted until {}: {}",
            accepted.expires,
            Shown(&accepted.reason)
        ),
        None => severity.to_owned(),
    }
}

/// The findings as SARIF, each at its entry's line (or its NACL's); the
/// accepted ones as suppressed results.
fn sarif_log(findings: &[Located]) -> serde_json::Value {
    let results: Vec<sarif::Finding> = findings
        .iter()
        .map(|located| {
            let finding = &located.finding;
            sarif::Finding {
                rule: RuleKind::Finding(finding.kind),
                severity: finding.severity,
                message: format!("{}: {}", label(located), finding.message),
                path: located.path,
                line: located.line,
                fingerprint: format!(
                    "{}/{}/{}/{}/{}/{}",
                    located.account,
                    located.region,
                    located.network_acl_id,
                    finding.direction,
                    finding
                        .rule_number
                        .map_or_else(|| "-".to_owned(), |rule| rule.to_string()),
                    sarif::rule_id(RuleKind::Finding(finding.kind)),
                ),
                accepted: located.accepted.as_ref(),
            }
        })
        .collect();
    sarif::log(&results)
}

/// `acl-… (web)`, and for a VPC's default NACL `acl-… (web, default)`.
fn label(located: &Located) -> String {
    let default = if located.is_default { "default" } else { "" };
    match (&located.name, located.is_default) {
        (Some(name), true) => format!("{} ({}, {default})", located.network_acl_id, Shown(name)),
        (Some(name), false) => format!("{} ({})", located.network_acl_id, Shown(name)),
        (None, true) => format!("{} ({default})", located.network_acl_id),
        (None, false) => located.network_acl_id.to_string(),
    }
}

/// A finding on a default NACL that no subnet uses: at most medium, since
/// no traffic crosses it today, and not low, since every new subnet of the
/// VPC starts on it.
fn unused_default(finding: &mut Finding) {
    finding.severity = finding.severity.min(Severity::Medium);
    finding.message.push_str(
        "; no subnet uses this default NACL now, but every new subnet of the VPC starts on it",
    );
}

/// The finding's kind, as `[[accept]] kind` names it.
fn kind_name(kind: FindingKind) -> String {
    serde_json::to_value(kind)
        .ok()
        .and_then(|value| value.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// "3 findings in 8 NACLs: 1 critical, 2 medium; 1 accepted".
fn summary(findings: &[Located], acls: usize) -> String {
    let accepted = findings.iter().filter(|f| f.accepted.is_some()).count();
    let unaccepted: Vec<&Located> = findings.iter().filter(|f| f.accepted.is_none()).collect();
    let accepted = if accepted > 0 {
        format!("; {accepted} accepted")
    } else {
        String::new()
    };
    let nacls = counted(acls, "NACL", "NACLs");
    if unaccepted.is_empty() {
        return format!("No findings in {nacls}{accepted}.");
    }
    let mut by_severity: BTreeMap<std::cmp::Reverse<Severity>, usize> = BTreeMap::new();
    for located in &unaccepted {
        *by_severity
            .entry(std::cmp::Reverse(located.finding.severity))
            .or_default() += 1;
    }
    let counts: Vec<String> = by_severity
        .iter()
        .map(|(severity, count)| format!("{count} {}", severity.0.label()))
        .collect();
    format!(
        "{} in {nacls}: {}{accepted}",
        counted(unaccepted.len(), "finding", "findings"),
        counts.join(", ")
    )
}

fn markdown(findings: &[Located], summary: &str) -> String {
    let mut out = format!("## nacl-drift lint\n\n{}\n", sanitize::markdown(summary));
    if !findings.is_empty() {
        out.push_str("\n| NACL | region | severity | kind | finding |\n|---|---|---|---|---|\n");
        for located in findings {
            let _ = writeln!(
                out,
                "| {} | {} | {} | `{}` | {} |",
                sanitize::markdown(&label(located)),
                located.region,
                sanitize::markdown(&severity(located)),
                kind_name(located.finding.kind),
                sanitize::markdown(&located.finding.message)
            );
        }
    }
    out
}
