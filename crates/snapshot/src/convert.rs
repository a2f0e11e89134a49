//! Converts EC2's description of a network ACL into the model.
//!
//! EC2 reports what AWS stores, which the model accepts as is, with three
//! normalisations: CIDRs are canonicalised (AWS does this on create, some
//! EC2-compatible endpoints do not), ports are dropped from protocols that
//! have none and ICMP type/code from non-ICMP protocols (AWS ignores both for
//! matching), and the catch-all rules 32767/32768 are left out.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_ec2::types::{self, RuleAction};
use nacl_drift_model::{
    Action, Cidr, CidrError, Direction, Entry, EntryError, EntryKey, IcmpTypeCode, NetworkAcl,
    ObservedAcl, PortRange, Protocol, RuleNumber, Traffic,
};

/// A network ACL in a DescribeNetworkAcls response that the model cannot hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConvertError {
    #[error("a network ACL has no {0}")]
    MissingAclField(&'static str),
    #[error("{acl}: an entry has no {field}")]
    MissingEntryField { acl: String, field: &'static str },
    #[error("{acl}, {direction} rule {rule_number}: {problem}")]
    InvalidEntry {
        acl: String,
        direction: Direction,
        rule_number: i64,
        problem: String,
    },
}

/// Converts one NACL from a DescribeNetworkAcls response.
pub fn convert_network_acl(acl: &types::NetworkAcl) -> Result<ObservedAcl, ConvertError> {
    let id = acl
        .network_acl_id()
        .ok_or(ConvertError::MissingAclField("NetworkAclId"))?
        .to_owned();
    let vpc_id = acl
        .vpc_id()
        .ok_or(ConvertError::MissingAclField("VpcId"))?
        .to_owned();
    let account = acl
        .owner_id()
        .ok_or(ConvertError::MissingAclField("OwnerId"))?
        .to_owned();
    let mut entries = BTreeMap::new();
    for entry in acl.entries() {
        if let Some((key, entry)) = convert_entry(&id, entry)? {
            entries.insert(key, entry);
        }
    }
    let tags = acl
        .tags()
        .iter()
        .filter_map(|tag| Some((tag.key()?.to_owned(), tag.value().unwrap_or("").to_owned())))
        .collect();
    let subnets: BTreeSet<String> = acl
        .associations()
        .iter()
        .filter_map(|association| association.subnet_id().map(str::to_owned))
        .collect();
    let association_ids = acl
        .associations()
        .iter()
        .filter_map(|association| {
            Some((
                association.network_acl_association_id()?.to_owned(),
                association.subnet_id()?.to_owned(),
            ))
        })
        .collect();
    Ok(ObservedAcl {
        account,
        vpc_id,
        association_ids,
        acl: NetworkAcl {
            id,
            is_default: acl.is_default().unwrap_or(false),
            tags,
            subnets,
            entries,
        },
    })
}

/// Converts one entry; `None` for AWS's catch-all rules.
fn convert_entry(
    acl_id: &str,
    entry: &types::NetworkAclEntry,
) -> Result<Option<(EntryKey, Entry)>, ConvertError> {
    let missing = |field| ConvertError::MissingEntryField {
        acl: acl_id.to_owned(),
        field,
    };
    let rule_number = i64::from(entry.rule_number().ok_or_else(|| missing("RuleNumber"))?);
    if RuleNumber::is_catch_all(rule_number) {
        return Ok(None);
    }
    let direction = Direction::from_egress(entry.egress().ok_or_else(|| missing("Egress"))?);
    let invalid = |problem: String| ConvertError::InvalidEntry {
        acl: acl_id.to_owned(),
        direction,
        rule_number,
        problem,
    };
    let from_entry_error = |error: EntryError| invalid(error.to_string());
    let from_cidr_error = |error: CidrError| invalid(error.to_string());

    let rule_number = RuleNumber::new(rule_number).map_err(from_entry_error)?;
    let action = match entry.rule_action().ok_or_else(|| missing("RuleAction"))? {
        RuleAction::Allow => Action::Allow,
        RuleAction::Deny => Action::Deny,
        other => return Err(invalid(format!("unknown rule action `{}`", other.as_str()))),
    };
    let protocol = Protocol::parse(entry.protocol().ok_or_else(|| missing("Protocol"))?)
        .map_err(from_entry_error)?;
    let ports = match entry.port_range() {
        Some(range) if protocol.has_ports() => Some(
            PortRange::new(
                range.from().map_or(0, i64::from),
                range.to().map_or(65535, i64::from),
            )
            .map_err(from_entry_error)?,
        ),
        _ => None,
    };
    let icmp = match entry.icmp_type_code() {
        Some(icmp) if protocol.has_icmp_type_code() => Some(
            IcmpTypeCode::new(
                icmp.r#type().map_or(-1, i64::from),
                icmp.code().map_or(-1, i64::from),
            )
            .map_err(from_entry_error)?,
        ),
        _ => None,
    };
    let cidr = match (entry.cidr_block(), entry.ipv6_cidr_block()) {
        (Some(v4), None) => Cidr::canonicalize(v4).map_err(from_cidr_error)?,
        (None, Some(v6)) => Cidr::canonicalize(v6).map_err(from_cidr_error)?,
        (Some(_), Some(_)) => return Err(from_entry_error(EntryError::BothCidrs)),
        (None, None) => return Err(from_entry_error(EntryError::NoCidr)),
    };
    let traffic = Traffic::new(protocol, ports, icmp).map_err(from_entry_error)?;
    let entry = Entry::new(action, traffic, cidr).map_err(from_entry_error)?;
    Ok(Some((
        EntryKey {
            direction,
            rule_number,
        },
        entry,
    )))
}
