//! A baseline file: the network ACLs of one VPC, and the scope they came from.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::de::{self, MapAccess, SeqAccess, Visitor};
use serde::ser::SerializeSeq;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::entry::{Entry, EntryKey, EntryRecord};
use crate::ids::{AccountId, AssociationId, NetworkAclId, Region, SubnetId, VpcId};

/// The schema version this build reads and writes.
pub const SCHEMA_VERSION: u32 = 1;

/// The NACLs of one VPC in one account and region, as committed to git.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    schema_version: SchemaVersion,
    /// The account the VPC belongs to.
    pub account: AccountId,
    /// The VPC's region.
    pub region: Region,
    /// The VPC.
    pub vpc_id: VpcId,
    /// What the snapshot that wrote the file looked at.
    pub scope: Scope,
    /// Sorted by id.
    pub network_acls: Vec<NetworkAcl>,
}

/// What the snapshot that wrote a baseline looked at. A NACL inside this
/// scope but missing from the baseline is "added" drift.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scope {
    /// The regions the snapshot covered.
    pub regions: BTreeSet<Region>,
    /// The `--vpc-id` filter, if any; absent means every VPC in the regions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vpc_ids: Option<BTreeSet<VpcId>>,
}

impl Scope {
    /// Whether the scope covers `vpc_id` (in one of its regions).
    pub fn covers_vpc(&self, vpc_id: &str) -> bool {
        self.vpc_ids.as_ref().is_none_or(|ids| ids.contains(vpc_id))
    }
}

/// One network ACL: its subnets, tags and entries.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkAcl {
    /// The NACL's id.
    pub id: NetworkAclId,
    /// Whether it is the VPC's default NACL.
    pub is_default: bool,
    /// The NACL's tags.
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    /// Subnet ids. Association ids are not kept: they change on every
    /// `ReplaceNetworkAclAssociation`.
    #[serde(default)]
    pub subnets: BTreeSet<SubnetId>,
    /// Ingress first, then egress, each by rule number.
    #[serde(
        default,
        serialize_with = "serialize_entries",
        deserialize_with = "deserialize_entries"
    )]
    pub entries: BTreeMap<EntryKey, Entry>,
}

/// A live network ACL, with the account and VPC it belongs to, as read from
/// EC2 or from an export of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObservedAcl {
    /// The owner account (`OwnerId`).
    pub account: AccountId,
    /// The VPC the NACL is in.
    pub vpc_id: VpcId,
    /// The NACL.
    pub acl: NetworkAcl,
    /// The current association ids, each with its subnet. Never part of a
    /// baseline (they change on every move); CloudTrail records name them.
    pub association_ids: BTreeMap<AssociationId, SubnetId>,
}

impl Baseline {
    /// A baseline of `network_acls`, which it sorts by id.
    pub fn new(
        account: AccountId,
        region: Region,
        vpc_id: VpcId,
        scope: Scope,
        mut network_acls: Vec<NetworkAcl>,
    ) -> Self {
        network_acls.sort_by(|a, b| a.id.cmp(&b.id));
        Baseline {
            schema_version: SchemaVersion,
            account,
            region,
            vpc_id,
            scope,
            network_acls,
        }
    }

    /// Checks what the YAML schema alone cannot: the scope and uniqueness.
    /// (Every id was checked when it was parsed.)
    pub(crate) fn check(&self) -> Result<(), String> {
        if !self.scope.regions.contains(&self.region) {
            return Err(format!(
                "scope.regions does not include this file's region `{}`",
                self.region
            ));
        }
        let mut seen = BTreeSet::new();
        let mut subnets = BTreeMap::new();
        for acl in &self.network_acls {
            if !seen.insert(&acl.id) {
                return Err(format!("network ACL {} appears twice", acl.id));
            }
            for subnet in &acl.subnets {
                if let Some(other) = subnets.insert(subnet, &acl.id) {
                    return Err(format!(
                        "subnet {subnet} is on both {other} and {}: a subnet has exactly one network ACL",
                        acl.id
                    ));
                }
            }
        }
        Ok(())
    }
}

/// The `schema_version` key. It is the first key of every file, so a file
/// of another version fails on it before anything else.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct SchemaVersion;

impl Serialize for SchemaVersion {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u32(SCHEMA_VERSION)
    }
}

impl<'de> Deserialize<'de> for SchemaVersion {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let version = serde_yaml::Value::deserialize(deserializer)?;
        if version.as_u64() == Some(u64::from(SCHEMA_VERSION)) {
            return Ok(SchemaVersion);
        }
        let shown = serde_yaml::to_string(&version).unwrap_or_default();
        Err(de::Error::custom(format_args!(
            "unsupported schema_version {}: this nacl-drift reads version {SCHEMA_VERSION}",
            shown.trim_end()
        )))
    }
}

/// An entry that has passed validation, with its key.
struct KeyedEntry(EntryKey, Entry);

impl<'de> Deserialize<'de> for KeyedEntry {
    /// Validates inside the entry's own mapping, so that errors point at the
    /// entry's line rather than at the start of the list.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct EntryVisitor;
        impl<'de> Visitor<'de> for EntryVisitor {
            type Value = KeyedEntry;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an entry (rule_number, direction, action, protocol, cidr, ...)")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<KeyedEntry, A::Error> {
                let record = EntryRecord::deserialize(de::value::MapAccessDeserializer::new(map))?;
                let (key, entry) = record.into_entry().map_err(de::Error::custom)?;
                Ok(KeyedEntry(key, entry))
            }
        }
        deserializer.deserialize_map(EntryVisitor)
    }
}

fn serialize_entries<S: Serializer>(
    entries: &BTreeMap<EntryKey, Entry>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    let mut seq = serializer.serialize_seq(Some(entries.len()))?;
    for (key, entry) in entries {
        seq.serialize_element(&EntryRecord::new(key, entry))?;
    }
    seq.end()
}

fn deserialize_entries<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<BTreeMap<EntryKey, Entry>, D::Error> {
    struct EntriesVisitor;
    impl<'de> Visitor<'de> for EntriesVisitor {
        type Value = BTreeMap<EntryKey, Entry>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a list of entries")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            let mut entries = BTreeMap::new();
            while let Some(KeyedEntry(key, entry)) = seq.next_element()? {
                if entries.insert(key, entry).is_some() {
                    return Err(de::Error::custom(format_args!(
                        "duplicate {} rule {}: each (direction, rule number) appears once",
                        key.direction, key.rule_number
                    )));
                }
            }
            Ok(entries)
        }
    }
    deserializer.deserialize_seq(EntriesVisitor)
}
