//! Reads `aws ec2 describe-network-acls --output json` exports, so teams can
//! snapshot and diff from exports they already have.
//!
//! The export is read into the SDK's own types and converted by the same
//! code as live responses, so both sources mean exactly the same thing.

use aws_sdk_ec2::types::{
    IcmpTypeCode, NetworkAcl, NetworkAclAssociation, NetworkAclEntry, PortRange, RuleAction, Tag,
};
use std::path::PathBuf;

use nacl_drift_model::{AccountId, DuplicateAcl, ObservedAcl, merge_sources};
use serde::Deserialize;
use serde::de::IgnoredAny;

use crate::acl_list::Runs;
use crate::asset_exports::{AssetExports, parse_asset_export};
use crate::convert::{ConvertError, convert_network_acl};

/// Why a file is not a usable export.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// The JSON is not an export.
    #[error(
        "not an `aws ec2 describe-network-acls --output json` export: {0} \
         (expected an object with a \"NetworkAcls\" list)"
    )]
    NotAnExport(serde_json::Error),
    /// A NACL of the export cannot be held by the model.
    #[error(transparent)]
    Convert(#[from] ConvertError),
    /// An export of interfaces, groups, route tables or instances that
    /// does not read as one.
    #[error(
        "an export of network interfaces, security groups, route tables or instances that cannot be read: {0}"
    )]
    Assets(serde_json::Error),
}

/// A live file that cannot be used, named.
#[derive(Debug, thiserror::Error)]
pub enum LiveFileError {
    /// It cannot be read.
    #[error("cannot read the live file {}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// It is not an export nacl-drift reads.
    #[error("{}: unusable live file", path.display())]
    Unusable {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: ExportError,
    },
    /// Two files disagree about a NACL.
    #[error("unusable live files")]
    Inconsistent(#[source] DuplicateAcl),
}

/// The NACLs of the export files `paths`, sorted by id (a NACL in two
/// files, or twice in one, must have the same content in both), and what
/// their asset exports hold, each file told apart by its shape. `account`
/// stands in for a missing `OwnerId`.
pub fn read_exports(
    paths: &[PathBuf],
    account: Option<&AccountId>,
) -> Result<(Vec<ObservedAcl>, AssetExports), LiveFileError> {
    let mut sources = Vec::new();
    let mut assets = AssetExports::default();
    for path in paths {
        let text = std::fs::read_to_string(path).map_err(|source| LiveFileError::Read {
            path: path.clone(),
            source,
        })?;
        let unusable = |source| LiveFileError::Unusable {
            path: path.clone(),
            source,
        };
        match parse_asset_export(&text).map_err(|error| unusable(ExportError::Assets(error)))? {
            Some(exported) => assets.merge(exported),
            None => sources.push((
                path.display().to_string(),
                parse_export(&text, account).map_err(unusable)?,
            )),
        }
    }
    let acls = merge_sources(sources).map_err(LiveFileError::Inconsistent)?;
    Ok((acls, assets))
}

/// The NACLs of an export, in its order. `account` stands in for a
/// missing `OwnerId` (see [`convert_network_acl`]).
pub fn parse_export(
    text: &str,
    account: Option<&AccountId>,
) -> Result<Vec<ObservedAcl>, ExportError> {
    // A file that cannot be taken apart, or whose parts do not parse, is
    // parsed again whole and in order, so that its error names the line
    // and column in the file.
    let converted = match parse_in_parts(text, account) {
        Some(converted) => converted,
        None => serde_json::from_str::<Export>(text)
            .map_err(ExportError::NotAnExport)?
            .network_acls
            .into_iter()
            .map(|acl| convert_network_acl(&acl.into_sdk(), account))
            .collect(),
    };
    Ok(converted.into_iter().collect::<Result<_, _>>()?)
}

/// Each NACL of the export parsed and converted on all cores, in order;
/// `None` when the export cannot be cut into runs or a part of it does not
/// parse ([`Runs`]).
fn parse_in_parts(
    text: &str,
    account: Option<&AccountId>,
) -> Option<Vec<Result<ObservedAcl, ConvertError>>> {
    Runs::of(text)?.parse(
        text,
        |acl: ExportedAcl| convert_network_acl(&acl.into_sdk(), account),
        |skeleton| serde_json::from_str::<Skeleton>(skeleton).is_ok(),
    )
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Export {
    network_acls: Vec<ExportedAcl>,
}

/// An export with its NACLs taken out: read as [`Export`] is, with the
/// same keys required and refused.
#[derive(Deserialize)]
struct Skeleton {
    #[serde(rename = "NetworkAcls")]
    _network_acls: Vec<IgnoredAny>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ExportedAcl {
    network_acl_id: Option<String>,
    vpc_id: Option<String>,
    owner_id: Option<String>,
    is_default: Option<bool>,
    #[serde(default)]
    entries: Vec<ExportedEntry>,
    #[serde(default)]
    associations: Vec<ExportedAssociation>,
    #[serde(default)]
    tags: Vec<ExportedTag>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ExportedEntry {
    rule_number: Option<i32>,
    egress: Option<bool>,
    rule_action: Option<String>,
    protocol: Option<String>,
    cidr_block: Option<String>,
    ipv6_cidr_block: Option<String>,
    port_range: Option<ExportedRange>,
    icmp_type_code: Option<ExportedIcmp>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ExportedRange {
    from: Option<i32>,
    to: Option<i32>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ExportedIcmp {
    r#type: Option<i32>,
    code: Option<i32>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ExportedAssociation {
    network_acl_association_id: Option<String>,
    subnet_id: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ExportedTag {
    key: Option<String>,
    value: Option<String>,
}

impl ExportedAcl {
    fn into_sdk(self) -> NetworkAcl {
        NetworkAcl::builder()
            .set_network_acl_id(self.network_acl_id)
            .set_vpc_id(self.vpc_id)
            .set_owner_id(self.owner_id)
            .set_is_default(self.is_default)
            .set_entries(Some(
                self.entries
                    .into_iter()
                    .map(ExportedEntry::into_sdk)
                    .collect(),
            ))
            .set_associations(Some(
                self.associations
                    .into_iter()
                    .map(|a| {
                        NetworkAclAssociation::builder()
                            .set_network_acl_association_id(a.network_acl_association_id)
                            .set_subnet_id(a.subnet_id)
                            .build()
                    })
                    .collect(),
            ))
            .set_tags(Some(
                self.tags
                    .into_iter()
                    .map(|t| Tag::builder().set_key(t.key).set_value(t.value).build())
                    .collect(),
            ))
            .build()
    }
}

impl ExportedEntry {
    fn into_sdk(self) -> NetworkAclEntry {
        NetworkAclEntry::builder()
            .set_rule_number(self.rule_number)
            .set_egress(self.egress)
            .set_rule_action(self.rule_action.as_deref().map(RuleAction::from))
            .set_protocol(self.protocol)
            .set_cidr_block(self.cidr_block)
            .set_ipv6_cidr_block(self.ipv6_cidr_block)
            .set_port_range(
                self.port_range
                    .map(|r| PortRange::builder().set_from(r.from).set_to(r.to).build()),
            )
            .set_icmp_type_code(self.icmp_type_code.map(|i| {
                IcmpTypeCode::builder()
                    .set_type(i.r#type)
                    .set_code(i.code)
                    .build()
            }))
            .build()
    }
}
