//! `nacl-drift lint`: check the baselines themselves, offline, for exposure
//! to the internet, rules never reached, an allow-all ahead of denies, and
//! IPv4 denies with no IPv6 twin. Exit 2 on a finding at or above
//! `--fail-on`, 0 otherwise.

use std::collections::BTreeSet;

use anyhow::{Context, Result, bail};
use nacl_drift_analysis::{LintFinding, Severity, lint};
use nacl_drift_config::{Config, Exemption, Kind, Subject, today};
use nacl_drift_model::{AccountId, EntryKey, Lines};
use nacl_drift_printer::Printer;
use nacl_drift_printer::lint::{self, Format, Located, summary};
use nacl_drift_reconcile::Baselines;

use crate::accounts::AccountArgs;
use crate::baseline_dir::{BaselineDir, RegionFilter};
use crate::exit_status::ExitStatus;
use crate::project;

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

pub fn run(args: Args, config: &Config, printer: &mut Printer) -> Result<ExitStatus> {
    let format = project::format(args.format, config, "lint")?.unwrap_or(Format::Table);
    let fail_on = args.fail_on.or(config.fail_on).unwrap_or(Severity::Low);
    let baseline_dir = args.baselines.resolve(config);
    let today = today();
    project::warn_expired(printer, config, today);
    let selected = args.accounts.resolve(config).offline_selection()?;
    let mut files = Baselines::read(&baseline_dir, None)?
        .in_regions(&args.regions.regions)?
        .into_files();
    if let Some(selected) = selected {
        printer.name_accounts(selected.names());
        let ids: BTreeSet<AccountId> = selected.accounts.into_iter().map(|a| a.id).collect();
        files.retain(|(_, baseline)| ids.contains(&baseline.account));
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
                    unused: Some(acl.subnets.is_empty()),
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
    lint::print(printer, format, &findings, &summary, worst);
    if accepted > 0 && !machine && !args.show_accepted {
        printer.line("--show-accepted lists the accepted findings.");
    }
    let failing = worst.is_some_and(|worst| worst >= fail_on);
    Ok(if failing {
        ExitStatus::Found
    } else {
        ExitStatus::Success
    })
}

/// A finding on a default NACL that no subnet uses: at most medium, since
/// no traffic crosses it today, and not low, since every new subnet of the
/// VPC starts on it.
fn unused_default(finding: &mut LintFinding) {
    finding.severity = finding.severity.min(Severity::Medium);
    finding.message.push_str(
        "; no subnet uses this default NACL now, but every new subnet of the VPC starts on it",
    );
}
