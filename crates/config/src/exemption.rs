//! What an exemption covers, and what it is matched against.

use nacl_drift_analysis::FindingKind;
use nacl_drift_diff::{Accepted, Change, DriftKind, State};
use nacl_drift_model::{
    AccountId, Cidr, Direction, EntryKey, NetworkAclId, Region, RuleNumber, VpcId,
};
use time::Date;

use crate::pattern::Pattern;

/// A kind of drift or of lint finding, as the config names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A kind of drift (`diff`, `apply`).
    Drift(DriftKind),
    /// A kind of lint finding.
    Finding(FindingKind),
}

/// Every kind, by the name the JSON report gives it.
const KINDS: [(&str, Kind); 12] = [
    (
        "network_acl_deleted",
        Kind::Drift(DriftKind::NetworkAclDeleted),
    ),
    ("network_acl_added", Kind::Drift(DriftKind::NetworkAclAdded)),
    ("entry_deleted", Kind::Drift(DriftKind::EntryDeleted)),
    ("entry_added", Kind::Drift(DriftKind::EntryAdded)),
    ("entry_modified", Kind::Drift(DriftKind::EntryModified)),
    (
        "association_changed",
        Kind::Drift(DriftKind::AssociationChanged),
    ),
    ("tags_changed", Kind::Drift(DriftKind::TagsChanged)),
    (
        "internet_exposure",
        Kind::Finding(FindingKind::InternetExposure),
    ),
    (
        "ephemeral_ports_open",
        Kind::Finding(FindingKind::EphemeralPortsOpen),
    ),
    ("shadowed_rule", Kind::Finding(FindingKind::ShadowedRule)),
    (
        "allow_all_before_deny",
        Kind::Finding(FindingKind::AllowAllBeforeDeny),
    ),
    (
        "missing_ipv6_deny",
        Kind::Finding(FindingKind::MissingIpv6Deny),
    ),
];

impl Kind {
    /// The kind named `name`, or why there is none.
    pub fn parse(name: &str) -> Result<Kind, String> {
        KINDS
            .iter()
            .find(|(known, _)| *known == name)
            .map(|(_, kind)| *kind)
            .ok_or_else(|| {
                let names: Vec<&str> = KINDS.iter().map(|(known, _)| *known).collect();
                format!(
                    "`{}` is not a kind of drift or lint finding: expected one of {}",
                    nacl_drift_model::sanitize::cut(name),
                    names.join(", ")
                )
            })
    }
}

/// Which NACLs a rule of the config is about; every part that is set must
/// match.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NaclPatterns {
    pub(crate) account: Option<Pattern>,
    pub(crate) region: Option<Pattern>,
    pub(crate) vpc_id: Option<Pattern>,
    pub(crate) network_acl: Option<Pattern>,
}

impl NaclPatterns {
    fn covers(&self, subject: &Subject<'_>) -> bool {
        let matches = |pattern: &Option<Pattern>, id: &str| {
            pattern.as_ref().is_none_or(|pattern| pattern.matches(id))
        };
        matches(&self.account, subject.account.as_str())
            && matches(&self.region, subject.region.as_str())
            && matches(&self.vpc_id, subject.vpc_id.as_str())
            && matches(&self.network_acl, subject.network_acl_id.as_str())
    }
}

/// A drift or lint finding that a team has accepted, until a date.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Exemption {
    pub(crate) nacls: NaclPatterns,
    pub(crate) kind: Option<Kind>,
    pub(crate) direction: Option<Direction>,
    pub(crate) rule_number: Option<RuleNumber>,
    pub(crate) cidr: Option<Cidr>,
    pub(crate) is_default: Option<bool>,
    /// Only NACLs that no subnet uses (`true`), or only those some subnet
    /// uses (`false`).
    pub(crate) unused: Option<bool>,
    /// Why the finding is accepted.
    pub reason: String,
    /// The last day the exemption applies.
    pub expires: Date,
    /// Its line in the config file.
    pub line: usize,
}

impl Exemption {
    /// Whether the exemption covers `subject` (whatever the date).
    pub fn covers(&self, subject: &Subject<'_>) -> bool {
        self.nacls.covers(subject)
            && self.kind.is_none_or(|kind| kind == subject.kind)
            && self
                .direction
                .is_none_or(|direction| subject.key.is_some_and(|key| key.direction == direction))
            && self
                .rule_number
                .is_none_or(|rule| subject.key.is_some_and(|key| key.rule_number == rule))
            && self.cidr.is_none_or(|cidr| subject.cidrs.contains(&cidr))
            && self
                .is_default
                .is_none_or(|is_default| subject.is_default == Some(is_default))
            && self
                .unused
                .is_none_or(|unused| subject.unused == Some(unused))
    }

    /// What a report says of the findings it accepts.
    pub fn accepted(&self) -> Accepted {
        Accepted {
            reason: self.reason.clone(),
            expires: self.expires.to_string(),
        }
    }

    /// Whether `today` is past the expiry date.
    pub fn expired(&self, today: Date) -> bool {
        today > self.expires
    }
}

/// NACLs whose drift is reported but never restored: Firewall Manager's,
/// say.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MonitorOnly {
    pub(crate) nacls: NaclPatterns,
    /// Why nacl-drift must not change these NACLs.
    pub reason: String,
    /// Its line in the config file.
    pub line: usize,
}

impl MonitorOnly {
    /// Whether `subject`'s NACL is one of these.
    pub fn covers(&self, subject: &Subject<'_>) -> bool {
        self.nacls.covers(subject)
    }
}

/// A drift or lint finding, as exemptions see it.
#[derive(Clone, Debug)]
pub struct Subject<'a> {
    /// The NACL's account.
    pub account: &'a AccountId,
    /// The NACL's region.
    pub region: &'a Region,
    /// The NACL's VPC.
    pub vpc_id: &'a VpcId,
    /// The NACL.
    pub network_acl_id: &'a NetworkAclId,
    /// What kind of drift or finding it is.
    pub kind: Kind,
    /// The entry it is about, if any.
    pub key: Option<EntryKey>,
    /// The CIDRs of that entry (baseline and live).
    pub cidrs: Vec<Cidr>,
    /// Whether the NACL is its VPC's default, where that is known (a lint
    /// finding's baseline says; a drift does not carry it).
    pub is_default: Option<bool>,
    /// Whether no subnet uses the NACL, where that is known (likewise).
    pub unused: Option<bool>,
}

impl<'a> Subject<'a> {
    /// A drift, with the CIDRs of its entry on both sides.
    pub fn of_change(change: &'a Change) -> Self {
        let cidrs = [change.baseline(), change.live()]
            .into_iter()
            .flatten()
            .filter_map(|state| match state {
                State::Entry(_, entry) => Some(entry.cidr()),
                _ => None,
            })
            .collect();
        Subject {
            account: &change.account,
            region: &change.region,
            vpc_id: &change.vpc_id,
            network_acl_id: &change.network_acl_id,
            kind: Kind::Drift(change.kind()),
            key: change.drift.entry_key(),
            cidrs,
            is_default: None,
            unused: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_names_are_the_json_names() {
        for (name, kind) in KINDS {
            let json = match kind {
                Kind::Drift(kind) => format!("{kind:?}"),
                Kind::Finding(kind) => format!("{kind:?}"),
            };
            let snake: String = json
                .chars()
                .enumerate()
                .flat_map(|(i, c)| {
                    let lower = c.to_ascii_lowercase();
                    if c.is_ascii_uppercase() && i > 0 {
                        vec!['_', lower]
                    } else {
                        vec![lower]
                    }
                })
                .collect();
            assert_eq!(name, snake);
        }
    }
}
