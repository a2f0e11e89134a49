//! Which events match which change; the most recent match wins.

use std::collections::{BTreeSet, HashMap};

use nacl_drift_diff::{AssessedChange, Attributed, Change, Drift, DriftKind};
use nacl_drift_model::{AccountId, AssociationId, Direction, Operation, SubnetId};
use serde_json::Value;

use crate::record::NaclEvent;

/// The events that can make each kind of change.
fn candidates(kind: DriftKind) -> &'static [Operation] {
    match kind {
        DriftKind::EntryDeleted => &[
            Operation::DeleteNetworkAclEntry,
            Operation::ReplaceNetworkAclEntry,
        ],
        DriftKind::EntryAdded | DriftKind::EntryModified => &[
            Operation::CreateNetworkAclEntry,
            Operation::ReplaceNetworkAclEntry,
        ],
        DriftKind::AssociationChanged => &[Operation::ReplaceNetworkAclAssociation],
        DriftKind::NetworkAclDeleted | DriftKind::NetworkAclAdded => {
            &[Operation::DeleteNetworkAcl, Operation::CreateNetworkAcl]
        }
        DriftKind::TagsChanged => &[Operation::CreateTags, Operation::DeleteTags],
    }
}

/// The events worth looking up for `changes`.
pub fn event_names<'a>(changes: impl IntoIterator<Item = &'a Change>) -> BTreeSet<Operation> {
    changes
        .into_iter()
        .flat_map(|change| candidates(change.kind()).iter().copied())
        .collect()
}

/// Attributes each of `changes` (in its verdict) to the most recent event
/// that matches it, among
/// `events` of `accounts` no older than `since` (seconds since the epoch).
/// `subnet_of_association` maps live association ids to subnets: an
/// association event names association ids, not subnets.
///
/// Returns how many changes were left unattributed although an event
/// older than `since` matches them: the window is why, and worth saying.
pub fn attribute(
    changes: &mut [AssessedChange],
    events: &[NaclEvent],
    accounts: &BTreeSet<AccountId>,
    subnet_of_association: &HashMap<AssociationId, SubnetId>,
    since: i64,
) -> usize {
    let by_name_since = by_name(events, accounts, since);
    let by_name_ever = by_name(events, accounts, i64::MIN);
    let mut before_the_window = 0;
    for AssessedChange {
        change, verdict, ..
    } in changes
    {
        verdict.attribution = match latest_match(change, &by_name_since, subnet_of_association) {
            Some(event) => Attributed::To(Box::new(event.record.attribution())),
            None => {
                if latest_match(change, &by_name_ever, subnet_of_association).is_some() {
                    before_the_window += 1;
                }
                Attributed::Unattributed
            }
        };
    }
    before_the_window
}

/// Attributes those of `changes` that one of `events` made, and
/// leaves the others as they are: for the guard, which holds the events it
/// was handed, not all of CloudTrail.
pub fn attribute_made_by(
    changes: &mut [AssessedChange],
    events: &[NaclEvent],
    accounts: &BTreeSet<AccountId>,
    subnet_of_association: &HashMap<AssociationId, SubnetId>,
) {
    let by_name = by_name(events, accounts, i64::MIN);
    for AssessedChange {
        change, verdict, ..
    } in changes
    {
        if let Some(event) = latest_match(change, &by_name, subnet_of_association) {
            verdict.attribution = Attributed::To(Box::new(event.attribution()));
        }
    }
}

/// The events of `accounts` no older than `since`, by call.
fn by_name<'a>(
    events: &'a [NaclEvent],
    accounts: &BTreeSet<AccountId>,
    since: i64,
) -> HashMap<Operation, Vec<&'a NaclEvent>> {
    let mut by_name: HashMap<Operation, Vec<&NaclEvent>> = HashMap::new();
    for event in events {
        let in_account = event
            .account
            .as_ref()
            .is_none_or(|account| accounts.contains(account));
        if in_account && event.time >= since {
            by_name.entry(event.name).or_default().push(event);
        }
    }
    by_name
}

/// The most recent event that could have made `change`.
fn latest_match<'a>(
    change: &Change,
    by_name: &HashMap<Operation, Vec<&'a NaclEvent>>,
    subnet_of_association: &HashMap<AssociationId, SubnetId>,
) -> Option<&'a NaclEvent> {
    candidates(change.kind())
        .iter()
        .filter_map(|name| by_name.get(name))
        .flatten()
        .filter(|event| {
            event.region == change.region && matches(change, event, subnet_of_association)
        })
        .max_by_key(|event| event.time)
        .copied()
}

fn text<'a>(value: &'a Value, pointer: &str) -> Option<&'a str> {
    value.pointer(pointer).and_then(Value::as_str)
}

/// A number, as CloudTrail writes it (or as a string, as some tools do).
fn number(value: &Value, pointer: &str) -> Option<i64> {
    let found = value.pointer(pointer)?;
    found.as_i64().or_else(|| found.as_str()?.parse().ok())
}

/// A boolean, as CloudTrail writes it (or as the string "true" or
/// "false", as some exports do).
fn boolean(value: &Value, pointer: &str) -> Option<bool> {
    let found = value.pointer(pointer)?;
    found.as_bool().or_else(|| found.as_str()?.parse().ok())
}

fn matches(
    change: &Change,
    event: &NaclEvent,
    subnet_of_association: &HashMap<AssociationId, SubnetId>,
) -> bool {
    let request = &event.record.request_parameters;
    let response = &event.record.response_elements;
    let acl = change.network_acl_id.as_str();
    match &change.drift {
        Drift::EntryDeleted { key, .. }
        | Drift::EntryAdded { key, .. }
        | Drift::EntryModified { key, .. } => {
            text(request, "/networkAclId") == Some(acl)
                && number(request, "/ruleNumber") == Some(i64::from(key.rule_number.get()))
                && boolean(request, "/egress") == Some(key.direction == Direction::Egress)
        }
        Drift::SubnetMoved { .. } | Drift::SubnetUnknown { .. } => {
            // The event names the NACL the subnet is on now, and an
            // association id (old or new) of the subnet.
            let (Some(subnet), Some(now_on)) =
                (change.drift.subnet(), change.live_network_acl_id())
            else {
                return false; // The subnet is gone: no association event made that.
            };
            let names_subnet = |id: Option<&str>| {
                id.and_then(|id| subnet_of_association.get(id))
                    .is_some_and(|s| s == subnet)
            };
            text(request, "/networkAclId") == Some(now_on.as_str())
                && (names_subnet(text(response, "/newAssociationId"))
                    || names_subnet(text(request, "/associationId")))
        }
        Drift::NetworkAclDeleted { .. } | Drift::NetworkAclAdded { .. } => {
            text(request, "/networkAclId") == Some(acl)
                || text(response, "/networkAcl/networkAclId") == Some(acl)
        }
        Drift::TagsChanged { .. } => request
            .pointer("/resourcesSet/items")
            .and_then(Value::as_array)
            .is_some_and(|items| {
                items
                    .iter()
                    .any(|item| text(item, "/resourceId") == Some(acl))
            }),
    }
}
