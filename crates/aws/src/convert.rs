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
    AccountId, Action, AssociationId, Cidr, CidrError, Direction, Entry, EntryError, EntryKey,
    IcmpTypeCode, IdError, NetworkAcl, NetworkAclId, ObservedAcl, PortRange, Protocol, RuleNumber,
    SubnetId, VpcId,
};

/// A network ACL in a DescribeNetworkAcls response that the model cannot hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConvertError {
    /// The NACL has no id.
    #[error("a network ACL has no NetworkAclId")]
    MissingAclId,
    /// The NACL's id is not a NACL id.
    #[error("a network ACL's NetworkAclId is unusable")]
    BadAclId(#[source] IdError),
    /// A field of the NACL is absent.
    #[error("network ACL {acl} has no {field}")]
    MissingAclField {
        /// The NACL.
        acl: NetworkAclId,
        /// The field, as EC2 names it.
        field: &'static str,
    },
    /// No `OwnerId`, and no `--account` to stand in for it.
    #[error(
        "network ACL {acl} has no OwnerId (exports of older AWS CLIs lack it): \
         pass --account with the 12-digit account it belongs to"
    )]
    MissingOwner {
        /// The NACL without an owner.
        acl: NetworkAclId,
    },
    /// `OwnerId` and `--account` disagree.
    #[error("network ACL {acl} has OwnerId {owner}, but --account says {account}")]
    OwnerMismatch {
        /// The NACL.
        acl: NetworkAclId,
        /// Its `OwnerId`.
        owner: AccountId,
        /// The `--account` given.
        account: AccountId,
    },
    /// An id of the NACL is not an AWS id.
    #[error("network ACL {acl}: {field} is unusable")]
    BadId {
        /// The NACL.
        acl: NetworkAclId,
        /// The field that holds the id, as EC2 names it.
        field: &'static str,
        /// Why it is not an AWS id.
        #[source]
        source: IdError,
    },
    /// A field of an entry is absent.
    #[error("network ACL {acl}: an entry has no {field}")]
    MissingEntryField {
        /// The NACL.
        acl: NetworkAclId,
        /// The field, as EC2 names it.
        field: &'static str,
    },
    /// An entry the model cannot hold.
    #[error("network ACL {acl}, {direction} rule {rule_number}: {problem}")]
    InvalidEntry {
        /// The NACL.
        acl: NetworkAclId,
        /// The entry's direction.
        direction: Direction,
        /// The entry's rule number, as EC2 gave it.
        rule_number: i64,
        /// What is wrong with it.
        problem: String,
    },
    /// Two entries with one direction and rule number.
    #[error(
        "network ACL {acl} has two {direction} entries numbered {rule_number}: \
         EC2 never returns that, so the input is corrupt"
    )]
    DuplicateEntry {
        /// The NACL.
        acl: NetworkAclId,
        /// The direction.
        direction: Direction,
        /// The rule number.
        rule_number: RuleNumber,
    },
}

/// Converts one NACL from a DescribeNetworkAcls response. `account` stands
/// in for a missing `OwnerId` (older exports have none), and must agree
/// with one that is there.
pub fn convert_network_acl(
    acl: &types::NetworkAcl,
    account: Option<&AccountId>,
) -> Result<ObservedAcl, ConvertError> {
    let id = NetworkAclId::parse(acl.network_acl_id().ok_or(ConvertError::MissingAclId)?)
        .map_err(ConvertError::BadAclId)?;
    let parse = |field: &'static str, value: Option<&str>| -> Result<String, ConvertError> {
        value
            .map(str::to_owned)
            .ok_or_else(|| ConvertError::MissingAclField {
                acl: id.clone(),
                field,
            })
    };
    let bad_id = |field: &'static str| {
        let acl = id.clone();
        move |source| ConvertError::BadId { acl, field, source }
    };
    let vpc_id = VpcId::parse(&parse("VpcId", acl.vpc_id())?).map_err(bad_id("VpcId"))?;
    let account = match (acl.owner_id(), account) {
        (Some(owner), given) => {
            let owner = AccountId::parse(owner).map_err(bad_id("OwnerId"))?;
            match given {
                Some(given) if *given != owner => {
                    return Err(ConvertError::OwnerMismatch {
                        acl: id,
                        owner,
                        account: given.clone(),
                    });
                }
                _ => owner,
            }
        }
        (None, Some(given)) => given.clone(),
        (None, None) => return Err(ConvertError::MissingOwner { acl: id }),
    };
    let mut entries = BTreeMap::new();
    for entry in acl.entries() {
        if let Some((key, entry)) = convert_entry(&id, entry)?
            && entries.insert(key, entry).is_some()
        {
            return Err(ConvertError::DuplicateEntry {
                acl: id,
                direction: key.direction,
                rule_number: key.rule_number,
            });
        }
    }
    let tags = acl
        .tags()
        .iter()
        .filter_map(|tag| Some((tag.key()?.to_owned(), tag.value().unwrap_or("").to_owned())))
        .collect();
    let mut subnets = BTreeSet::new();
    let mut association_ids = BTreeMap::new();
    for association in acl.associations() {
        let Some(subnet) = association.subnet_id() else {
            continue;
        };
        let subnet = SubnetId::parse(subnet).map_err(bad_id("Associations[].SubnetId"))?;
        if let Some(association_id) = association.network_acl_association_id() {
            let association_id = AssociationId::parse(association_id)
                .map_err(bad_id("Associations[].NetworkAclAssociationId"))?;
            association_ids.insert(association_id, subnet.clone());
        }
        subnets.insert(subnet);
    }
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
    acl_id: &NetworkAclId,
    entry: &types::NetworkAclEntry,
) -> Result<Option<(EntryKey, Entry)>, ConvertError> {
    let missing = |field| ConvertError::MissingEntryField {
        acl: acl_id.clone(),
        field,
    };
    let rule_number = i64::from(entry.rule_number().ok_or_else(|| missing("RuleNumber"))?);
    if RuleNumber::is_catch_all(rule_number) {
        return Ok(None);
    }
    let direction = Direction::from_egress(entry.egress().ok_or_else(|| missing("Egress"))?);
    let invalid = |problem: String| ConvertError::InvalidEntry {
        acl: acl_id.clone(),
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
    let entry =
        Entry::from_fields(action, protocol, ports, icmp, cidr).map_err(from_entry_error)?;
    Ok(Some((
        EntryKey {
            direction,
            rule_number,
        },
        entry,
    )))
}
