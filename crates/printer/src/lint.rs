//! Lint findings, each with the NACL it is on: a table, JSON, markdown or
//! SARIF.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use comfy_table::Color;
use nacl_drift_analysis::{FindingKind, LintFinding, Severity};
use nacl_drift_diff::Accepted;
use nacl_drift_model::sanitize::{self, Shown};
use nacl_drift_model::{AccountId, AccountNames, NetworkAclId, Region, VpcId};
use serde::Serialize;

use crate::sarif::{self, RuleKind};
use crate::{Printer, counted};

/// How lint findings are printed (`lint --format`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// A table for people.
    Table,
    /// One JSON object: `{"severity", "findings"}`.
    Json,
    /// A report for a pull-request comment or a CI job summary.
    Markdown,
    /// SARIF 2.1.0, for GitHub code scanning.
    Sarif,
}

/// A finding, with the NACL it is on.
#[derive(Serialize)]
pub struct Located<'a> {
    /// The baseline file.
    #[serde(skip)]
    pub path: &'a Path,
    /// The line of its entry (or its NACL) there.
    #[serde(skip)]
    pub line: usize,
    /// The NACL's account.
    pub account: AccountId,
    /// Its region.
    pub region: Region,
    /// Its VPC.
    pub vpc_id: VpcId,
    /// The NACL.
    pub network_acl_id: NetworkAclId,
    /// Whether the NACL is its VPC's default.
    pub is_default: bool,
    /// Its Name tag.
    #[serde(skip)]
    pub name: Option<String>,
    /// The finding.
    #[serde(flatten)]
    pub finding: LintFinding,
    /// Why the config file accepts it, when it does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub accepted: Option<Accepted>,
}

#[derive(Serialize)]
struct Report<'a> {
    severity: Option<Severity>,
    findings: &'a [Located<'a>],
}

/// Prints `findings` in `format`, with `summary` and the worst severity
/// not accepted.
pub fn print(
    printer: &mut Printer,
    format: Format,
    findings: &[Located],
    summary: &str,
    worst: Option<Severity>,
) {
    match format {
        Format::Json => printer.line(sanitize::json(
            serde_json::to_string_pretty(&Report {
                severity: worst,
                findings,
            })
            .expect("findings always serialise to JSON"),
        )),
        Format::Markdown => {
            let markdown = markdown(findings, summary, many_accounts(findings, printer));
            printer.text(&markdown)
        }
        Format::Sarif => printer.line(sanitize::json(
            serde_json::to_string_pretty(&sarif_log(findings)).expect("SARIF always serialises"),
        )),
        Format::Table if findings.is_empty() => printer.line(summary),
        Format::Table => {
            let accounts = many_accounts(findings, printer);
            let mut table = printer.table(["NACL", "severity", "kind", "finding"]);
            for located in findings {
                let color = match located.finding.severity {
                    Severity::Critical | Severity::High => Color::Red,
                    Severity::Medium => Color::Yellow,
                    Severity::Low => Color::Reset,
                };
                table.add_row(vec![
                    Printer::cell(format!(
                        "{}\n{}{} {}",
                        label(located),
                        account(located, accounts.as_ref())
                            .map_or_else(String::new, |account| account + " "),
                        located.region,
                        located.vpc_id
                    )),
                    printer.colored(Printer::cell(severity(located)), color),
                    Printer::cell(kind_name(located.finding.kind)),
                    Printer::cell(&located.finding.message),
                ]);
            }
            printer.print_table(table);
            printer.line(summary);
        }
    }
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
    let results: Vec<sarif::SarifResult> = findings
        .iter()
        .map(|located| {
            let finding = &located.finding;
            sarif::SarifResult {
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

/// When the findings are of more than one account, the accounts' names:
/// then each finding shows its NACL's account.
fn many_accounts(findings: &[Located], printer: &Printer) -> Option<AccountNames> {
    findings
        .iter()
        .any(|located| located.account != findings[0].account)
        .then(|| printer.account_names().clone())
}

/// The finding's account and its name, when `accounts` is given.
fn account(located: &Located, accounts: Option<&AccountNames>) -> Option<String> {
    accounts.map(|names| names.label(&located.account))
}

/// The finding's kind, as `[[accept]] kind` names it.
fn kind_name(kind: FindingKind) -> String {
    serde_json::to_value(kind)
        .ok()
        .and_then(|value| value.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// "3 findings in 8 NACLs: 1 critical, 2 medium; 1 accepted".
pub fn summary(findings: &[Located], acls: usize) -> String {
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

fn markdown(findings: &[Located], summary: &str, accounts: Option<AccountNames>) -> String {
    let mut out = format!("## nacl-drift lint\n\n{}\n", sanitize::markdown(summary));
    if !findings.is_empty() {
        let (column, rule) = match accounts {
            Some(_) => (" account |", "---|"),
            None => ("", ""),
        };
        let _ = writeln!(
            out,
            "\n| NACL |{column} region | severity | kind | finding |\n|---|{rule}---|---|---|---|"
        );
        for located in findings {
            let account = account(located, accounts.as_ref()).map_or_else(String::new, |account| {
                format!(" {} |", sanitize::markdown(&account))
            });
            let _ = writeln!(
                out,
                "| {} |{account} {} | {} | `{}` | {} |",
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

#[cfg(test)]
mod tests {
    use std::path::Path;

    use nacl_drift_analysis::{FindingKind, LintFinding, Severity};
    use nacl_drift_model::{AccountId, AccountNames, Direction};

    use super::{Format, Located, print};
    use crate::Printer;

    fn located(account: &str) -> Located<'static> {
        Located {
            path: Path::new("baselines/x.yaml"),
            line: 1,
            account: AccountId::parse(account).expect("an account"),
            region: "us-east-1".parse().expect("a region"),
            vpc_id: "vpc-0a1b2c3d".parse().expect("a VPC"),
            network_acl_id: "acl-0a1b2c3d".parse().expect("a NACL"),
            is_default: false,
            name: None,
            finding: LintFinding {
                kind: FindingKind::ShadowedRule,
                severity: Severity::Low,
                direction: Direction::Ingress,
                rule_number: None,
                message: "rule 200 is never reached".to_owned(),
            },
            accepted: None,
        }
    }

    /// Findings of more than one account show each account and its name
    /// (escaped: an organization's account names are anyone's text), in the
    /// table, the markdown and the JSON; findings of one account show none.
    #[test]
    fn findings_of_many_accounts_name_each_account() {
        let names = AccountNames(
            [
                ("111122223333", "prod"),
                ("444455556666", "evil\u{1b}[2J|name"),
            ]
            .into_iter()
            .map(|(id, name)| (id.parse().expect("an account"), name.to_owned()))
            .collect(),
        );
        let findings = [located("111122223333"), located("444455556666")];
        let printed = |format: Format, findings: &[Located]| {
            let (mut printer, printed) = Printer::in_memory();
            printer.name_accounts(names.clone());
            print(&mut printer, format, findings, "2 findings", None);
            String::from_utf8(printed.bytes()).expect("UTF-8")
        };
        let table = printed(Format::Table, &findings);
        assert!(
            table.contains("111122223333 (prod) us-east-1 vpc-0a1b2c3d"),
            "{table}"
        );
        assert!(
            table.contains("444455556666 (evil\\x1b[2J|name) us-east-1"),
            "{table}"
        );
        let markdown = printed(Format::Markdown, &findings);
        assert!(
            markdown.contains("| NACL | account | region |"),
            "{markdown}"
        );
        assert!(
            markdown.contains("| 111122223333 (prod) | us-east-1 |"),
            "{markdown}"
        );
        assert!(!markdown.contains('\u{1b}'), "{markdown}");
        assert!(markdown.contains("evil"), "{markdown}");
        let json = printed(Format::Json, &findings);
        assert!(json.contains("\"account\": \"444455556666\""), "{json}");
        let one = printed(Format::Table, &findings[..1]);
        assert!(!one.contains("111122223333"), "{one}");
    }
}
