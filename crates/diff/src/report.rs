//! What `diff` reports: changes, and what it skipped. The JSON form of
//! [`Report`] is part of nacl-drift's interface, documented in the README.

use std::collections::BTreeMap;

use nacl_drift_model::{Direction, Entry, EntryKey, EntryRecord, NetworkAcl, RuleNumber};
use serde::{Serialize, Serializer};

/// The kinds of drift, in the order a NACL's changes are listed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    NetworkAclDeleted,
    NetworkAclAdded,
    EntryDeleted,
    EntryAdded,
    EntryModified,
    /// A subnet of this NACL is now on another NACL (or gone).
    AssociationChanged,
    TagsChanged,
}

impl ChangeKind {
    /// Words for people: "entry deleted".
    pub fn label(self) -> &'static str {
        self.labels().0
    }

    /// "2 entries deleted", "1 subnet moved".
    pub fn count(self, count: usize) -> String {
        let (one, many) = self.labels();
        format!("{count} {}", if count == 1 { one } else { many })
    }

    fn labels(self) -> (&'static str, &'static str) {
        match self {
            ChangeKind::NetworkAclDeleted => ("NACL deleted", "NACLs deleted"),
            ChangeKind::NetworkAclAdded => ("NACL added", "NACLs added"),
            ChangeKind::EntryDeleted => ("entry deleted", "entries deleted"),
            ChangeKind::EntryAdded => ("entry added", "entries added"),
            ChangeKind::EntryModified => ("entry modified", "entries modified"),
            ChangeKind::AssociationChanged => ("subnet moved", "subnets moved"),
            ChangeKind::TagsChanged => ("tags changed", "tags changed"),
        }
    }
}

/// One side of a change: what the baseline says, or what is live.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum State {
    Entry(EntryKey, Entry),
    NetworkAcl(Box<NetworkAcl>),
    /// The NACL a subnet is on.
    Association(String),
    Tags(BTreeMap<String, String>),
}

impl Serialize for State {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Association<'a> {
            network_acl_id: &'a str,
        }
        #[derive(Serialize)]
        struct Tags<'a> {
            tags: &'a BTreeMap<String, String>,
        }
        match self {
            State::Entry(key, entry) => EntryRecord::new(key, entry).serialize(serializer),
            State::NetworkAcl(acl) => acl.serialize(serializer),
            State::Association(network_acl_id) => {
                Association { network_acl_id }.serialize(serializer)
            }
            State::Tags(tags) => Tags { tags }.serialize(serializer),
        }
    }
}

/// One drift.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Change {
    pub kind: ChangeKind,
    pub region: String,
    pub vpc_id: String,
    /// The baseline's NACL; for `network_acl_added`, the new NACL.
    pub network_acl_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub direction: Option<Direction>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule_number: Option<RuleNumber>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subnet_id: Option<String>,
    /// For `association_changed`: the NACL the subnet is on now.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub live_network_acl_id: Option<String>,
    pub baseline: Option<State>,
    pub live: Option<State>,
}

impl Change {
    /// The order changes are listed in: by NACL, then NACL-level changes,
    /// entries by direction and rule number, subnets, tags.
    pub(crate) fn sort_key(&self) -> impl Ord + '_ {
        let group = match self.kind {
            ChangeKind::NetworkAclDeleted | ChangeKind::NetworkAclAdded => 0,
            ChangeKind::EntryDeleted | ChangeKind::EntryAdded | ChangeKind::EntryModified => 1,
            ChangeKind::AssociationChanged => 2,
            ChangeKind::TagsChanged => 3,
        };
        (
            &self.region,
            &self.vpc_id,
            &self.network_acl_id,
            group,
            self.direction,
            self.rule_number,
            &self.subnet_id,
        )
    }
}

/// Something `diff` did not compare, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Skipped {
    /// A baseline file, when a file was skipped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// A live VPC, when live NACLs were skipped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vpc_id: Option<String>,
    pub account: String,
    pub reason: String,
}

/// Everything `diff` found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Report {
    pub in_sync: bool,
    pub changes: Vec<Change>,
    pub skipped: Vec<Skipped>,
}
