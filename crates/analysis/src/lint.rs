//! Checks of one NACL on its own, like the NACL checks of Prowler and AWS
//! Config: exposure to the internet, rules never reached, an allow-all ahead
//! of denies, and IPv4 denies with no IPv6 twin where IPv6 is allowed.

use std::collections::BTreeMap;

use nacl_drift_model::{Action, Cidr, Direction, Entry, EntryKey, Protocol, RuleNumber, Traffic};
use serde::Serialize;

use crate::addresses::AddressSet;
use crate::effect::{Effect, EffectKind, Service};
use crate::policy::traffic_difference;
use crate::severity::{Severity, sensitive_ports};

/// What a lint finding is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    /// Inbound traffic from the internet to all ports, or to an
    /// administrative or database port, is allowed.
    InternetExposure,
    /// Inbound return traffic from the internet on the ephemeral ports
    /// (a tcp or udp range from 1024 or above to 65535) is allowed, as AWS
    /// recommends for public subnets and subnets behind NAT: it reaches
    /// database and administration ports, which the security groups must
    /// guard.
    EphemeralPortsOpen,
    /// A rule no packet reaches: earlier rules decide all of its traffic.
    ShadowedRule,
    /// An entry that allows all traffic from anywhere, ahead of denies it
    /// makes useless.
    AllowAllBeforeDeny,
    /// An IPv4 deny with no IPv6 deny for the same traffic, in a NACL
    /// direction that allows IPv6.
    MissingIpv6Deny,
}

/// One problem in a NACL.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LintFinding {
    /// What the finding is about.
    pub kind: FindingKind,
    /// How bad it is.
    pub severity: Severity,
    /// The direction the finding is in.
    pub direction: Direction,
    /// The rule the finding is about, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule_number: Option<RuleNumber>,
    /// The finding, as a sentence.
    pub message: String,
}

/// Every finding on a NACL's entries, most severe first.
pub fn lint(entries: &BTreeMap<EntryKey, Entry>) -> Vec<LintFinding> {
    let mut findings = Vec::new();
    for direction in [Direction::Ingress, Direction::Egress] {
        let rules: Vec<(RuleNumber, Entry)> = entries
            .iter()
            .filter(|(key, _)| key.direction == direction)
            .map(|(key, entry)| (key.rule_number, *entry))
            .collect();
        if direction == Direction::Ingress {
            findings.extend(internet_exposure(entries));
        }
        findings.extend(shadowed(direction, &rules));
        findings.extend(allow_all_before_deny(direction, &rules));
        findings.extend(missing_ipv6_denies(direction, &rules));
    }
    findings.sort_by(|a, b| {
        (b.severity, a.direction, a.rule_number, a.kind).cmp(&(
            a.severity,
            b.direction,
            b.rule_number,
            b.kind,
        ))
    });
    findings
}

/// What the NACL lets in that would be critical as a change from deny-all.
/// Traffic that an ephemeral-range allow decides is one medium finding per
/// such rule instead: see [`FindingKind::EphemeralPortsOpen`].
fn internet_exposure(entries: &BTreeMap<EntryKey, Entry>) -> Vec<LintFinding> {
    let mut findings = Vec::new();
    let mut ephemeral_rules = BTreeMap::new();
    let critical = traffic_difference(Direction::Ingress, &BTreeMap::new(), entries)
        .into_iter()
        .filter(|effect| {
            effect.kind == EffectKind::NewlyAllowed && effect.severity() == Severity::Critical
        });
    for effect in critical {
        let deciding = effect.live_rule.and_then(|rule_number| {
            let key = EntryKey {
                direction: Direction::Ingress,
                rule_number,
            };
            entries.get(&key).map(|entry| (rule_number, entry))
        });
        match deciding {
            Some((rule_number, entry)) if ephemeral_ports(entry.traffic()).is_some() => {
                ephemeral_rules.insert(rule_number, *entry);
            }
            _ => findings.push(exposure(&effect)),
        }
    }
    findings.extend(
        ephemeral_rules
            .into_iter()
            .map(|(rule_number, entry)| ephemeral_ports_open(rule_number, entry)),
    );
    findings
}

fn exposure(effect: &Effect) -> LintFinding {
    let preposition_and_rest = format!("{} from {}", effect.service, effect.addresses);
    let mut reaches: Vec<u16> = sensitive_ports(&effect.service);
    reaches.sort_unstable();
    let reaches = match reaches.as_slice() {
        _ if effect.service == Service::All => " (every port)".to_owned(),
        [] => String::new(),
        [a, b, c, d, e, rest @ ..] if !rest.is_empty() => {
            format!(
                " (reaching {}, and {} more)",
                join(&[*a, *b, *c, *d, *e]),
                rest.len()
            )
        }
        ports => format!(" (reaching {})", join(ports)),
    };
    LintFinding {
        kind: FindingKind::InternetExposure,
        severity: Severity::Critical,
        direction: Direction::Ingress,
        rule_number: effect.live_rule,
        message: format!(
            "ingress {preposition_and_rest} is allowed{}{reaches}",
            effect
                .live_rule
                .map(|rule| format!(" by rule {rule}"))
                .unwrap_or_default()
        ),
    }
}

/// The first port of the ephemeral range, below which an allow is no
/// longer "return traffic": 1024, where the registered ports start.
const EPHEMERAL_FROM: u16 = 1024;

/// The service of an allow on the ephemeral ports: tcp or udp, from 1024
/// or above to 65535 (AWS recommends 1024-65535; Linux uses 32768-60999,
/// Windows 49152-65535).
fn ephemeral_ports(traffic: Traffic) -> Option<Service> {
    let (protocol, range) = match traffic {
        Traffic::Tcp(range) => (Protocol::Tcp, range),
        Traffic::Udp(range) => (Protocol::Udp, range),
        _ => return None,
    };
    (range.from() >= EPHEMERAL_FROM && range.to() == u16::MAX).then_some(Service::Ports {
        protocol,
        from: range.from(),
        to: range.to(),
    })
}

fn ephemeral_ports_open(rule_number: RuleNumber, entry: Entry) -> LintFinding {
    let mut reaches = ephemeral_ports(entry.traffic())
        .map(|service| sensitive_ports(&service))
        .unwrap_or_default();
    reaches.sort_unstable();
    LintFinding {
        kind: FindingKind::EphemeralPortsOpen,
        severity: Severity::Medium,
        direction: Direction::Ingress,
        rule_number: Some(rule_number),
        message: format!(
            "ingress rule {rule_number} ({}) lets return traffic in from the internet, and with it any connection to {}: the security groups must guard these database and administration ports",
            entry.describe(Direction::Ingress),
            join(&reaches)
        ),
    }
}

/// A rule is never reached when flipping its action changes nothing,
/// given only the rules before it.
fn shadowed(direction: Direction, rules: &[(RuleNumber, Entry)]) -> Vec<LintFinding> {
    let mut findings = Vec::new();
    for (index, (number, entry)) in rules.iter().enumerate() {
        let with = |action: Action| -> BTreeMap<EntryKey, Entry> {
            rules[..index]
                .iter()
                .map(|(n, e)| (*n, *e))
                .chain([(*number, Entry::new(action, entry.traffic(), entry.cidr()))])
                .map(|(rule_number, e)| {
                    (
                        EntryKey {
                            direction,
                            rule_number,
                        },
                        e,
                    )
                })
                .collect()
        };
        if traffic_difference(direction, &with(Action::Allow), &with(Action::Deny)).is_empty() {
            findings.push(LintFinding {
                kind: FindingKind::ShadowedRule,
                severity: match entry.action() {
                    Action::Deny => Severity::Medium,
                    Action::Allow => Severity::Low,
                },
                direction,
                rule_number: Some(*number),
                message: format!(
                    "{direction} rule {number} ({}) is never reached: earlier rules decide all of its traffic",
                    entry.describe(direction)
                ),
            });
        }
    }
    findings
}

fn join(ports: &[u16]) -> String {
    ports
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

fn is_anywhere(cidr: &Cidr) -> bool {
    matches!(cidr.to_string().as_str(), "0.0.0.0/0" | "::/0")
}

fn allow_all_before_deny(direction: Direction, rules: &[(RuleNumber, Entry)]) -> Vec<LintFinding> {
    let mut findings = Vec::new();
    for (index, (number, entry)) in rules.iter().enumerate() {
        let allows_everything = entry.action() == Action::Allow
            && entry.traffic() == Traffic::All
            && is_anywhere(&entry.cidr());
        if !allows_everything {
            continue;
        }
        let later_denies: Vec<String> = rules[index + 1..]
            .iter()
            .filter(|(_, later)| {
                later.action() == Action::Deny && later.cidr().is_ipv6() == entry.cidr().is_ipv6()
            })
            .map(|(later, _)| later.to_string())
            .collect();
        if !later_denies.is_empty() {
            findings.push(LintFinding {
                kind: FindingKind::AllowAllBeforeDeny,
                severity: Severity::High,
                direction,
                rule_number: Some(*number),
                message: format!(
                    "{direction} rule {number} allows all traffic {} {} ahead of deny rules {}, which it makes useless",
                    if direction == Direction::Ingress { "from" } else { "to" },
                    entry.cidr(),
                    later_denies.join(", ")
                ),
            });
        }
    }
    findings
}

fn missing_ipv6_denies(direction: Direction, rules: &[(RuleNumber, Entry)]) -> Vec<LintFinding> {
    let allows_ipv6 = rules
        .iter()
        .any(|(_, e)| e.action() == Action::Allow && e.cidr().is_ipv6());
    if !allows_ipv6 {
        return Vec::new();
    }
    rules
        .iter()
        // Only a deny of the internet has an IPv6 twin to miss: one of an
        // attacker's range, or of a partner, names addresses IPv6 does not.
        .filter(|(_, e)| {
            e.action() == Action::Deny
                && !e.cidr().is_ipv6()
                && AddressSet::of_cidr(&e.cidr()).is_internet()
        })
        .filter(|(_, v4)| {
            !rules.iter().any(|(_, v6)| {
                v6.action() == Action::Deny && v6.cidr().is_ipv6() && v6.traffic() == v4.traffic()
            })
        })
        .map(|(number, entry)| LintFinding {
            kind: FindingKind::MissingIpv6Deny,
            severity: Severity::Medium,
            direction,
            rule_number: Some(*number),
            message: format!(
                "{direction} rule {number} ({}) has no IPv6 twin, and this NACL allows IPv6 traffic",
                entry.describe(direction)
            ),
        })
        .collect()
}
