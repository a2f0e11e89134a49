//! The diff report as a table (people), JSON (machines), a unified diff of
//! the YAML (reviewers), markdown (pull-request comments, job summaries),
//! SARIF (code scanning) or ASFF (Security Hub).

use std::collections::{BTreeMap, BTreeSet};

use nacl_drift_analysis::{EffectKind, Service};
use nacl_drift_assets::{EffectAssets, in_words};
use nacl_drift_diff::{Attributed, Change, DriftKind, Severity, TrafficEffect, Verdict};
use nacl_drift_model::sanitize::{self, Shown, shown};
use nacl_drift_model::{
    AccountId, AccountNames, Baseline, Direction, NetworkAclId, Region, SubnetId, VpcId,
};

use crate::{Printer, counted};
use nacl_drift_reconcile::{AssessedEffect, Comparison};

mod markdown;
mod sarif;
mod table;
mod unified;

use markdown::markdown;
use sarif::sarif_log;
use table::print_table;
use unified::print_unified;

/// How a diff report is printed (`diff --format`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// One row per change, grouped by NACL.
    Table,
    /// One JSON object: `{"in_sync", "severity", "changes", "effects", "skipped", "errors"}`.
    Json,
    /// A unified diff of each baseline file against the live state in the same YAML form.
    Unified,
    /// A report for a pull-request comment or a CI job summary.
    Markdown,
    /// SARIF 2.1.0, for GitHub code scanning: each change at its line in the baseline file.
    Sarif,
    /// Security Hub findings (ASFF): one `{"Findings": [...]}` of at most 100 a line, each for `aws securityhub batch-import-findings --cli-input-json`; no line without drift.
    Asff,
}

/// Prints the report of `comparison` in `format`.
pub fn print(printer: &mut Printer, format: Format, comparison: &Comparison) {
    match format {
        Format::Table => print_table(printer, comparison),
        Format::Json => {
            let json = serde_json::to_string_pretty(&comparison.json())
                .expect("a report always serialises to JSON");
            printer.line(sanitize::json(json));
        }
        Format::Unified => print_unified(printer, comparison),
        Format::Markdown => {
            let markdown = markdown(comparison, printer.account_names());
            printer.text(&markdown)
        }
        Format::Sarif => printer.line(sanitize::json(
            serde_json::to_string_pretty(&sarif_log(comparison)).expect("SARIF always serialises"),
        )),
        Format::Asff => {
            // One BatchImportFindings input a line: it takes 1 to 100.
            let findings = nacl_drift_findings::findings(comparison, std::time::SystemTime::now());
            for batch in findings.chunks(nacl_drift_findings::BATCH) {
                printer.line(sanitize::json(
                    serde_json::to_string(&serde_json::json!({ "Findings": batch }))
                        .expect("findings always serialise"),
                ));
            }
        }
    }
}

/// Prints the report as `diff` does in `format`: the machine formats (JSON,
/// SARIF, ASFF) and `show_accepted` with the accepted drift, the others
/// without it ([`print_unaccepted`], which takes it out of `comparison`).
pub fn report(
    printer: &mut Printer,
    format: Format,
    comparison: &mut Comparison,
    show_accepted: bool,
) {
    if show_accepted || matches!(format, Format::Json | Format::Sarif | Format::Asff) {
        print(printer, format, comparison);
    } else {
        print_unaccepted(printer, format, comparison);
    }
}

/// A warning for each account-region whose assets could not be read: its
/// effects carry none, which is not "none".
pub fn warn_unread_assets(printer: &mut Printer, comparison: &Comparison) {
    for error in &comparison.asset_errors {
        printer.warning(&format!(
            "no assets for {} in {}: {}",
            error.account,
            error.region,
            Shown(&error.message)
        ));
    }
}

/// Prints the report without the changes the config file accepts, and the
/// traffic effects only they cause (taken out of `comparison`), then says
/// how many it left out.
pub fn print_unaccepted(printer: &mut Printer, format: Format, comparison: &mut Comparison) {
    let all = comparison.changes.len();
    comparison.remove_accepted();
    let shown = &*comparison;
    let accepted = all - shown.changes.len();
    let (changes, them) = if accepted == 1 {
        ("change", "it")
    } else {
        ("changes", "them")
    };
    if accepted > 0 && shown.in_sync() {
        printer.line(format!(
            "No drift but what the config file accepts: {accepted} accepted {changes}; --show-accepted lists {them}."
        ));
        for line in skipped_lines(shown, printer.account_names()) {
            printer.line(format!("Skipped {line}"));
        }
        return;
    }
    print(printer, format, shown);
    if accepted > 0 {
        printer.line(format!(
            "{accepted} accepted {changes} not shown (the config file accepts {them}): --show-accepted lists {them}."
        ));
    }
}

fn acl_label(names: &BTreeMap<&str, &str>, id: &str) -> String {
    match names.get(id) {
        Some(name) => format!("{id} ({})", Shown(name)),
        None => id.to_owned(),
    }
}

/// Where the change's NACL is: `us-east-1 vpc-0a1b`, with the account
/// (and its name) first when the report covers more than one.
fn place(change: &Change, accounts: Option<&AccountNames>) -> String {
    if let Some(accounts) = accounts {
        format!(
            "{} {} {}",
            accounts.label(&change.account),
            change.region,
            change.vpc_id
        )
    } else {
        format!("{} {}", change.region, change.vpc_id)
    }
}

/// Where in the NACL a change is (`ingress 80`, a subnet), and below it,
/// when a Terraform state holds its NACL, the address that declares it.
fn position(change: &Change, address: Option<&str>) -> String {
    match address {
        Some(address) => format!("{}\n{address}", change.position())
            .trim_start()
            .to_owned(),
        None => change.position(),
    }
}

/// The NACL a change is on, as the table and markdown group changes.
fn acl_key(change: &Change) -> (&AccountId, &Region, &VpcId, &NetworkAclId) {
    (
        &change.account,
        &change.region,
        &change.vpc_id,
        &change.network_acl_id,
    )
}

/// When the changes are of more than one account, the accounts' names:
/// then each NACL is shown with its account (they are sorted by account
/// first).
fn many_accounts<'a>(comparison: &Comparison, names: &'a AccountNames) -> Option<&'a AccountNames> {
    let mut accounts = comparison.changes.iter().map(|a| &a.change.account);
    let first = accounts.next()?;
    accounts.any(|account| account != first).then_some(names)
}

/// Whether attribution was asked for: then each change says who made it.
fn attribution_asked(comparison: &Comparison) -> bool {
    comparison
        .changes
        .iter()
        .any(|assessed| !assessed.verdict.attribution.not_asked())
}

/// Who made a change, when, and from where (each escaped, one line each);
/// or "unattributed".
fn who_when_from(verdict: &Verdict) -> Vec<String> {
    match &verdict.attribution {
        Attributed::To(by) => {
            let mut parts = vec![
                shown(&by.who()).into_owned(),
                format!("{} {}", Shown(&by.event_name), Shown(&by.event_time)),
            ];
            if let Some(ip) = &by.source_ip {
                parts.push(format!("from {}", Shown(ip)));
            }
            parts
        }
        Attributed::Unattributed => vec!["unattributed".to_owned()],
        Attributed::NotAsked => Vec::new(),
    }
}

/// A change's severity, and "no effective change" where that is why it is
/// low, or the severity it carries alone where it is latent.
/// And, when the config file accepts the change, until when and why; when
/// it says the NACL is monitored only (apply leaves it alone), why.
fn severity(change: &Change, verdict: &Verdict) -> String {
    let mut severity = match (change.effective, change.latent) {
        (Some(false), Some(alone)) => format!(
            "{} (latent: {} alone, once a broader rule is narrowed; no effective change today)",
            change.severity.label(),
            alone.label()
        ),
        (Some(false), None) => format!("{} (no effective change)", change.severity.label()),
        _ => change.severity.label().to_owned(),
    };
    if let Some(accepted) = &verdict.accepted {
        severity.push_str(&format!(
            ", accepted until {}: {}",
            accepted.expires,
            Shown(&accepted.reason)
        ));
    }
    if let Some(reason) = &verdict.monitor_only {
        severity.push_str(&format!(", monitored only: {}", Shown(reason)));
    }
    severity
}

/// Each effect on traffic, most severe first, with its NACL (and, for
/// subnets that moved, where they went).
fn effect_lines(comparison: &Comparison) -> Vec<(Severity, String)> {
    let names = comparison.nacl_names();
    let mut lines: Vec<(Severity, String)> = Vec::new();
    // A moved subnet's effects, merged into one line per direction and
    // kind, at the line of the first: the NACL it left, where it is now,
    // which subnets, the direction, newly allowed or denied.
    type Move<'a> = (&'a str, &'a str, &'a [SubnetId], Direction, EffectKind);
    let mut moves: Vec<(Move, usize, Vec<&TrafficEffect>, Vec<&EffectAssets>)> = Vec::new();
    for AssessedEffect {
        effect: traffic,
        assets,
        ..
    } in &comparison.effects
    {
        let assets = assets.as_ref();
        let Some(now_on) = &traffic.live_network_acl_id else {
            let behind = behind(comparison, traffic, &Vec::from_iter(assets));
            lines.push((
                traffic.effect.severity(),
                format!(
                    "{}: {}{behind}",
                    acl_label(&names, &traffic.network_acl_id),
                    traffic.effect
                ),
            ));
            continue;
        };
        let key = (
            traffic.network_acl_id.as_str(),
            now_on.as_str(),
            traffic.subnet_ids.as_slice(),
            traffic.effect.direction,
            traffic.effect.kind,
        );
        match moves.iter_mut().find(|(seen, ..)| *seen == key) {
            Some((_, _, effects, found)) => {
                effects.push(traffic);
                found.extend(assets);
            }
            None => {
                lines.push((traffic.effect.severity(), String::new()));
                moves.push((
                    key,
                    lines.len() - 1,
                    vec![traffic],
                    assets.into_iter().collect(),
                ));
            }
        }
    }
    for ((left, now_on, subnets, direction, kind), at, effects, found) in moves {
        let behind = behind(comparison, effects[0], &found);
        let severity = effects
            .iter()
            .map(|traffic| traffic.effect.severity())
            .max()
            .unwrap_or_default();
        lines[at] = (
            severity,
            format!(
                "{} moved from {} to {}: {direction} newly {}: {}",
                subnets
                    .iter()
                    .map(SubnetId::as_str)
                    .collect::<Vec<_>>()
                    .join(", "),
                acl_label(&names, left),
                acl_label(&names, now_on),
                match kind {
                    EffectKind::NewlyAllowed => "allowed",
                    EffectKind::NewlyDenied => "denied",
                },
                merged_traffic(&effects)
            ) + &behind,
        );
    }
    // Worst first, as the report orders its effects.
    lines.sort_by_key(|(severity, _)| std::cmp::Reverse(*severity));
    lines
}

/// The traffic of several effects of one direction, the services that
/// share their remote addresses together: `tcp 22, tcp 23-5431 from
/// 0.0.0.0/0; tcp 5432 from 0.0.0.0/0 except 10.0.16.0/20`.
fn merged_traffic(effects: &[&TrafficEffect]) -> String {
    let mut by_addresses: Vec<(String, BTreeSet<&Service>)> = Vec::new();
    for traffic in effects {
        let addresses = traffic.effect.addresses.to_string();
        match by_addresses.iter_mut().find(|(seen, _)| *seen == addresses) {
            Some((_, services)) => {
                services.insert(&traffic.effect.service);
            }
            None => by_addresses.push((addresses, BTreeSet::from([&traffic.effect.service]))),
        }
    }
    let preposition = match effects.first().map(|traffic| traffic.effect.direction) {
        Some(Direction::Egress) => "to",
        _ => "from",
    };
    by_addresses
        .iter()
        .map(|(addresses, services)| {
            let services: Vec<String> = coalesced(services)
                .iter()
                .map(ToString::to_string)
                .collect();
            format!("{} {preposition} {addresses}", services.join(", "))
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Sorted services, with adjacent port ranges of one protocol joined:
/// tcp 0-21, tcp 22 and tcp 23-5431 are tcp 0-5431.
fn coalesced(services: &BTreeSet<&Service>) -> Vec<Service> {
    let mut joined: Vec<Service> = Vec::new();
    for service in services {
        if let (
            Some(Service::Ports { protocol, to, .. }),
            Service::Ports {
                protocol: next_protocol,
                from: next_from,
                to: next_to,
            },
        ) = (joined.last_mut(), service)
            && protocol == next_protocol
            && u32::from(*to) + 1 == u32::from(*next_from)
        {
            *to = *next_to;
            continue;
        }
        joined.push((*service).clone());
    }
    joined
}

/// "5 changes in 3 NACLs, critical: 2 entries deleted, 1 subnet moved".
fn summary(comparison: &Comparison) -> String {
    let changes: Vec<&Change> = comparison.changes.iter().map(|a| &a.change).collect();
    let acls: BTreeSet<&str> = changes.iter().map(|c| c.network_acl_id.as_str()).collect();
    let mut by_kind: BTreeMap<DriftKind, usize> = BTreeMap::new();
    for change in &changes {
        *by_kind.entry(change.kind()).or_default() += 1;
    }
    let kinds: Vec<String> = by_kind
        .iter()
        .map(|(kind, count)| kind.count(*count))
        .collect();
    let worst = comparison
        .unaccepted()
        .map(|c| c.severity)
        .max()
        .unwrap_or_default();
    let accepted = changes.len() - comparison.unaccepted().count();
    format!(
        "{} in {}, {}: {}{}",
        counted(changes.len(), "change", "changes"),
        counted(acls.len(), "NACL", "NACLs"),
        worst.label(),
        kinds.join(", "),
        if accepted > 0 {
            format!("; {accepted} accepted")
        } else {
            String::new()
        }
    )
}

/// What an effect reaches, after its words: `; reaches 2 interfaces: ...`,
/// or `; assets unknown: not read` where they could not be read.
fn behind(comparison: &Comparison, traffic: &TrafficEffect, found: &[&EffectAssets]) -> String {
    if let Some(words) = in_words(found) {
        return format!("; {words}");
    }
    let unread = comparison
        .asset_errors
        .iter()
        .any(|error| error.account == traffic.account && error.region == traffic.region);
    if unread {
        "; assets unknown: not read".to_owned()
    } else {
        String::new()
    }
}

/// "8 NACLs in 4 baseline files match the live state."
fn in_sync_line(comparison: &Comparison) -> String {
    let skipped: BTreeSet<&std::path::Path> = comparison
        .skipped
        .iter()
        .filter_map(|s| s.path.as_deref())
        .collect();
    let compared: Vec<&(std::path::PathBuf, Baseline)> = comparison
        .files
        .iter()
        .filter(|(path, _)| !skipped.contains(path.as_path()))
        .collect();
    let acls: usize = compared.iter().map(|(_, b)| b.network_acls.len()).sum();
    // A Terraform state gives a baseline a VPC, each under the state's path.
    let (from_states, files): (Vec<_>, Vec<_>) = compared.into_iter().partition(|(_, baseline)| {
        baseline
            .network_acls
            .iter()
            .any(|acl| comparison.addresses.holds(&acl.id))
    });
    let states: BTreeSet<&std::path::Path> =
        from_states.iter().map(|(path, _)| path.as_path()).collect();
    let mut sources = Vec::new();
    if !files.is_empty() || states.is_empty() {
        sources.push(counted(files.len(), "baseline file", "baseline files"));
    }
    if !states.is_empty() {
        sources.push(counted(states.len(), "Terraform state", "Terraform states"));
    }
    let empty = comparison.empty_regions.len();
    let empty = if empty > 0 {
        format!(
            "; {} still {} no VPC, as recorded",
            counted(empty, "region", "regions"),
            if empty == 1 { "holds" } else { "hold" },
        )
    } else {
        String::new()
    };
    format!(
        "In sync: {} in {} {} the live state{empty}.",
        counted(acls, "NACL", "NACLs"),
        sources.join(" and "),
        if acls == 1 { "matches" } else { "match" },
    )
}

fn skipped_lines(comparison: &Comparison, accounts: &AccountNames) -> Vec<String> {
    comparison
        .skipped
        .iter()
        .map(|skipped| {
            let what = match (&skipped.path, &skipped.vpc_id) {
                (Some(path), _) => shown(&path.display().to_string()).into_owned(),
                (None, Some(vpc_id)) => vpc_id.to_string(),
                (None, None) => String::new(),
            };
            format!(
                "{what} (account {}): {}",
                Shown(&accounts.label(&skipped.account)),
                Shown(&skipped.reason)
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::PathBuf;

    use nacl_drift_diff::diff;
    use nacl_drift_fixtures::{SSH_DENY, baseline_of, live_of, one_vpc};
    use nacl_drift_reconcile::Comparison;
    use serde_json::Value;

    use super::{Format, print};
    use crate::Printer;

    /// The comparison of the one-VPC estate with `live`, nothing assessed.
    fn comparison_with(live: &str) -> Comparison {
        let baseline = baseline_of(&one_vpc());
        let accounts = BTreeSet::from([baseline.account.clone()]);
        let live = live_of(live, Some("us-east-1"));
        let files = vec![(PathBuf::from("b.yaml"), baseline)];
        let report = diff(&accounts, &files, &live);
        Comparison::unassessed(accounts, files, Vec::new(), live, report)
    }

    /// What `format` prints of `comparison`.
    fn printed(format: Format, comparison: &Comparison) -> String {
        let (mut printer, printed) = Printer::in_memory();
        print(&mut printer, format, comparison);
        String::from_utf8(printed.bytes()).expect("UTF-8")
    }

    /// The SSH deny deleted, and the NACL's Name tag set to `name` (a YAML
    /// double-quoted scalar's text).
    fn deny_deleted_on(name: &str) -> String {
        let allow_all = one_vpc().replace(&format!("  - {{{SSH_DENY}}}\n"), "");
        allow_all.replace(
            "  is_default: false\n",
            &format!("  is_default: false\n  tags: {{Name: \"{name}\"}}\n"),
        )
    }

    #[test]
    fn json_is_the_documented_object_of_the_comparison() {
        let comparison = comparison_with(&deny_deleted_on("db"));
        let json: Value = serde_json::from_str(&printed(Format::Json, &comparison)).expect("JSON");
        let keys: Vec<&str> = json
            .as_object()
            .expect("an object")
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys,
            [
                "changes", "effects", "errors", "in_sync", "severity", "skipped"
            ]
        );
        let kinds: Vec<&str> = json["changes"]
            .as_array()
            .expect("changes")
            .iter()
            .filter_map(|change| change["kind"].as_str())
            .collect();
        assert_eq!(kinds, ["entry_deleted", "tags_changed"]);
        assert_eq!(json["severity"], "critical");
        assert!(!json["effects"].as_array().expect("effects").is_empty());
    }

    #[test]
    fn an_in_sync_comparison_says_what_matches() {
        let comparison = comparison_with(&one_vpc());
        assert_eq!(
            printed(Format::Table, &comparison),
            "In sync: 1 NACL in 1 baseline file matches the live state.\n"
        );
        assert!(printed(Format::Markdown, &comparison).starts_with("## ✅ NACLs in sync"));
    }

    #[test]
    fn a_hostile_name_tag_stays_text_in_the_table_and_the_markdown() {
        // An escape that would turn a terminal red, in YAML's words.
        let hostile = "<img src=x onerror=alert(1)>|\\e[31m";
        let comparison = comparison_with(&deny_deleted_on(hostile));
        for format in [Format::Table, Format::Markdown] {
            let text = printed(format, &comparison);
            assert!(text.contains("acl-0db"), "{format:?}: {text}");
            assert!(!text.contains('\u{1b}'), "{format:?}: a raw escape: {text}");
        }
        let markdown = printed(Format::Markdown, &comparison);
        assert!(!markdown.contains("<img"), "{markdown}");
    }
}
