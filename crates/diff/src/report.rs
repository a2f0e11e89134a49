//! What `diff` reports: changes, and what it skipped. Their documented
//! JSON (`docs/src/json.md`) is written by the reconcile core, with what
//! was decided of each.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use nacl_drift_analysis::{Effect, Severity};
use nacl_drift_model::sanitize::Shown;
use nacl_drift_model::{
    AccountId, Entry, EntryKey, EntryRecord, NetworkAcl, NetworkAclId, ReadError, Region, SubnetId,
    VpcId,
};
use serde::{Serialize, Serializer};

/// The kinds of drift, in the order a NACL's changes are listed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DriftKind {
    /// A NACL of the baseline is gone.
    NetworkAclDeleted,
    /// A NACL in a baseline's scope that no baseline holds.
    NetworkAclAdded,
    /// An entry of the baseline is gone.
    EntryDeleted,
    /// An entry the baseline lacks.
    EntryAdded,
    /// An entry whose content changed.
    EntryModified,
    /// A subnet of this NACL is now on another NACL (or gone).
    AssociationChanged,
    /// The NACL's tags changed.
    TagsChanged,
}

impl DriftKind {
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
            DriftKind::NetworkAclDeleted => ("NACL deleted", "NACLs deleted"),
            DriftKind::NetworkAclAdded => ("NACL added", "NACLs added"),
            DriftKind::EntryDeleted => ("entry deleted", "entries deleted"),
            DriftKind::EntryAdded => ("entry added", "entries added"),
            DriftKind::EntryModified => ("entry modified", "entries modified"),
            DriftKind::AssociationChanged => ("subnet moved", "subnets moved"),
            DriftKind::TagsChanged => ("tags changed", "tags changed"),
        }
    }
}

/// What drifted, with exactly the data each kind of drift has. The NACL it
/// happened on is its [`Change`]'s.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Drift {
    /// The baseline's NACL is gone.
    NetworkAclDeleted {
        /// The NACL as the baseline has it.
        baseline: Box<NetworkAcl>,
    },
    /// A NACL in a baseline's scope that no baseline holds.
    NetworkAclAdded {
        /// The NACL as it is live.
        live: Box<NetworkAcl>,
    },
    /// An entry of the baseline is gone.
    EntryDeleted {
        /// The entry's direction and rule number.
        key: EntryKey,
        /// The entry as the baseline has it.
        baseline: Entry,
    },
    /// An entry the baseline lacks.
    EntryAdded {
        /// The entry's direction and rule number.
        key: EntryKey,
        /// The entry as it is live.
        live: Entry,
    },
    /// An entry whose content changed.
    EntryModified {
        /// The entry's direction and rule number.
        key: EntryKey,
        /// The entry as the baseline has it.
        baseline: Entry,
        /// The entry as it is live.
        live: Entry,
    },
    /// A subnet of the baseline's NACL is now on another NACL, or (`None`)
    /// no longer exists.
    SubnetMoved {
        /// The subnet.
        subnet: SubnetId,
        /// The NACL it is on now.
        now_on: Option<NetworkAclId>,
    },
    /// A subnet the baseline does not know at all is on this NACL.
    SubnetUnknown {
        /// The subnet.
        subnet: SubnetId,
    },
    /// The NACL's tags changed.
    TagsChanged {
        /// The tags as the baseline has them.
        baseline: BTreeMap<String, String>,
        /// The tags as they are live.
        live: BTreeMap<String, String>,
    },
}

impl Drift {
    /// The kind, as the report names and counts it.
    pub fn kind(&self) -> DriftKind {
        match self {
            Drift::NetworkAclDeleted { .. } => DriftKind::NetworkAclDeleted,
            Drift::NetworkAclAdded { .. } => DriftKind::NetworkAclAdded,
            Drift::EntryDeleted { .. } => DriftKind::EntryDeleted,
            Drift::EntryAdded { .. } => DriftKind::EntryAdded,
            Drift::EntryModified { .. } => DriftKind::EntryModified,
            Drift::SubnetMoved { .. } | Drift::SubnetUnknown { .. } => {
                DriftKind::AssociationChanged
            }
            Drift::TagsChanged { .. } => DriftKind::TagsChanged,
        }
    }

    /// The entry an entry drift is about.
    pub fn entry_key(&self) -> Option<EntryKey> {
        match self {
            Drift::EntryDeleted { key, .. }
            | Drift::EntryAdded { key, .. }
            | Drift::EntryModified { key, .. } => Some(*key),
            _ => None,
        }
    }

    /// The subnet a subnet drift is about.
    pub fn subnet(&self) -> Option<&SubnetId> {
        match self {
            Drift::SubnetMoved { subnet, .. } | Drift::SubnetUnknown { subnet } => Some(subnet),
            _ => None,
        }
    }
}

/// One side of a change, for people and for the JSON: what the baseline
/// says, or what is live.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State<'a> {
    /// An entry, with its direction and rule number.
    Entry(EntryKey, &'a Entry),
    /// A whole NACL.
    NetworkAcl(&'a NetworkAcl),
    /// The NACL a subnet is on.
    Association(&'a NetworkAclId),
    /// A NACL's tags.
    Tags(&'a BTreeMap<String, String>),
}

impl Serialize for State<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Association<'a> {
            network_acl_id: &'a NetworkAclId,
        }
        #[derive(Serialize)]
        struct Tags<'a> {
            tags: &'a BTreeMap<String, String>,
        }
        match *self {
            State::Entry(key, entry) => EntryRecord::new(&key, entry).serialize(serializer),
            State::NetworkAcl(acl) => acl.serialize(serializer),
            State::Association(network_acl_id) => {
                Association { network_acl_id }.serialize(serializer)
            }
            State::Tags(tags) => Tags { tags }.serialize(serializer),
        }
    }
}

/// One drift, on one NACL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    /// The NACL's account.
    pub account: AccountId,
    /// The NACL's region.
    pub region: Region,
    /// The NACL's VPC.
    pub vpc_id: VpcId,
    /// The baseline's NACL; for `network_acl_added`, the new NACL.
    pub network_acl_id: NetworkAclId,
    /// What drifted.
    pub drift: Drift,
    /// How bad the change is for traffic; `low` for tags, and for changes
    /// with no effect on traffic.
    pub severity: Severity,
    /// For entry and subnet changes: whether the change alters what traffic
    /// gets through. `false` is "no effective change".
    pub effective: Option<bool>,
    /// For an added or widened allow that a broader rule already makes
    /// ineffective: the severity it would carry alone, the day that rule
    /// is narrowed. Such a change is rated that severity, at most high.
    pub latent: Option<Severity>,
}

/// Why, and until when, a drift or finding is accepted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Accepted {
    /// The reason the config gives.
    pub reason: String,
    /// The last day the acceptance holds, as `YYYY-MM-DD`.
    pub expires: String,
}

impl Change {
    /// Where in the NACL the change is: `ingress 80`, a subnet, or nothing.
    pub fn position(&self) -> String {
        match (self.drift.entry_key(), self.drift.subnet()) {
            (Some(key), _) => format!("{} {}", key.direction, key.rule_number),
            (_, Some(subnet)) => subnet.to_string(),
            _ => String::new(),
        }
    }

    /// What the baseline says, in words (each value escaped).
    pub fn baseline_in_words(&self) -> String {
        self.in_words(self.baseline(), self.live())
    }

    /// What is live, in words (each value escaped).
    pub fn live_in_words(&self) -> String {
        self.in_words(self.live(), self.baseline())
    }

    /// One side of the change, in words.
    fn in_words(&self, state: Option<State>, other: Option<State>) -> String {
        let counted = |count: usize, one: &str, many: &str| {
            format!("{count} {}", if count == 1 { one } else { many })
        };
        let Some(state) = state else {
            return match self.drift {
                Drift::SubnetMoved { now_on: None, .. } => "subnet gone".to_owned(),
                Drift::SubnetUnknown { .. } => "not in the baseline".to_owned(),
                _ => "—".to_owned(),
            };
        };
        match state {
            State::Entry(key, entry) => entry.describe(key.direction),
            State::NetworkAcl(acl) => format!(
                "{}, {}",
                counted(acl.entries.len(), "entry", "entries"),
                counted(acl.subnets.len(), "subnet", "subnets")
            ),
            State::Association(acl_id) => format!("on {acl_id}"),
            State::Tags(tags) => {
                let other = match other {
                    Some(State::Tags(other)) => other.clone(),
                    _ => BTreeMap::new(),
                };
                let differing: Vec<String> = tags
                    .keys()
                    .chain(other.keys())
                    .collect::<BTreeSet<_>>()
                    .into_iter()
                    .filter(|key| tags.get(*key) != other.get(*key))
                    .map(|key| match tags.get(key) {
                        Some(value) => format!("{}={}", Shown(key), Shown(value)),
                        None => format!("{} (none)", Shown(key)),
                    })
                    .collect();
                differing.join(", ")
            }
        }
    }

    /// The kind of drift.
    pub fn kind(&self) -> DriftKind {
        self.drift.kind()
    }

    /// What the baseline says.
    pub fn baseline(&self) -> Option<State<'_>> {
        match &self.drift {
            Drift::NetworkAclDeleted { baseline } => Some(State::NetworkAcl(baseline)),
            Drift::EntryDeleted { key, baseline } | Drift::EntryModified { key, baseline, .. } => {
                Some(State::Entry(*key, baseline))
            }
            Drift::SubnetMoved { .. } => Some(State::Association(&self.network_acl_id)),
            Drift::TagsChanged { baseline, .. } => Some(State::Tags(baseline)),
            Drift::NetworkAclAdded { .. }
            | Drift::EntryAdded { .. }
            | Drift::SubnetUnknown { .. } => None,
        }
    }

    /// What is live.
    pub fn live(&self) -> Option<State<'_>> {
        match &self.drift {
            Drift::NetworkAclAdded { live } => Some(State::NetworkAcl(live)),
            Drift::EntryAdded { key, live } | Drift::EntryModified { key, live, .. } => {
                Some(State::Entry(*key, live))
            }
            Drift::SubnetMoved { now_on, .. } => now_on.as_ref().map(State::Association),
            Drift::SubnetUnknown { .. } => Some(State::Association(&self.network_acl_id)),
            Drift::TagsChanged { live, .. } => Some(State::Tags(live)),
            Drift::NetworkAclDeleted { .. } | Drift::EntryDeleted { .. } => None,
        }
    }

    /// For a subnet drift: the NACL the subnet is on now.
    pub fn live_network_acl_id(&self) -> Option<&NetworkAclId> {
        match &self.drift {
            Drift::SubnetMoved { now_on, .. } => now_on.as_ref(),
            Drift::SubnetUnknown { .. } => Some(&self.network_acl_id),
            _ => None,
        }
    }
}

/// Whether, and to whom, a change is attributed. In JSON: absent when not
/// asked for, `null` when unattributed, else the [`Attribution`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Attributed {
    /// Attribution was not asked for.
    #[default]
    NotAsked,
    /// No event matches the change.
    Unattributed,
    /// The event that most likely made the change.
    To(Box<Attribution>),
}

impl Attributed {
    /// Whether attribution was not asked for (the JSON then leaves it out).
    pub fn not_asked(&self) -> bool {
        matches!(self, Attributed::NotAsked)
    }
}

impl Serialize for Attributed {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Attributed::To(attribution) => attribution.serialize(serializer),
            Attributed::NotAsked | Attributed::Unattributed => serializer.serialize_none(),
        }
    }
}

/// The CloudTrail event that most likely made a change, and its principal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Attribution {
    /// `userIdentity.arn`; absent for AWS services, which have none.
    pub principal_arn: Option<String>,
    /// `userIdentity.type`: IAMUser, AssumedRole, Root, AWSService, ...
    pub principal_type: String,
    /// For an assumed role: the role (the session issuer).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role_arn: Option<String>,
    /// For an assumed role: the session name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_name: Option<String>,
    /// An IAM user's name, an IAM Identity Center (SSO) user's, or a SAML
    /// or web identity federated user's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_name: Option<String>,
    /// For a call made by another account (`AWSAccount`): that account.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    /// For an AWS service: which (`invokedBy`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invoked_by: Option<String>,
    /// The API call: `eventName`.
    pub event_name: String,
    /// When: `eventTime`.
    pub event_time: String,
    /// CloudTrail's id of the event: `eventID`.
    pub event_id: String,
    /// Where the call came from: `sourceIPAddress`.
    pub source_ip: Option<String>,
    /// The caller's client: `userAgent`.
    pub user_agent: Option<String>,
    /// Read from a delivered event (a queue message, a Lambda payload),
    /// which anyone allowed to send one could have written, and not
    /// confirmed by CloudTrail itself.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub unverified: bool,
}

impl Attribution {
    /// Who, briefly: `user/mallory`, `AdministratorAccess (SSO) jane@example.com`,
    /// `role/ops-automation session terraform-run`, `service autoscaling.amazonaws.com`.
    pub fn who(&self) -> String {
        if let Some(service) = &self.invoked_by {
            return format!("service {service}");
        }
        // `arn:aws:iam::123456789012:user/mallory` -> `user/mallory`.
        let arn_tail = self
            .principal_arn
            .as_deref()
            .map_or("unknown principal", |arn| {
                arn.rsplit(':').next().unwrap_or(arn)
            });
        // AWSReservedSSO_AdministratorAccess_0123456789abcdef -> AdministratorAccess
        let role_name = |arn: &str| {
            let name = arn.rsplit('/').next().unwrap_or(arn);
            match name
                .strip_prefix("AWSReservedSSO_")
                .and_then(|rest| rest.rsplit_once('_'))
            {
                Some((permission_set, _)) => permission_set.to_owned(),
                None => name.to_owned(),
            }
        };
        match (&self.role_arn, &self.session_name, &self.user_name) {
            (Some(role), _, Some(user)) => format!("{user} (SSO, {})", role_name(role)),
            (Some(role), Some(session), None) => {
                format!("role/{} session {session}", role_name(role))
            }
            _ if self.principal_arn.is_some() => arn_tail.to_owned(),
            // The identities CloudTrail gives no ARN: named by what they
            // have (CloudTrail's own vocabulary of `userIdentity.type`).
            (_, _, Some(user)) => match self.principal_type.as_str() {
                "IdentityCenterUser" => format!("{user} (Identity Center)"),
                "SAMLUser" => format!("{user} (SAML)"),
                "WebIdentityUser" => format!("{user} (web identity)"),
                _ => user.clone(),
            },
            _ => match &self.account_id {
                Some(account) => format!("account {account}"),
                None => arn_tail.to_owned(),
            },
        }
    }
}

impl Change {
    /// The order changes are listed in: by NACL, then NACL-level changes,
    /// entries by direction and rule number, subnets, tags.
    pub(crate) fn sort_key(&self) -> impl Ord + '_ {
        let group = match self.kind() {
            DriftKind::NetworkAclDeleted | DriftKind::NetworkAclAdded => 0,
            DriftKind::EntryDeleted | DriftKind::EntryAdded | DriftKind::EntryModified => 1,
            DriftKind::AssociationChanged => 2,
            DriftKind::TagsChanged => 3,
        };
        (
            &self.account,
            &self.region,
            &self.vpc_id,
            &self.network_acl_id,
            group,
            self.drift.entry_key(),
            self.drift.subnet(),
        )
    }
}

/// Something `diff` did not compare, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Skipped {
    /// A baseline file, when a file was skipped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<PathBuf>,
    /// A live VPC, when live NACLs were skipped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vpc_id: Option<VpcId>,
    /// The account of the file or VPC.
    pub account: AccountId,
    /// Why it was skipped, in words.
    pub reason: String,
    /// Why it was skipped, for gates.
    #[serde(skip)]
    pub cause: SkipCause,
}

/// Why something was not compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SkipCause {
    /// A baseline of an account the live state is not of.
    OtherAccount,
    /// A baseline whose account-region could not be read.
    Unread,
    /// A baseline, NACL or subnet the exports do not hold.
    NotExported,
    /// Live NACLs that no baseline holds and that no region places in a
    /// baseline's scope.
    Unplaced,
}

/// A box of traffic that the drift newly allows or newly denies, on a NACL
/// whose entries changed or for subnets that moved to another NACL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrafficEffect {
    /// The NACL's account.
    pub account: AccountId,
    /// The NACL's region.
    pub region: Region,
    /// The NACL's VPC.
    pub vpc_id: VpcId,
    /// The baseline's NACL.
    pub network_acl_id: NetworkAclId,
    /// For subnets that moved: the NACL they are on now, and which they are.
    pub live_network_acl_id: Option<NetworkAclId>,
    /// For subnets that moved: which.
    pub subnet_ids: Vec<SubnetId>,
    /// The traffic, and the rules that decide it before and after.
    pub effect: Effect,
}

/// Everything `diff` found: what the comparison says, and nothing decided
/// after it (the reconcile core assesses it: see [`AssessedChange`](crate::AssessedChange)).
/// It never changes once made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    /// Whether there is no change at all.
    pub in_sync: bool,
    /// The highest severity of any change; `None` when in sync.
    pub severity: Option<Severity>,
    /// Every change, by NACL, in the order of [`Change`]'s listing.
    pub changes: Vec<Change>,
    /// What the changes do to traffic, most severe first.
    pub effects: Vec<TrafficEffect>,
    /// What was not compared, and why.
    pub skipped: Vec<Skipped>,
    /// The account-regions that could not be read.
    pub errors: Vec<ReadError>,
}
