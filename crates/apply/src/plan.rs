//! From a diff report to the ordered EC2 calls that restore the baseline.

use std::collections::{BTreeMap, BTreeSet};

use nacl_drift_diff::{AssessedChange, Change, Drift, Verdict};
use nacl_drift_model::sanitize::{Shown, shown};
use nacl_drift_model::{
    AccountId, Action, Cidr, Entry, EntryKey, NetworkAcl, NetworkAclId, Operation, Place, Region,
    SubnetId, Traffic, VpcId,
};

/// What the user allowed apply to do beyond reverting changes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PlanOptions {
    /// Delete live deny entries that the baseline lacks too (added allows
    /// are deleted always: that only closes traffic).
    pub prune: bool,
    /// Recreate deleted NACLs, with their entries, tags and subnets.
    pub recreate_missing: bool,
}

/// One EC2 call. The NACL it acts on is its [`Step`]'s.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Call {
    /// `CreateNetworkAcl` in the step's VPC, for a NACL that was deleted.
    CreateNetworkAcl,
    /// `CreateNetworkAclEntry`: restores a deleted entry.
    CreateEntry {
        /// The entry's direction and rule number.
        key: EntryKey,
        /// The baseline's entry.
        entry: Entry,
    },
    /// Reverts an entry atomically to `entry`; `live` is what it is now.
    ReplaceEntry {
        /// The entry's direction and rule number.
        key: EntryKey,
        /// The baseline's entry.
        entry: Entry,
        /// The live entry it replaces.
        live: Entry,
    },
    /// `DeleteNetworkAclEntry`: removes an entry the baseline lacks (an
    /// allow always, a deny with `--prune`).
    DeleteEntry {
        /// The entry's direction and rule number.
        key: EntryKey,
        /// The live entry it removes.
        live: Entry,
    },
    /// Moves a subnet back onto the step's NACL.
    MoveSubnet {
        /// The subnet that moves back.
        subnet_id: SubnetId,
        /// The NACL it is on now.
        from: NetworkAclId,
    },
    /// `CreateTags`: tags that are missing or changed.
    CreateTags {
        /// The tags to set, with the baseline's values.
        tags: BTreeMap<String, String>,
    },
    /// `DeleteTags`: tags the baseline lacks.
    DeleteTags {
        /// The keys to remove.
        keys: BTreeSet<String>,
    },
}

/// What a call does to the traffic the NACL lets through.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum CallEffect {
    /// Narrows what gets through: runs in the closing stage.
    Closes,
    /// Widens what gets through: waits for the opening stage.
    Opens,
    /// Moves subnets, or touches tags, or creates an empty NACL.
    Other,
}

/// The closing stage runs to the end, for every NACL, before the opening
/// stage starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Stage {
    /// Restores denies, removes and narrows allows, moves subnets back.
    Close,
    /// Restores allows and tags, once every NACL is closed.
    Open,
}

/// One call of the plan, on one NACL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    /// The stage the call runs in.
    pub stage: Stage,
    /// The NACL's account.
    pub account: AccountId,
    /// The NACL's region.
    pub region: Region,
    /// The NACL's VPC.
    pub vpc_id: VpcId,
    /// The baseline's NACL. For a NACL this plan recreates, its old id:
    /// the new one is known once `CreateNetworkAcl` has answered.
    pub network_acl_id: NetworkAclId,
    /// Whether the step is part of recreating a deleted NACL.
    pub recreates: bool,
    /// The call and its arguments.
    pub call: Call,
}

impl Step {
    /// Where the call is made.
    pub fn place(&self) -> Place {
        Place {
            account: self.account.clone(),
            region: self.region.clone(),
        }
    }

    /// The EC2 operation this step calls.
    pub fn operation(&self) -> Operation {
        match self.call {
            Call::CreateNetworkAcl => Operation::CreateNetworkAcl,
            Call::CreateEntry { .. } => Operation::CreateNetworkAclEntry,
            Call::ReplaceEntry { .. } => Operation::ReplaceNetworkAclEntry,
            Call::DeleteEntry { .. } => Operation::DeleteNetworkAclEntry,
            Call::MoveSubnet { .. } => Operation::ReplaceNetworkAclAssociation,
            Call::CreateTags { .. } => Operation::CreateTags,
            Call::DeleteTags { .. } => Operation::DeleteTags,
        }
    }

    /// Whether the call closes or opens access (or neither).
    pub fn effect(&self) -> CallEffect {
        match &self.call {
            Call::CreateEntry { entry, .. } => match entry.action() {
                Action::Deny => CallEffect::Closes,
                Action::Allow => CallEffect::Opens,
            },
            Call::DeleteEntry { live, .. } => match live.action() {
                Action::Allow => CallEffect::Closes,
                Action::Deny => CallEffect::Opens,
            },
            Call::ReplaceEntry { entry, live, .. } => replace_effect(live, entry),
            Call::CreateNetworkAcl
            | Call::MoveSubnet { .. }
            | Call::CreateTags { .. }
            | Call::DeleteTags { .. } => CallEffect::Other,
        }
    }

    /// The call's arguments, in words: `ingress 80: deny tcp 22 from 0.0.0.0/0`.
    pub fn describe(&self) -> String {
        match &self.call {
            Call::CreateNetworkAcl => format!(
                "a new NACL in {}, to replace {}",
                self.vpc_id, self.network_acl_id
            ),
            Call::CreateEntry { key, entry } => format!("{key}: {}", entry.describe(key.direction)),
            Call::ReplaceEntry { key, entry, live } => format!(
                "{key}: {} (now {})",
                entry.describe(key.direction),
                live.describe(key.direction)
            ),
            Call::DeleteEntry { key, live } => format!(
                "{key}: {} ({})",
                live.describe(key.direction),
                match live.action() {
                    Action::Allow => "added; removing an allow only closes traffic",
                    Action::Deny => "added; a deny, removed as --prune asks",
                }
            ),
            Call::MoveSubnet { subnet_id, from } => format!("{subnet_id} back from {from}"),
            Call::CreateTags { tags } => tags
                .iter()
                .map(|(key, value)| format!("{}={}", Shown(key), Shown(value)))
                .collect::<Vec<_>>()
                .join(", "),
            Call::DeleteTags { keys } => keys
                .iter()
                .map(|key| shown(key).into_owned())
                .collect::<Vec<_>>()
                .join(", "),
        }
    }
}

/// An ordered list of calls, and the drift they leave alone.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Plan {
    /// Closing stage first; within a stage, NACL by NACL, each NACL's calls
    /// in the order they must run.
    pub steps: Vec<Step>,
    /// Changes the plan does not undo, and why.
    pub untouched: Vec<Untouched>,
}

/// A change a plan does not undo.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Untouched {
    /// The change.
    pub change: Change,
    /// What was decided of it.
    pub verdict: Verdict,
    /// Why the plan leaves it alone.
    pub why: &'static str,
}

impl Plan {
    /// Whether there is no call to make.
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }
}

/// Plans the calls that undo `changes`, but those their verdicts leave
/// alone (accepted, monitor-only, held by the brake).
pub fn plan(changes: &[AssessedChange], options: PlanOptions) -> Plan {
    let mut steps = Vec::new();
    let mut untouched = Vec::new();
    let recreated: BTreeSet<&str> = if options.recreate_missing {
        changes
            .iter()
            .filter(|assessed| assessed.verdict.leaves_alone().is_none())
            .filter(|assessed| matches!(assessed.change.drift, Drift::NetworkAclDeleted { .. }))
            .map(|assessed| assessed.change.network_acl_id.as_str())
            .collect()
    } else {
        BTreeSet::new()
    };
    let deleted: BTreeSet<&str> = changes
        .iter()
        .map(|assessed| &assessed.change)
        .filter(|change| matches!(change.drift, Drift::NetworkAclDeleted { .. }))
        .map(|change| change.network_acl_id.as_str())
        .collect();

    for AssessedChange {
        change, verdict, ..
    } in changes
    {
        let recreates = recreated.contains(change.network_acl_id.as_str());
        let leave = |why| Untouched {
            change: change.clone(),
            verdict: verdict.clone(),
            why,
        };
        let step = |call| Step {
            stage: Stage::Close,
            account: change.account.clone(),
            region: change.region.clone(),
            vpc_id: change.vpc_id.clone(),
            network_acl_id: change.network_acl_id.clone(),
            recreates,
            call,
        };
        if let Some((_, why)) = verdict.leaves_alone() {
            untouched.push(leave(why));
            continue;
        }
        match &change.drift {
            Drift::EntryDeleted { key, baseline } => {
                steps.push(step(Call::CreateEntry {
                    key: *key,
                    entry: *baseline,
                }));
            }
            Drift::EntryModified {
                key,
                baseline,
                live,
            } => {
                steps.push(step(Call::ReplaceEntry {
                    key: *key,
                    entry: *baseline,
                    live: *live,
                }));
            }
            // An added allow only lets traffic through: removing it can
            // only close traffic, so it is removed by default. Removing an
            // added deny would reopen what it blocks (often an incident
            // responder's own block): only with --prune.
            Drift::EntryAdded { key, live } if live.action() == Action::Allow || options.prune => {
                steps.push(step(Call::DeleteEntry {
                    key: *key,
                    live: *live,
                }));
            }
            Drift::EntryAdded { .. } => untouched.push(leave("an added deny stays without --prune: removing it would reopen the traffic it blocks")),
            Drift::TagsChanged { baseline, live } => {
                steps.extend(tag_calls(baseline, live).into_iter().map(step));
            }
            Drift::SubnetMoved {
                subnet,
                now_on: Some(from),
            } => {
                if deleted.contains(change.network_acl_id.as_str()) && !recreates {
                    untouched.push(leave("its NACL was deleted: --recreate-missing recreates it"));
                } else {
                    steps.push(step(Call::MoveSubnet {
                        subnet_id: subnet.clone(),
                        from: from.clone(),
                    }));
                }
            }
            Drift::SubnetUnknown { .. } => {
                untouched.push(leave("the subnet is not in the baseline: snapshot to adopt it"));
            }
            Drift::SubnetMoved { now_on: None, .. } => {
                untouched.push(leave("the subnet no longer exists"));
            }
            Drift::NetworkAclDeleted { baseline } if recreates => {
                steps.extend(recreate_calls(baseline).into_iter().map(step));
            }
            Drift::NetworkAclDeleted { .. } => {
                untouched.push(leave("a deleted NACL stays deleted without --recreate-missing"));
            }
            Drift::NetworkAclAdded { .. } => {
                untouched.push(leave("apply never deletes a NACL the baseline lacks"));
            }
        }
    }
    // A recreated NACL has no subnets until the end of its calls, so all
    // of them close nothing and open nothing: they stay in the closing stage.
    for step in &mut steps {
        let tags = matches!(step.call, Call::CreateTags { .. } | Call::DeleteTags { .. });
        if !step.recreates && (step.effect() == CallEffect::Opens || tags) {
            step.stage = Stage::Open;
        }
    }
    steps.sort_by(|a, b| order_key(a).cmp(&order_key(b)));
    Plan { steps, untouched }
}

/// Stage, then NACL, then: create the NACL, calls that close (by rule
/// number), calls that open, tags, and last the subnets moving in.
fn order_key(step: &Step) -> impl Ord + '_ {
    let (rank, key) = match &step.call {
        Call::CreateNetworkAcl => (0, None),
        Call::CreateEntry { key, .. }
        | Call::ReplaceEntry { key, .. }
        | Call::DeleteEntry { key, .. } => (
            if step.effect() == CallEffect::Closes {
                1
            } else {
                2
            },
            Some(*key),
        ),
        Call::CreateTags { .. } | Call::DeleteTags { .. } => (3, None),
        Call::MoveSubnet { .. } => (4, None),
    };
    let subnet = match &step.call {
        Call::MoveSubnet { subnet_id, .. } => Some(subnet_id.as_str()),
        _ => None,
    };
    (
        step.stage,
        &step.region,
        &step.network_acl_id,
        rank,
        key,
        subnet,
        step.operation(),
    )
}

/// CreateTags for missing or changed tags, DeleteTags for extra ones.
fn tag_calls(baseline: &BTreeMap<String, String>, live: &BTreeMap<String, String>) -> Vec<Call> {
    let set: BTreeMap<String, String> = baseline
        .iter()
        .filter(|(key, value)| live.get(*key) != Some(*value))
        .map(|(key, value)| (key.clone(), value.clone()))
        .collect();
    let extra: BTreeSet<String> = live
        .keys()
        .filter(|key| !baseline.contains_key(*key))
        .cloned()
        .collect();
    let mut calls = Vec::new();
    if !extra.is_empty() {
        calls.push(Call::DeleteTags { keys: extra });
    }
    if !set.is_empty() {
        calls.push(Call::CreateTags { tags: set });
    }
    calls
}

/// A deleted NACL rebuilt: the NACL, its tags and its entries (a new NACL
/// denies everything until then, and has no subnets until its entries are
/// all in place).
fn recreate_calls(acl: &NetworkAcl) -> Vec<Call> {
    let mut calls = vec![Call::CreateNetworkAcl];
    if !acl.tags.is_empty() {
        calls.push(Call::CreateTags {
            tags: acl.tags.clone(),
        });
    }
    calls.extend(acl.entries.iter().map(|(key, entry)| Call::CreateEntry {
        key: *key,
        entry: *entry,
    }));
    calls
}

/// Whether replacing `live` with `entry` narrows what the entry lets
/// through (closes) or widens it (opens). An allow that becomes a deny
/// closes; a deny that becomes an allow opens; an allow that shrinks
/// closes, and a deny that grows closes. Anything else is treated as
/// opening, and so waits for the opening stage.
fn replace_effect(live: &Entry, entry: &Entry) -> CallEffect {
    let closes = match (live.action(), entry.action()) {
        (Action::Allow, Action::Deny) => true,
        (Action::Deny, Action::Allow) => false,
        (Action::Allow, Action::Allow) => covers(live, entry),
        (Action::Deny, Action::Deny) => covers(entry, live),
    };
    if closes {
        CallEffect::Closes
    } else {
        CallEffect::Opens
    }
}

/// Whether every packet `inner` matches, `outer` matches too.
fn covers(outer: &Entry, inner: &Entry) -> bool {
    let cidr = match (outer.cidr(), inner.cidr()) {
        (Cidr::V4(o), Cidr::V4(i)) => o.contains(&i),
        (Cidr::V6(o), Cidr::V6(i)) => o.contains(&i),
        _ => false,
    };
    let traffic = match (outer.traffic(), inner.traffic()) {
        (Traffic::All, _) => true,
        (Traffic::Tcp(o), Traffic::Tcp(i)) | (Traffic::Udp(o), Traffic::Udp(i)) => {
            o.from() <= i.from() && i.to() <= o.to()
        }
        (Traffic::Icmp(o), Traffic::Icmp(i)) | (Traffic::Icmpv6(o), Traffic::Icmpv6(i)) => {
            (o.icmp_type() == -1 || o.icmp_type() == i.icmp_type())
                && (o.code() == -1 || o.code() == i.code())
        }
        (Traffic::Other(o), Traffic::Other(i)) => o == i,
        _ => false,
    };
    cidr && traffic
}
