//! Makes the plan's calls: NACLs concurrently (with a bound), each NACL's
//! calls in order, the closing stage everywhere before the opening stage.
//!
//! Safe to repeat: a call whose work an earlier, interrupted apply already
//! did counts as done. A failed call is reported with AWS's error code, and
//! the other calls still run, except the calls that would open or move
//! subnets onto a NACL whose closing calls failed.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use aws_sdk_ec2::Client;
use aws_sdk_ec2::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_ec2::types::{Filter, IcmpTypeCode, PortRange, RuleAction, Tag};
use nacl_drift_model::{Action, Cidr, Entry, EntryKey, NetworkAclId, Region};
use nacl_drift_snapshot::{ApiError, convert_network_acl};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::plan::{Call, Effect, Plan, Stage, Step};

/// What happened to one call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Done,
    /// The live state already matched (an earlier apply got this far).
    AlreadyDone(String),
    /// With DryRun: EC2 said the call would be permitted.
    Permitted,
    Failed(String),
    Skipped(String),
}

impl Outcome {
    pub fn is_failure(&self) -> bool {
        matches!(self, Outcome::Failed(_))
    }
}

/// The outcome of each step of the plan, by index, and the new ids of the
/// NACLs the plan recreated, by region and old id.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StepResult {
    pub outcomes: Vec<Outcome>,
    pub recreated: BTreeMap<(Region, NetworkAclId), NetworkAclId>,
}

/// Makes the plan's calls (or, with `dry_run`, checks each with EC2's
/// `DryRun` flag), at most `concurrency` NACLs at a time. `clients` has an
/// EC2 client for each region of the plan.
pub async fn execute(
    plan: &Plan,
    clients: &BTreeMap<Region, Client>,
    dry_run: bool,
    concurrency: usize,
) -> StepResult {
    let mut result = StepResult {
        outcomes: vec![Outcome::Skipped("not reached".to_owned()); plan.steps.len()],
        recreated: BTreeMap::new(),
    };
    let semaphore = Arc::new(Semaphore::new(concurrency.max(1)));
    let mut blocked: HashSet<(Region, NetworkAclId)> = HashSet::new();
    for stage in [Stage::Close, Stage::Open] {
        let mut groups: BTreeMap<(Region, NetworkAclId), Vec<(usize, Step)>> = BTreeMap::new();
        for (index, step) in plan
            .steps
            .iter()
            .enumerate()
            .filter(|(_, s)| s.stage == stage)
        {
            let acl = (step.region.clone(), step.network_acl_id.clone());
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
            let already_blocked = blocked.contains(&acl);
            let recreated_id = result.recreated.get(&acl).cloned();
            tasks.spawn(async move {
                let _permit = semaphore.acquire_owned().await;
                let mut nacl = NaclRun {
                    client,
                    dry_run,
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
            let Ok((acl, outcomes, acl_blocked, recreated)) = joined else {
                continue; // A panicked task leaves its steps "not reached".
            };
            for (index, outcome) in outcomes {
                result.outcomes[index] = outcome;
            }
            if let Some(new_id) = recreated {
                result.recreated.insert(acl.clone(), new_id);
            }
            if acl_blocked {
                blocked.insert(acl);
            }
        }
    }
    result
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
            .rule_action(rule_action($entry))
            .protocol($entry.traffic().protocol().api_code())
            .set_cidr_block(v4($entry))
            .set_ipv6_cidr_block(v6($entry))
            .set_port_range(port_range($entry))
            .set_icmp_type_code(icmp($entry))
            .set_dry_run(flag($dry_run))
    };
}

/// One NACL's calls, made in order.
struct NaclRun {
    client: Client,
    dry_run: bool,
    /// The NACL the calls act on: the new id once a recreated NACL exists.
    acl_id: NetworkAclId,
    /// Set when a call failed that later opening calls depend on.
    blocked: bool,
    recreated: Option<NetworkAclId>,
}

impl NaclRun {
    async fn run(&mut self, step: &Step) -> Outcome {
        let opens = step.effect() == Effect::Opens || matches!(step.call, Call::MoveSubnet { .. });
        if self.blocked && (opens || step.recreates) {
            return Outcome::Skipped(
                "an earlier call on this NACL failed, so this one would open access".to_owned(),
            );
        }
        if self.dry_run && step.recreates && !matches!(step.call, Call::CreateNetworkAcl) {
            return Outcome::Skipped("checked once the NACL is recreated".to_owned());
        }
        let outcome = self.call(step).await;
        tracing::info!(
            operation = step.operation().name(),
            network_acl = %self.acl_id,
            what = %step.describe(),
            ?outcome,
            "call made"
        );
        let changes_nothing = self.dry_run;
        if outcome.is_failure()
            && !changes_nothing
            && (step.effect() == Effect::Closes || step.recreates)
        {
            self.blocked = true;
        }
        outcome
    }

    async fn call(&mut self, step: &Step) -> Outcome {
        let acl = self.acl_id.clone();
        let dry_run = self.dry_run;
        match &step.call {
            Call::CreateNetworkAcl => {
                let sent = self
                    .client
                    .create_network_acl()
                    .vpc_id(step.vpc_id.as_str())
                    .set_dry_run(flag(dry_run))
                    .send()
                    .await;
                match sent {
                    Ok(created) if !dry_run => {
                        match created.network_acl().and_then(|a| a.network_acl_id()) {
                            Some(new_id) => match NetworkAclId::parse(new_id) {
                                Ok(new_id) => {
                                    tracing::info!(old = %step.network_acl_id, new = %new_id, "recreated network ACL");
                                    self.acl_id = new_id.clone();
                                    self.recreated = Some(new_id);
                                    Outcome::Done
                                }
                                Err(error) => Outcome::Failed(format!(
                                    "CreateNetworkAcl answered with an unusable NACL id: {error}"
                                )),
                            },
                            None => Outcome::Failed(
                                "CreateNetworkAcl answered without a NACL id".to_owned(),
                            ),
                        }
                    }
                    other => self.outcome(step, other.map(|_| ())),
                }
            }
            Call::CreateEntry { key, entry } => {
                let request = self.client.create_network_acl_entry();
                let sent = with_entry!(request, &acl, key, entry, dry_run).send().await;
                match sent {
                    Err(error)
                        if !dry_run && error.code() == Some("NetworkAclEntryAlreadyExists") =>
                    {
                        self.already_there(key, entry).await
                    }
                    other => self.outcome(step, other.map(|_| ())),
                }
            }
            Call::ReplaceEntry { key, entry, .. } => {
                let request = self.client.replace_network_acl_entry();
                let sent = with_entry!(request, &acl, key, entry, dry_run).send().await;
                self.outcome(step, sent.map(|_| ()))
            }
            Call::DeleteEntry { key, .. } => {
                let sent = self
                    .client
                    .delete_network_acl_entry()
                    .network_acl_id(&acl)
                    .egress(key.direction.is_egress())
                    .rule_number(i32::from(key.rule_number.get()))
                    .set_dry_run(flag(dry_run))
                    .send()
                    .await;
                match sent {
                    Err(error)
                        if !dry_run && error.code() == Some("InvalidNetworkAclEntry.NotFound") =>
                    {
                        Outcome::AlreadyDone("the entry was already gone".to_owned())
                    }
                    other => self.outcome(step, other.map(|_| ())),
                }
            }
            Call::MoveSubnet { subnet_id, .. } => self.move_subnet(step, subnet_id).await,
            Call::CreateTags { tags } => {
                let tags = tags
                    .iter()
                    .map(|(k, v)| Tag::builder().key(k).value(v).build());
                let sent = self
                    .client
                    .create_tags()
                    .resources(&acl)
                    .set_tags(Some(tags.collect()))
                    .set_dry_run(flag(dry_run))
                    .send()
                    .await;
                self.outcome(step, sent.map(|_| ()))
            }
            Call::DeleteTags { keys } => {
                let tags = keys.iter().map(|k| Tag::builder().key(k).build());
                let sent = self
                    .client
                    .delete_tags()
                    .resources(&acl)
                    .set_tags(Some(tags.collect()))
                    .set_dry_run(flag(dry_run))
                    .send()
                    .await;
                self.outcome(step, sent.map(|_| ()))
            }
        }
    }

    /// Moves `subnet_id` onto this NACL, looking up its current association
    /// id first: it changes on every move, so the plan cannot hold it.
    async fn move_subnet(&mut self, step: &Step, subnet_id: &str) -> Outcome {
        let found = self
            .client
            .describe_network_acls()
            .filters(
                Filter::builder()
                    .name("association.subnet-id")
                    .values(subnet_id)
                    .build(),
            )
            .send()
            .await;
        let acls = match found {
            Ok(found) => found,
            Err(error) => {
                return Outcome::Failed(ApiError::new("DescribeNetworkAcls", error).to_string());
            }
        };
        let association = acls
            .network_acls()
            .iter()
            .flat_map(|acl| acl.associations())
            .find(|association| association.subnet_id() == Some(subnet_id));
        let Some(association) = association else {
            return Outcome::Failed(format!(
                "{subnet_id} has no network ACL association: is the subnet gone?"
            ));
        };
        if association.network_acl_id() == Some(self.acl_id.as_str()) {
            return Outcome::AlreadyDone(format!("{subnet_id} was already on {}", self.acl_id));
        }
        let sent = self
            .client
            .replace_network_acl_association()
            .association_id(association.network_acl_association_id().unwrap_or_default())
            .network_acl_id(self.acl_id.as_str())
            .set_dry_run(flag(self.dry_run))
            .send()
            .await;
        self.outcome(step, sent.map(|_| ()))
    }

    /// After `NetworkAclEntryAlreadyExists`: done if the live entry is the
    /// baseline's, a failure if it holds something else.
    async fn already_there(&self, key: &EntryKey, entry: &Entry) -> Outcome {
        let found = self
            .client
            .describe_network_acls()
            .network_acl_ids(self.acl_id.as_str())
            .send()
            .await;
        let live = match found {
            Ok(found) => found
                .network_acls()
                .iter()
                .filter_map(|acl| convert_network_acl(acl, None).ok())
                .find_map(|observed| observed.acl.entries.get(key).copied()),
            Err(error) => {
                return Outcome::Failed(ApiError::new("DescribeNetworkAcls", error).to_string());
            }
        };
        match live {
            Some(live) if live == *entry => {
                Outcome::AlreadyDone("the entry was already there".to_owned())
            }
            Some(live) => Outcome::Failed(format!(
                "NetworkAclEntryAlreadyExists: {key} now holds {}: the NACL changed since the plan, run apply again",
                live.describe(key.direction)
            )),
            None => Outcome::Failed(
                "NetworkAclEntryAlreadyExists, yet the entry is not there".to_owned(),
            ),
        }
    }

    /// The outcome of a call, by its error code where it failed.
    fn outcome<E>(&self, step: &Step, sent: Result<(), SdkError<E>>) -> Outcome
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        match (sent, self.dry_run) {
            (Ok(()), false) => Outcome::Done,
            (Ok(()), true) => Outcome::Failed(
                "the endpoint ignored DryRun and made the call: it does not support permission checks".to_owned(),
            ),
            (Err(error), true) if error.code() == Some("DryRunOperation") => Outcome::Permitted,
            (Err(error), _) => Outcome::Failed(ApiError::new(step.operation().name(), error).to_string()),
        }
    }
}

/// EC2's `DryRun` parameter: sent only when set.
fn flag(dry_run: bool) -> Option<bool> {
    dry_run.then_some(true)
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
