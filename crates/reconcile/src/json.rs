//! The documented JSON of an assessed comparison (`docs/src/json.md`):
//! part of nacl-drift's interface. `diff --format json` prints a
//! [`Comparison`]'s; the guard's lines carry its changes and effects.

use nacl_drift_analysis::{EffectKind, Service, Severity};
use nacl_drift_assets::EffectAssets;
use nacl_drift_diff::Accepted;
use nacl_drift_diff::{AssessedChange, Attributed, DriftKind, Skipped, State};
use nacl_drift_model::{
    AccountId, Cidr, Direction, NetworkAclId, PortRange, Protocol, ReadError, Region, RuleNumber,
    SubnetId, VpcId,
};
use serde::{Serialize, Serializer};

use crate::assess::AssessedEffect;
use crate::compare::Comparison;

impl Comparison {
    /// The comparison as the documented JSON has it: the severity counts no
    /// accepted change, and each change and effect carries what was
    /// assessed of it.
    pub fn json(&self) -> Json<'_> {
        Json(self)
    }
}

/// A comparison's documented JSON.
pub struct Json<'a>(&'a Comparison);

impl Serialize for Json<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Record<'a> {
            in_sync: bool,
            severity: Option<Severity>,
            #[serde(serialize_with = "changes")]
            changes: &'a [AssessedChange],
            effects: &'a [AssessedEffect],
            skipped: &'a [Skipped],
            errors: &'a [ReadError],
        }
        let comparison = self.0;
        Record {
            in_sync: comparison.in_sync(),
            severity: comparison.severity(),
            changes: &comparison.changes,
            effects: &comparison.effects,
            skipped: &comparison.skipped,
            errors: &comparison.errors,
        }
        .serialize(serializer)
    }
}

/// Assessed changes as the documented JSON has them, for
/// `#[serde(serialize_with)]`.
pub fn changes<S: Serializer>(
    changes: &[AssessedChange],
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.collect_seq(changes.iter().map(ChangeJson))
}

/// One assessed change's documented JSON: `kind`, where, `baseline` and
/// `live`, the assessment, and the verdicts.
struct ChangeJson<'a>(&'a AssessedChange);

impl Serialize for ChangeJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let AssessedChange {
            change,
            verdict,
            address,
        } = self.0;
        #[derive(Serialize)]
        struct Record<'a> {
            kind: DriftKind,
            account: &'a AccountId,
            region: &'a Region,
            vpc_id: &'a VpcId,
            network_acl_id: &'a NetworkAclId,
            #[serde(skip_serializing_if = "Option::is_none")]
            direction: Option<Direction>,
            #[serde(skip_serializing_if = "Option::is_none")]
            rule_number: Option<RuleNumber>,
            #[serde(skip_serializing_if = "Option::is_none")]
            subnet_id: Option<&'a SubnetId>,
            #[serde(skip_serializing_if = "Option::is_none")]
            live_network_acl_id: Option<&'a NetworkAclId>,
            baseline: Option<State<'a>>,
            live: Option<State<'a>>,
            severity: Severity,
            #[serde(skip_serializing_if = "Option::is_none")]
            effective: Option<bool>,
            #[serde(skip_serializing_if = "Option::is_none")]
            latent: Option<Severity>,
            #[serde(skip_serializing_if = "Attributed::not_asked")]
            attribution: &'a Attributed,
            #[serde(skip_serializing_if = "Option::is_none")]
            accepted: Option<&'a Accepted>,
            #[serde(skip_serializing_if = "Option::is_none")]
            monitor_only: Option<&'a str>,
            #[serde(skip_serializing_if = "Option::is_none")]
            held: Option<&'a str>,
            #[serde(skip_serializing_if = "Option::is_none")]
            terraform_address: Option<&'a str>,
        }
        let key = change.drift.entry_key();
        Record {
            kind: change.kind(),
            account: &change.account,
            region: &change.region,
            vpc_id: &change.vpc_id,
            network_acl_id: &change.network_acl_id,
            direction: key.map(|key| key.direction),
            rule_number: key.map(|key| key.rule_number),
            subnet_id: change.drift.subnet(),
            live_network_acl_id: change.live_network_acl_id(),
            baseline: change.baseline(),
            live: change.live(),
            severity: change.severity,
            effective: change.effective,
            latent: change.latent,
            attribution: &verdict.attribution,
            accepted: verdict.accepted.as_ref(),
            monitor_only: verdict.monitor_only.as_deref(),
            held: verdict.held.as_deref(),
            terraform_address: address.as_deref(),
        }
        .serialize(serializer)
    }
}

/// An assessed effect's documented JSON; `accepted` when every change it
/// follows from is accepted, `assets` when found.
impl Serialize for AssessedEffect {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let assessed = self;
        /// An ICMP type or code: -1 for any, as AWS writes it, or a range.
        #[derive(Serialize)]
        #[serde(untagged)]
        enum IcmpPart {
            Number(i16),
            Range(String),
        }
        fn icmp_part((low, high): (u8, u8)) -> IcmpPart {
            match (low, high) {
                (0, 255) => IcmpPart::Number(-1),
                (l, h) if l == h => IcmpPart::Number(i16::from(l)),
                (l, h) => IcmpPart::Range(format!("{l}-{h}")),
            }
        }
        /// A protocol as baselines write it (a name, or an IANA number), or
        /// `other` for the protocols no rule names.
        #[derive(Serialize)]
        #[serde(untagged)]
        enum ProtocolField {
            Protocol(Protocol),
            Other(&'static str),
        }
        #[derive(Serialize)]
        struct Icmp {
            #[serde(rename = "type")]
            icmp_type: IcmpPart,
            code: IcmpPart,
        }
        #[derive(Serialize)]
        struct Record<'a> {
            account: &'a str,
            region: &'a str,
            vpc_id: &'a str,
            network_acl_id: &'a str,
            #[serde(skip_serializing_if = "Option::is_none")]
            live_network_acl_id: Option<&'a str>,
            #[serde(skip_serializing_if = "<[SubnetId]>::is_empty")]
            subnet_ids: &'a [SubnetId],
            direction: Direction,
            effect: &'static str,
            protocol: ProtocolField,
            #[serde(skip_serializing_if = "Option::is_none")]
            ports: Option<PortRange>,
            #[serde(skip_serializing_if = "Option::is_none")]
            icmp: Option<Icmp>,
            #[serde(skip_serializing_if = "Vec::is_empty")]
            other_than: Vec<Protocol>,
            cidrs: Vec<Cidr>,
            #[serde(skip_serializing_if = "Vec::is_empty")]
            except_cidrs: Vec<Cidr>,
            severity: Severity,
            baseline_rule: Option<RuleNumber>,
            live_rule: Option<RuleNumber>,
            summary: String,
            #[serde(skip_serializing_if = "Option::is_none")]
            accepted: Option<&'a Accepted>,
            #[serde(skip_serializing_if = "Option::is_none")]
            assets: Option<&'a EffectAssets>,
        }
        let effect = &assessed.effect.effect;
        let (cidrs, except_cidrs) = effect.addresses.summary();
        let (protocol, ports, icmp, other_than) = match &effect.service {
            Service::All => (
                ProtocolField::Protocol(Protocol::All),
                None,
                None,
                Vec::new(),
            ),
            Service::Ports { protocol, from, to } => (
                ProtocolField::Protocol(*protocol),
                PortRange::new(i64::from(*from), i64::from(*to)).ok(),
                None,
                Vec::new(),
            ),
            Service::Icmp {
                protocol,
                types,
                codes,
            } => (
                ProtocolField::Protocol(*protocol),
                None,
                Some(Icmp {
                    icmp_type: icmp_part(*types),
                    code: icmp_part(*codes),
                }),
                Vec::new(),
            ),
            Service::Protocol(protocol) => {
                (ProtocolField::Protocol(*protocol), None, None, Vec::new())
            }
            Service::Unnamed { named } => (
                ProtocolField::Other("other"),
                None,
                None,
                named.iter().map(|&n| Protocol::from_number(n)).collect(),
            ),
        };
        Record {
            account: assessed.effect.account.as_str(),
            region: &assessed.effect.region,
            vpc_id: &assessed.effect.vpc_id,
            network_acl_id: &assessed.effect.network_acl_id,
            live_network_acl_id: assessed
                .effect
                .live_network_acl_id
                .as_ref()
                .map(NetworkAclId::as_str),
            subnet_ids: &assessed.effect.subnet_ids,
            direction: effect.direction,
            effect: match effect.kind {
                EffectKind::NewlyAllowed => "newly_allowed",
                EffectKind::NewlyDenied => "newly_denied",
            },
            protocol,
            ports,
            icmp,
            other_than,
            cidrs,
            except_cidrs,
            severity: effect.severity(),
            baseline_rule: effect.baseline_rule,
            live_rule: effect.live_rule,
            summary: effect.to_string(),
            accepted: assessed.accepted.as_ref(),
            assets: assessed.assets.as_ref(),
        }
        .serialize(serializer)
    }
}
