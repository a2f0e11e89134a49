//! The restore's EC2 calls: apply's [`NaclApi`] for EC2's client, model to
//! SDK. Errors are classified by their code (EC2 does not model them).

use std::collections::{BTreeMap, BTreeSet};
use std::error::Error as StdError;

use aws_sdk_ec2::Client;
use aws_sdk_ec2::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_ec2::types::{Filter, IcmpTypeCode, PortRange, RuleAction, Tag};
use nacl_drift_apply::{CallError, CallErrorKind, NaclApi};
use nacl_drift_model::{
    Action, AssociationId, Cidr, Entry, EntryKey, NetworkAclId, Operation, SubnetId, VpcId,
};

use crate::{ApiError, convert_network_acl};

/// EC2 in one region, as apply calls it.
#[derive(Clone, Debug)]
pub struct Ec2 {
    client: Client,
}

impl Ec2 {
    /// EC2 through `client`, configured for one region.
    pub fn new(client: Client) -> Self {
        Ec2 { client }
    }
}

/// The error of `operation`, classified for apply.
fn call_error<E>(operation: &'static str, error: SdkError<E>) -> CallError
where
    E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
{
    let kind = match error.code() {
        Some("DryRunOperation") => CallErrorKind::DryRunPermitted,
        Some("NetworkAclEntryAlreadyExists") => CallErrorKind::EntryAlreadyExists,
        Some("InvalidNetworkAclEntry.NotFound") => CallErrorKind::EntryNotFound,
        _ => CallErrorKind::Other,
    };
    CallError {
        kind,
        message: ApiError::new(operation, error).to_string(),
    }
}

/// EC2's `DryRun` parameter: sent only when set.
fn flag(dry_run: bool) -> Option<bool> {
    dry_run.then_some(true)
}

/// Sets an entry's fields on a CreateNetworkAclEntry or
/// ReplaceNetworkAclEntry request: the two take the same fields, through
/// builders of different types.
macro_rules! with_entry {
    ($request:expr, $acl:expr, $key:expr, $entry:expr, $dry_run:expr) => {
        $request
            .network_acl_id($acl)
            .egress($key.direction.is_egress())
            .rule_number(i32::from($key.rule_number.get()))
            .rule_action(rule_action(&$entry))
            .protocol($entry.traffic().protocol().api_code())
            .set_cidr_block(v4(&$entry))
            .set_ipv6_cidr_block(v6(&$entry))
            .set_port_range(port_range(&$entry))
            .set_icmp_type_code(icmp(&$entry))
            .set_dry_run(flag($dry_run))
    };
}

impl NaclApi for Ec2 {
    async fn create_network_acl(
        &self,
        vpc: &VpcId,
        dry_run: bool,
    ) -> Result<NetworkAclId, CallError> {
        let operation = Operation::CreateNetworkAcl.name();
        let created = self
            .client
            .create_network_acl()
            .vpc_id(vpc)
            .set_dry_run(flag(dry_run))
            .send()
            .await
            .map_err(|error| call_error(operation, error))?;
        let other = |message: String| CallError {
            kind: CallErrorKind::Other,
            message,
        };
        let id = created
            .network_acl()
            .and_then(|acl| acl.network_acl_id())
            .ok_or_else(|| other(format!("{operation} answered without a NACL id")))?;
        NetworkAclId::parse(id).map_err(|error| {
            other(format!(
                "{operation} answered with an unusable NACL id: {error}"
            ))
        })
    }

    async fn create_entry(
        &self,
        acl: &NetworkAclId,
        key: EntryKey,
        entry: Entry,
        dry_run: bool,
    ) -> Result<(), CallError> {
        let request = self.client.create_network_acl_entry();
        with_entry!(request, acl, key, entry, dry_run)
            .send()
            .await
            .map(drop)
            .map_err(|error| call_error(Operation::CreateNetworkAclEntry.name(), error))
    }

    async fn replace_entry(
        &self,
        acl: &NetworkAclId,
        key: EntryKey,
        entry: Entry,
        dry_run: bool,
    ) -> Result<(), CallError> {
        let request = self.client.replace_network_acl_entry();
        with_entry!(request, acl, key, entry, dry_run)
            .send()
            .await
            .map(drop)
            .map_err(|error| call_error(Operation::ReplaceNetworkAclEntry.name(), error))
    }

    async fn delete_entry(
        &self,
        acl: &NetworkAclId,
        key: EntryKey,
        dry_run: bool,
    ) -> Result<(), CallError> {
        self.client
            .delete_network_acl_entry()
            .network_acl_id(acl)
            .egress(key.direction.is_egress())
            .rule_number(i32::from(key.rule_number.get()))
            .set_dry_run(flag(dry_run))
            .send()
            .await
            .map(drop)
            .map_err(|error| call_error(Operation::DeleteNetworkAclEntry.name(), error))
    }

    async fn entry(&self, acl: &NetworkAclId, key: EntryKey) -> Result<Option<Entry>, CallError> {
        let found = self
            .client
            .describe_network_acls()
            .network_acl_ids(acl)
            .send()
            .await
            .map_err(|error| call_error("DescribeNetworkAcls", error))?;
        Ok(found
            .network_acls()
            .iter()
            .filter_map(|acl| convert_network_acl(acl, None).ok())
            .find_map(|observed| observed.acl.entries.get(&key).copied()))
    }

    async fn association_of(
        &self,
        subnet: &SubnetId,
    ) -> Result<Option<(AssociationId, NetworkAclId)>, CallError> {
        let found = self
            .client
            .describe_network_acls()
            .filters(
                Filter::builder()
                    .name("association.subnet-id")
                    .values(subnet)
                    .build(),
            )
            .send()
            .await
            .map_err(|error| call_error("DescribeNetworkAcls", error))?;
        Ok(found
            .network_acls()
            .iter()
            .flat_map(|acl| acl.associations())
            .filter(|association| association.subnet_id() == Some(subnet.as_str()))
            .find_map(|association| {
                Some((
                    AssociationId::parse(association.network_acl_association_id()?).ok()?,
                    NetworkAclId::parse(association.network_acl_id()?).ok()?,
                ))
            }))
    }

    async fn replace_association(
        &self,
        association: &AssociationId,
        acl: &NetworkAclId,
        dry_run: bool,
    ) -> Result<(), CallError> {
        self.client
            .replace_network_acl_association()
            .association_id(association)
            .network_acl_id(acl)
            .set_dry_run(flag(dry_run))
            .send()
            .await
            .map(drop)
            .map_err(|error| call_error(Operation::ReplaceNetworkAclAssociation.name(), error))
    }

    async fn create_tags(
        &self,
        acl: &NetworkAclId,
        tags: &BTreeMap<String, String>,
        dry_run: bool,
    ) -> Result<(), CallError> {
        let tags = tags
            .iter()
            .map(|(key, value)| Tag::builder().key(key).value(value).build());
        self.client
            .create_tags()
            .resources(acl)
            .set_tags(Some(tags.collect()))
            .set_dry_run(flag(dry_run))
            .send()
            .await
            .map(drop)
            .map_err(|error| call_error(Operation::CreateTags.name(), error))
    }

    async fn delete_tags(
        &self,
        acl: &NetworkAclId,
        keys: &BTreeSet<String>,
        dry_run: bool,
    ) -> Result<(), CallError> {
        let tags = keys.iter().map(|key| Tag::builder().key(key).build());
        self.client
            .delete_tags()
            .resources(acl)
            .set_tags(Some(tags.collect()))
            .set_dry_run(flag(dry_run))
            .send()
            .await
            .map(drop)
            .map_err(|error| call_error(Operation::DeleteTags.name(), error))
    }
}

fn rule_action(entry: &Entry) -> RuleAction {
    match entry.action() {
        Action::Allow => RuleAction::Allow,
        Action::Deny => RuleAction::Deny,
    }
}

fn v4(entry: &Entry) -> Option<String> {
    matches!(entry.cidr(), Cidr::V4(_)).then(|| entry.cidr().to_string())
}

fn v6(entry: &Entry) -> Option<String> {
    matches!(entry.cidr(), Cidr::V6(_)).then(|| entry.cidr().to_string())
}

fn port_range(entry: &Entry) -> Option<PortRange> {
    let ports = entry.traffic().ports()?;
    Some(
        PortRange::builder()
            .from(i32::from(ports.from()))
            .to(i32::from(ports.to()))
            .build(),
    )
}

fn icmp(entry: &Entry) -> Option<IcmpTypeCode> {
    let icmp = entry.traffic().icmp()?;
    Some(
        IcmpTypeCode::builder()
            .r#type(i32::from(icmp.icmp_type()))
            .code(i32::from(icmp.code()))
            .build(),
    )
}
