//! SARIF 2.1.0, for GitHub code scanning and the other tools that read it:
//! one rule per kind of lint finding or drift, each result at the line of
//! the baseline file it is about, with a fingerprint that keeps a result's
//! identity from run to run.
//!
//! GitHub reads `security-severity` from the rule, so each rule carries the
//! highest severity of its results in this run; each result carries its
//! own as well, and its `level` (error for critical and high, warning for
//! medium, note for low).

use std::path::Path;

use nacl_drift_analysis::{FindingKind, Severity};
use nacl_drift_diff::{Accepted, DriftKind};
use serde_json::{Value, json};

/// What a result is an instance of.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum RuleKind {
    /// A lint finding.
    Finding(FindingKind),
    /// A drift.
    Drift(DriftKind),
}

/// One result: what, how bad, and where.
pub struct SarifResult<'a> {
    /// What it is an instance of.
    pub rule: RuleKind,
    /// How bad.
    pub severity: Severity,
    /// What it says.
    pub message: String,
    /// The baseline file, as the user named its folder.
    pub path: &'a Path,
    /// Its line in the file.
    pub line: usize,
    /// Stable across runs: account, region, NACL, direction, rule, kind.
    pub fingerprint: String,
    /// Why the config file accepts it, when it does.
    pub accepted: Option<&'a Accepted>,
}

/// The score GitHub turns into critical (9.0+), high (7.0+), medium (4.0+)
/// or low.
fn security_severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "2.0",
    }
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low => "note",
    }
}

/// The rule's id, name, what it finds, and how to fix it.
fn describe(rule: RuleKind) -> (&'static str, &'static str, &'static str, &'static str) {
    match rule {
        RuleKind::Finding(FindingKind::InternetExposure) => (
            "internet_exposure",
            "The NACL lets the internet reach all ports, or an administration or database port",
            "Inbound traffic from public sources wider than a /8 (IPv4) or a /32 (IPv6) is allowed to every port, or to SSH, RDP, a database or another sensitive port.",
            "Narrow the allow rule to the sources that need it (a VPN or office range), or put a deny rule with a lower number ahead of it.",
        ),
        RuleKind::Finding(FindingKind::EphemeralPortsOpen) => (
            "ephemeral_ports_open",
            "Return traffic on the ephemeral ports is allowed from the internet",
            "A tcp or udp allow from 1024 or above to 65535, from the internet, lets return traffic in as AWS recommends, and with it new connections to any database or administration port in that range.",
            "Keep it only where return traffic needs it, make sure the security groups guard the listed ports, and accept the finding in nacl-drift.toml with the reason.",
        ),
        RuleKind::Finding(FindingKind::ShadowedRule) => (
            "shadowed_rule",
            "A rule that no packet reaches",
            "Earlier rules decide all of this rule's traffic, so it has no effect.",
            "Delete the rule, or renumber it ahead of the rules that decide its traffic.",
        ),
        RuleKind::Finding(FindingKind::AllowAllBeforeDeny) => (
            "allow_all_before_deny",
            "An allow-all rule ahead of deny rules",
            "An entry allows all traffic from anywhere ahead of deny rules, which it makes useless.",
            "Give the deny rules lower numbers than the allow-all rule, or narrow the allow.",
        ),
        RuleKind::Finding(FindingKind::MissingIpv6Deny) => (
            "missing_ipv6_deny",
            "An IPv4 deny with no IPv6 twin",
            "The NACL allows IPv6 traffic, but this IPv4 deny has no IPv6 deny for the same traffic, so the traffic gets in over IPv6.",
            "Add the same deny for ::/0 (or the matching IPv6 range).",
        ),
        RuleKind::Drift(DriftKind::NetworkAclDeleted) => (
            "network_acl_deleted",
            "A NACL of the baseline is gone",
            "The network ACL the baseline records no longer exists; its subnets are on other NACLs.",
            "Run `nacl-drift apply --recreate-missing` to recreate it with its entries, tags and subnets, or snapshot to accept the change.",
        ),
        RuleKind::Drift(DriftKind::NetworkAclAdded) => (
            "network_acl_added",
            "A NACL that no baseline holds",
            "A network ACL exists in a baselined VPC and region that the baselines do not record.",
            "Review it; snapshot to adopt it into the baseline. apply never deletes a NACL.",
        ),
        RuleKind::Drift(DriftKind::EntryDeleted) => (
            "entry_deleted",
            "An entry of the baseline is gone",
            "A rule the baseline records was deleted from the live NACL.",
            "Run `nacl-drift apply` to restore it, or snapshot to accept the change.",
        ),
        RuleKind::Drift(DriftKind::EntryAdded) => (
            "entry_added",
            "An entry the baseline lacks",
            "The live NACL has a rule that the baseline does not record.",
            "Run `nacl-drift apply --prune` to delete it, or snapshot to accept the change.",
        ),
        RuleKind::Drift(DriftKind::EntryModified) => (
            "entry_modified",
            "An entry whose content changed",
            "A rule's action, traffic or CIDR differs from the baseline.",
            "Run `nacl-drift apply` to replace it with the baseline's, or snapshot to accept the change.",
        ),
        RuleKind::Drift(DriftKind::AssociationChanged) => (
            "association_changed",
            "A subnet moved to another NACL",
            "A subnet that the baseline puts on this NACL is now on another one (or on this one without the baseline knowing it).",
            "Run `nacl-drift apply` to move it back, or snapshot to accept the change.",
        ),
        RuleKind::Drift(DriftKind::TagsChanged) => (
            "tags_changed",
            "The NACL's tags changed",
            "The live NACL's tags differ from the baseline.",
            "Run `nacl-drift apply` to restore them, or snapshot to accept the change.",
        ),
    }
}

/// The rule's id: the kind's name in the JSON report.
pub fn rule_id(rule: RuleKind) -> &'static str {
    describe(rule).0
}

/// `entry_deleted` as `EntryDeleted`: SARIF wants a rule's name, for
/// people, to differ from its id, which stays the JSON report's kind.
fn pascal_case(id: &str) -> String {
    id.split('_')
        .map(|word| {
            let mut chars = word.chars();
            chars
                .next()
                .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// A relative path as a URI reference (for GitHub, relative to the
/// repository's root); an absolute one as a `file://` URI.
fn uri(path: &Path) -> String {
    let text = path.to_string_lossy().replace('\\', "/");
    let text = text.strip_prefix("./").unwrap_or(&text);
    let mut encoded = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                encoded.push(char::from(byte));
            }
            _ => encoded.push_str(&format!("%{byte:02X}")),
        }
    }
    if path.is_absolute() {
        format!("file://{encoded}")
    } else {
        encoded
    }
}

/// The SARIF log of one run of nacl-drift.
pub fn log(findings: &[SarifResult]) -> Value {
    let mut kinds: Vec<RuleKind> = findings.iter().map(|finding| finding.rule).collect();
    kinds.sort_unstable();
    kinds.dedup();
    let rules: Vec<Value> = kinds
        .iter()
        .map(|&kind| {
            let (id, short, full, help) = describe(kind);
            let worst = findings
                .iter()
                .filter(|finding| finding.rule == kind)
                .map(|finding| finding.severity)
                .max()
                .unwrap_or_default();
            json!({
                "id": id,
                "name": pascal_case(id),
                "shortDescription": {"text": short},
                "fullDescription": {"text": full},
                "help": {"text": help},
                "defaultConfiguration": {"level": level(worst)},
                "properties": {
                    "security-severity": security_severity(worst),
                    "tags": ["security", "network", "aws"],
                },
            })
        })
        .collect();
    let results: Vec<Value> = findings
        .iter()
        .map(|finding| {
            let index = kinds
                .iter()
                .position(|&kind| kind == finding.rule)
                .expect("every result's rule is listed");
            let mut result = json!({
                "ruleId": rule_id(finding.rule),
                "ruleIndex": index,
                "level": level(finding.severity),
                "message": {"text": finding.message},
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": {"uri": uri(finding.path)},
                        "region": {"startLine": finding.line},
                    },
                }],
                "partialFingerprints": {"naclDrift/v1": finding.fingerprint},
                "properties": {
                    "security-severity": security_severity(finding.severity),
                    "severity": finding.severity.label(),
                },
            });
            if let Some(accepted) = finding.accepted {
                result["suppressions"] = json!([{
                    "kind": "external",
                    "status": "accepted",
                    "justification": format!("{} (until {})", accepted.reason, accepted.expires),
                }]);
            }
            result
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "nacl-drift",
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    })
}
