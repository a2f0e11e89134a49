//! Whether the credentials may make a restore's calls: each call asked of
//! EC2 with `DryRun`, on one live NACL, with arguments that would change
//! nothing if an endpoint ignored `DryRun` (as emulators do): the NACL's
//! own entry replaced by itself, an entry created where one exists, one
//! deleted where none exists, a subnet moved onto the NACL it is on, a tag
//! set to its own value, and a tag removed that the NACL does not have.
//! `CreateNetworkAcl` would make a NACL where `DryRun` is ignored, so it is
//! asked only once every other call proved `DryRun` honoured.
//!
//! `doctor` asks this of one NACL per account and region;
//! `apply --check-permissions` of each account and region its plan calls in
//! ([`check_plan_permissions`]).

use std::collections::{BTreeMap, BTreeSet};

use nacl_drift_model::{Direction, EntryKey, ObservedAcl, Operation, Place, RuleNumber};

use crate::api::{CallError, CallErrorKind, NaclApi};
use crate::execute::{Outcome, StepResult};
use crate::plan::{Plan, Step};

/// What EC2 answered a call asked with `DryRun`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Permission {
    /// `DryRunOperation`: the call would be permitted.
    Permitted,
    /// Refused, or no answer: AWS's code and message.
    Refused(String),
    /// The endpoint made the call: it ignores `DryRun` (it is not AWS).
    /// The call changed nothing.
    DryRunIgnored,
    /// Not asked, and why.
    NotAsked(&'static str),
}

/// The tag key no NACL has, removed to ask for `DeleteTags`.
const ABSENT_TAG: &str = "nacl-drift:permission-check";

/// Asks EC2, through `api`, whether each call of a restore would be
/// permitted on `observed`, in the order a restore makes them.
pub async fn check_restore_permissions<C: NaclApi>(
    api: &C,
    observed: &ObservedAcl,
) -> Vec<(Operation, Permission)> {
    let acl = &observed.acl;
    let id = &acl.id;
    let mut answers = Vec::new();
    let existing = acl.entries.iter().next();
    let free = (1..=RuleNumber::MAX)
        .rev()
        .filter_map(|n| RuleNumber::new(i64::from(n)).ok())
        .map(|rule_number| EntryKey {
            direction: Direction::Ingress,
            rule_number,
        })
        .find(|key| !acl.entries.contains_key(key));
    let no_entry = Permission::NotAsked("the NACL has no entry to ask with");

    answers.push((
        Operation::ReplaceNetworkAclEntry,
        match existing {
            Some((key, entry)) => answer(api.replace_entry(id, *key, *entry, true).await),
            None => no_entry.clone(),
        },
    ));
    answers.push((
        Operation::CreateNetworkAclEntry,
        match existing {
            Some((key, entry)) => answer(api.create_entry(id, *key, *entry, true).await),
            None => no_entry,
        },
    ));
    answers.push((
        Operation::DeleteNetworkAclEntry,
        match free {
            Some(key) => answer(api.delete_entry(id, key, true).await),
            None => Permission::NotAsked("the NACL has no free rule number"),
        },
    ));
    answers.push((
        Operation::ReplaceNetworkAclAssociation,
        match observed.association_ids.keys().next() {
            Some(association) => answer(api.replace_association(association, id, true).await),
            None => Permission::NotAsked("the NACL has no subnet to ask with"),
        },
    ));
    answers.push((
        Operation::CreateTags,
        match acl.tags.iter().next() {
            Some((key, value)) => {
                let own = BTreeMap::from([(key.clone(), value.clone())]);
                answer(api.create_tags(id, &own, true).await)
            }
            None => Permission::NotAsked("the NACL has no tag to ask with"),
        },
    ));
    let absent = BTreeSet::from([ABSENT_TAG.to_owned()]);
    answers.push((
        Operation::DeleteTags,
        answer(api.delete_tags(id, &absent, true).await),
    ));
    let ignored = answers
        .iter()
        .any(|(_, permission)| *permission == Permission::DryRunIgnored);
    if ignored {
        // A refusal from an endpoint that makes the calls is about the
        // call, not about permission (an emulator's error for an entry
        // that does not exist, say).
        for (_, permission) in &mut answers {
            if matches!(permission, Permission::Refused(_)) {
                *permission = Permission::DryRunIgnored;
            }
        }
    }
    answers.push((
        Operation::CreateNetworkAcl,
        if ignored {
            Permission::NotAsked("the endpoint ignores DryRun, and the call would make a NACL")
        } else {
            answer(
                api.create_network_acl(&observed.vpc_id, true)
                    .await
                    .map(|_| ()),
            )
        },
    ));
    answers
}

/// A `DryRun` call's answer. An entry that exists already (or does not)
/// means the endpoint checked the call as if made: it ignores `DryRun`.
fn answer(result: Result<(), CallError>) -> Permission {
    match result {
        Ok(()) => Permission::DryRunIgnored,
        Err(error) => match error.kind {
            CallErrorKind::DryRunPermitted => Permission::Permitted,
            CallErrorKind::EntryAlreadyExists | CallErrorKind::EntryNotFound => {
                Permission::DryRunIgnored
            }
            CallErrorKind::Other => Permission::Refused(error.message),
        },
    }
}

/// Whether the credentials may make each call of `plan`, asked as
/// [`check_restore_permissions`] asks: per account and region, on a live
/// NACL of `live` that the plan changes there (else any of that place),
/// with arguments that change nothing where `DryRun` is ignored. The plan's
/// own calls are never sent, with `DryRun` or without: an endpoint that
/// ignores it would make them. Each step gets the answer for its call.
pub async fn check_plan_permissions<C: NaclApi>(
    plan: &Plan,
    clients: &BTreeMap<Place, C>,
    live: &[(Place, ObservedAcl)],
) -> StepResult {
    let places: BTreeSet<Place> = plan.steps.iter().map(Step::place).collect();
    let mut answers: BTreeMap<Place, Vec<(Operation, Permission)>> = BTreeMap::new();
    for place in places {
        let theirs = || {
            live.iter()
                .filter(|(at, _)| *at == place)
                .map(|(_, acl)| acl)
        };
        let changed = |acl: &&ObservedAcl| {
            plan.steps
                .iter()
                .any(|step| step.place() == place && step.network_acl_id == acl.acl.id)
        };
        let observed = theirs().find(changed).or_else(|| theirs().next());
        if let (Some(observed), Some(client)) = (observed, clients.get(&place)) {
            let asked = check_restore_permissions(client, observed).await;
            answers.insert(place, asked);
        }
    }
    let outcomes = plan
        .steps
        .iter()
        .map(|step| {
            let permission = answers.get(&step.place()).and_then(|asked| {
                asked
                    .iter()
                    .find(|(operation, _)| *operation == step.operation())
                    .map(|(_, permission)| permission)
            });
            match permission {
                Some(Permission::Permitted) => Outcome::Permitted,
                Some(Permission::Refused(why)) => Outcome::Failed(why.clone()),
                Some(Permission::DryRunIgnored) => Outcome::Skipped(
                    "the endpoint ignores DryRun, so permission cannot be told (asked with arguments that change nothing)"
                        .to_owned(),
                ),
                Some(Permission::NotAsked(why)) => Outcome::Skipped((*why).to_owned()),
                None => Outcome::Skipped(format!(
                    "no live NACL of account {} in {} to ask with",
                    step.place().account,
                    step.place().region
                )),
            }
        })
        .collect();
    StepResult {
        outcomes,
        recreated: BTreeMap::new(),
    }
}
