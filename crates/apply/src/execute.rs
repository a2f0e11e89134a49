//! Makes the plan's calls: NACLs concurrently (with a bound), each NACL's
//! calls in order, the closing stage everywhere before the opening stage,
//! and each account and region within its [`CallBudget`].
//!
//! Safe to repeat: a call whose work an earlier, interrupted apply already
//! did counts as done. A failed call is reported with AWS's error code, and
//! the other calls still run, except the calls that would open or move
//! subnets onto a NACL whose closing calls failed.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use nacl_drift_model::{Entry, EntryKey, NetworkAclId, Place, Region, SubnetId};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::api::{CallError, CallErrorKind, NaclApi};
use crate::budget::{CallBudget, Pace};
use crate::plan::{Call, CallEffect, Plan, Stage, Step};

/// What happened to one call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The call was made.
    Done,
    /// The live state already matched (an earlier apply got this far).
    AlreadyDone(String),
    /// With DryRun: EC2 said the call would be permitted.
    Permitted,
    /// The call failed: why, with AWS's error code.
    Failed(String),
    /// The call was not made: why.
    Skipped(String),
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Outcome::Done => f.write_str("done"),
            Outcome::AlreadyDone(why) => write!(f, "already done: {why}"),
            Outcome::Permitted => f.write_str("permitted"),
            Outcome::Failed(why) => write!(f, "FAILED: {why}"),
            Outcome::Skipped(why) => write!(f, "skipped: {why}"),
        }
    }
}

impl Outcome {
    /// Whether the call failed.
    pub fn is_failure(&self) -> bool {
        matches!(self, Outcome::Failed(_))
    }
}

/// The outcome of each step of the plan, by index, and the new ids of the
/// NACLs the plan recreated, by region and old id.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StepResult {
    /// The outcome of each step, by the step's index in the plan.
    pub outcomes: Vec<Outcome>,
    /// The new id of each recreated NACL, by region and old id.
    pub recreated: BTreeMap<(Region, NetworkAclId), NetworkAclId>,
}

/// Makes the plan's calls, at the `pace` given. `clients` has an EC2
/// client for each place (account and region) of the plan. (Whether the
/// calls would be permitted is asked without making them:
/// [`check_plan_permissions`](crate::check_plan_permissions).)
pub async fn execute<C: NaclApi>(
    plan: &Plan,
    clients: &BTreeMap<Place, C>,
    pace: Pace,
) -> StepResult {
    let mut result = StepResult {
        outcomes: vec![Outcome::Skipped("not reached".to_owned()); plan.steps.len()],
        recreated: BTreeMap::new(),
    };
    let semaphore = Arc::new(Semaphore::new(pace.nacls_at_once.max(1)));
    let mut blocked: HashSet<(Place, NetworkAclId)> = HashSet::new();
    let mut recreated: BTreeMap<(Place, NetworkAclId), NetworkAclId> = BTreeMap::new();
    let mut budgets: BTreeMap<Place, Arc<CallBudget>> = BTreeMap::new();
    for stage in [Stage::Close, Stage::Open] {
        let mut groups: BTreeMap<(Place, NetworkAclId), Vec<(usize, Step)>> = BTreeMap::new();
        for (index, step) in plan
            .steps
            .iter()
            .enumerate()
            .filter(|(_, s)| s.stage == stage)
        {
            let acl = (step.place(), step.network_acl_id.clone());
            groups.entry(acl).or_default().push((index, step.clone()));
        }
        let mut tasks = JoinSet::new();
        for (acl, steps) in groups {
            let Some(client) = clients.get(&acl.0).cloned() else {
                for (index, _) in steps {
                    result.outcomes[index] =
                        Outcome::Failed(format!("no EC2 client for {}", acl.0));
                }
                continue;
            };
            let semaphore = Arc::clone(&semaphore);
            let budget = Arc::clone(
                budgets
                    .entry(acl.0.clone())
                    .or_insert_with(|| Arc::new(pace.budget())),
            );
            let already_blocked = blocked.contains(&acl);
            let recreated_id = recreated.get(&acl).cloned();
            tasks.spawn(async move {
                let _permit = semaphore.acquire_owned().await;
                let mut nacl = NaclRun {
                    client,
                    budget,
                    acl_id: recreated_id.unwrap_or_else(|| acl.1.clone()),
                    blocked: already_blocked,
                    recreated: None,
                };
                let mut outcomes = Vec::new();
                for (index, step) in steps {
                    outcomes.push((index, nacl.run(&step).await));
                }
                (acl, outcomes, nacl.blocked, nacl.recreated)
            });
        }
        while let Some(joined) = tasks.join_next().await {
            let Ok((acl, outcomes, acl_blocked, new_id)) = joined else {
                continue; // A panicked task leaves its steps "not reached".
            };
            for (index, outcome) in outcomes {
                result.outcomes[index] = outcome;
            }
            if let Some(new_id) = new_id {
                recreated.insert(acl.clone(), new_id);
            }
            if acl_blocked {
                blocked.insert(acl);
            }
        }
    }
    result.recreated = recreated
        .into_iter()
        .map(|((place, old_id), new_id)| ((place.region, old_id), new_id))
        .collect();
    result
}

/// One NACL's calls, made in order.
struct NaclRun<C> {
    client: C,
    /// The mutating calls its account and region may still make.
    budget: Arc<CallBudget>,
    /// The NACL the calls act on: the new id once a recreated NACL exists.
    acl_id: NetworkAclId,
    /// Set when a call failed that later opening calls depend on.
    blocked: bool,
    recreated: Option<NetworkAclId>,
}

impl<C: NaclApi> NaclRun<C> {
    async fn run(&mut self, step: &Step) -> Outcome {
        let opens =
            step.effect() == CallEffect::Opens || matches!(step.call, Call::MoveSubnet { .. });
        if self.blocked && (opens || step.recreates) {
            return Outcome::Skipped(
                "an earlier call on this NACL failed, so this one would open access".to_owned(),
            );
        }
        let outcome = self.call(step).await;
        tracing::info!(
            operation = step.operation().name(),
            network_acl = %self.acl_id,
            what = %step.describe(),
            ?outcome,
            "call made"
        );
        if outcome.is_failure() && (step.effect() == CallEffect::Closes || step.recreates) {
            self.blocked = true;
        }
        outcome
    }

    async fn call(&mut self, step: &Step) -> Outcome {
        self.budget.take().await;
        let acl = self.acl_id.clone();
        let client = &self.client;
        let sent = match &step.call {
            Call::CreateNetworkAcl => match client.create_network_acl(&step.vpc_id, false).await {
                Ok(new_id) => {
                    tracing::info!(old = %step.network_acl_id, new = %new_id, "recreated network ACL");
                    self.acl_id = new_id.clone();
                    self.recreated = Some(new_id);
                    Ok(())
                }
                Err(error) => Err(error),
            },
            Call::CreateEntry { key, entry } => {
                match client.create_entry(&acl, *key, *entry, false).await {
                    Err(error) if error.kind == CallErrorKind::EntryAlreadyExists => {
                        return self.already_there(key, entry).await;
                    }
                    sent => sent,
                }
            }
            Call::ReplaceEntry { key, entry, .. } => {
                client.replace_entry(&acl, *key, *entry, false).await
            }
            Call::DeleteEntry { key, .. } => match client.delete_entry(&acl, *key, false).await {
                Err(error) if error.kind == CallErrorKind::EntryNotFound => {
                    return Outcome::AlreadyDone("the entry was already gone".to_owned());
                }
                sent => sent,
            },
            Call::MoveSubnet { subnet_id, .. } => return self.move_subnet(subnet_id).await,
            Call::CreateTags { tags } => client.create_tags(&acl, tags, false).await,
            Call::DeleteTags { keys } => client.delete_tags(&acl, keys, false).await,
        };
        self.outcome(sent)
    }

    /// Moves `subnet_id` onto this NACL, looking up its current association
    /// id first: it changes on every move, so the plan cannot hold it.
    async fn move_subnet(&mut self, subnet_id: &SubnetId) -> Outcome {
        let association = match self.client.association_of(subnet_id).await {
            Ok(association) => association,
            Err(error) => return Outcome::Failed(error.message),
        };
        let Some((association, now_on)) = association else {
            return Outcome::Failed(format!(
                "{subnet_id} has no network ACL association: is the subnet gone?"
            ));
        };
        if now_on == self.acl_id {
            return Outcome::AlreadyDone(format!("{subnet_id} was already on {}", self.acl_id));
        }
        let sent = self
            .client
            .replace_association(&association, &self.acl_id, false)
            .await;
        self.outcome(sent)
    }

    /// After `NetworkAclEntryAlreadyExists`: done if the live entry is the
    /// baseline's, a failure if it holds something else.
    async fn already_there(&self, key: &EntryKey, entry: &Entry) -> Outcome {
        match self.client.entry(&self.acl_id, *key).await {
            Ok(Some(live)) if live == *entry => {
                Outcome::AlreadyDone("the entry was already there".to_owned())
            }
            Ok(Some(live)) => Outcome::Failed(format!(
                "NetworkAclEntryAlreadyExists: {key} now holds {}: the NACL changed since the plan, run apply again",
                live.describe(key.direction)
            )),
            Ok(None) => Outcome::Failed(
                "NetworkAclEntryAlreadyExists, yet the entry is not there".to_owned(),
            ),
            Err(error) => Outcome::Failed(error.message),
        }
    }

    /// The outcome of a call, by the kind of error where it failed.
    fn outcome(&self, sent: Result<(), CallError>) -> Outcome {
        match sent {
            Ok(()) => Outcome::Done,
            Err(error) => Outcome::Failed(error.message),
        }
    }
}
