//! The guard, shared by `watch` and `lambda`: which VPCs a NACL call may
//! have changed, one reconcile of them (or of everything) under the
//! guard's policy, and the line each reconcile reports.
//!
//! - [`Guard`]: the policy ([`Settings`]), the flapping brake, the
//!   duplicate check and nacl-drift's own principals; [`Guard::ask`] says
//!   what a delivered event asks, [`Guard::job`] makes a reconcile ready to
//!   run on a task of its own, [`Guard::finish`] makes its [`Line`].
//! - [`queue`]: event mode (`watch --sqs-queue-url`): debounce, no
//!   overlapping reconciles of one VPC, sweeps, messages deleted once
//!   handled; [`poll`]: poll mode.
//! - [`lambda`]: one Lambda invocation's answer.
//! - [`Line::alert`]: the message for a topic about a reconcile that found
//!   drift ([`Alert`]).
//!
//! The guard acts on a fresh read of live state only, never on an event's
//! content: an event says where to look. Monitor-only NACLs and accepted
//! drift are never restored (the reconcile core's judge), and the flapping
//! brake holds a NACL that keeps being changed back. An event of
//! nacl-drift's own calls is named so in the line, and changes nothing
//! else: anyone who may send to the queue can name that principal, so the
//! state check decides, as for any event, whether to restore.
//!
//! Generic over the core's traits ([`Edge`]: a `LiveSource` and apply's
//! `NaclApi`), with no AWS SDK: the binary gives it EC2, the tests an
//! in-memory EC2 on tokio's paused clock. Everything meant for people
//! comes out as data ([`Said`]); the binary prints it.
//!
//! Depends on: model, analysis, assets, config, diff, apply, attribution, reconcile, findings; no AWS SDK.

#![deny(missing_docs)]

mod alert;
pub mod lambda;
mod line;
pub mod poll;
pub mod queue;
mod seen;

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use nacl_drift_apply::{NaclApi, Pace, PlanOptions};
use nacl_drift_attribution::{Delivery, DeliveryError, NaclEvent};
use nacl_drift_config::{Config, today};
use nacl_drift_findings::Finding;
use nacl_drift_model::{AccountId, Identity, NetworkAclId, Operation, Place, Region, Vpc, VpcId};
use nacl_drift_reconcile::{
    AssetSource, Baselines, Enrichers, Events, FlapBrake, Flapping, IntentSource, LiveSource,
    Policy, ReconcileError, Reconciled, SourceError, StateLock, reconcile,
};
use tokio::time::Instant;

pub use alert::{Alert, Response};
use line::CallStatus;
pub use line::{Line, Standing};
use seen::Seen;

/// What the guard may do, resolved from flags, the environment and the
/// config file before it starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    /// Only these regions' baselines (all when empty).
    pub regions: Vec<Region>,
    /// Restore drift (as `apply --yes` would), then verify; otherwise
    /// report only.
    pub restore: bool,
    /// Also delete live entries that the baseline lacks (an added deny).
    pub prune: bool,
    /// Stop restoring a NACL restored this many times within `flap_window`.
    pub flap_limit: usize,
    /// The window of the flapping brake.
    pub flap_window: Duration,
    /// Find the network interfaces each effect reaches or cuts off, for the
    /// line and the alert (`--assets`).
    pub assets: bool,
}

/// How long a reconcile waits for a Terraform run that holds a state's
/// lock to end; it looks again every [`LOCK_POLL`]. Terraform writes the
/// state last: a restore during the run would revert a reviewed apply.
pub const LOCK_WAIT: Duration = Duration::from_secs(120);

/// How often a reconcile that waits for a state's lock looks again.
pub const LOCK_POLL: Duration = Duration::from_secs(5);

/// Where the guard reads live state and makes its calls: the core's
/// traits, for one account or many.
pub trait Edge: Send + Sync + 'static {
    /// The live state, read afresh by every reconcile.
    type Source: LiveSource + AssetSource + Clone + Sync + 'static;
    /// The calls of a restore, in one account and region.
    type Api: NaclApi;
    /// Where alerts go.
    type Topic: Topic;
    /// Where findings go.
    type Hub: Hub;

    /// The live source.
    fn source(&self) -> Self::Source;

    /// A client for each of `places` that can act there.
    fn clients(&self, places: BTreeSet<Place>) -> BTreeMap<Place, Self::Api>;

    /// The topic of the guard's alerts, when it has one.
    fn topic(&self) -> Option<Self::Topic>;

    /// The Security Hub of the guard's findings, when it imports them.
    fn hub(&self) -> Option<Self::Hub>;
}

/// Where the guard imports a finding for each change it found (Security
/// Hub at the edge): `NEW` while the drift stands, `RESOLVED` once a
/// restore is verified.
pub trait Hub: Clone + Send + Sync + 'static {
    /// Imports `findings` (a re-import of an id updates its finding); a
    /// failure is reported, and never blocks or undoes a restore.
    fn import(&self, findings: &[Finding]) -> impl Future<Output = Result<(), SourceError>> + Send;

    /// Resolves nacl-drift's findings that stand open (workflow `NEW` or
    /// `NOTIFIED`) on the NACLs a reconcile `read` whole, but are not among
    /// the drift that stands (`standing`, by id): whoever fixed it, a person
    /// or `apply`. Compliance `PASSED` on re-import, workflow `RESOLVED`
    /// as Security Hub requires it (BatchUpdateFindings: a re-import does
    /// not change a workflow). Returns the ids it resolved.
    fn resolve_gone(
        &self,
        read: &BTreeSet<ReadNacl>,
        standing: &BTreeSet<String>,
    ) -> impl Future<Output = Result<Vec<String>, SourceError>> + Send;
}

/// The most alerts the guard keeps to publish again when its topic
/// refuses them: the newest.
pub const MAX_UNSENT_ALERTS: usize = 100;

/// The waits before each retry of a Security Hub call that failed. The
/// SDK retries a throttled or failed request on its own; these retry the
/// call as a whole, refused findings included, so that a passing fault
/// loses no finding. A call that fails every time fails the reconcile's
/// message, which comes again (SQS, Lambda).
pub const HUB_RETRY_WAITS: [Duration; 2] = [Duration::from_secs(1), Duration::from_secs(3)];

/// The outcome of a call made again, after [`HUB_RETRY_WAITS`], while it
/// failed.
pub(crate) struct Retried<T> {
    /// The last attempt's outcome.
    pub(crate) outcome: Result<T, SourceError>,
    /// How many attempts it took.
    pub(crate) attempts: usize,
}

impl<T> Retried<T> {
    /// An outcome that took one attempt.
    fn once(outcome: Result<T, SourceError>) -> Retried<T> {
        Retried {
            outcome,
            attempts: 1,
        }
    }

    /// Calls `call` until it succeeds, at most once more per wait.
    async fn call<F: Future<Output = Result<T, SourceError>>>(
        mut call: impl FnMut() -> F,
    ) -> Retried<T> {
        let mut attempts = 1;
        let mut outcome = call().await;
        for wait in HUB_RETRY_WAITS {
            if outcome.is_ok() {
                break;
            }
            tokio::time::sleep(wait).await;
            attempts += 1;
            outcome = call().await;
        }
        Retried { outcome, attempts }
    }
}

pub use nacl_drift_reconcile::ReadNacl;

/// A topic that the guard publishes an [`Alert`] to for each reconcile
/// that found drift (SNS at the edge).
pub trait Topic: Clone + Send + Sync + 'static {
    /// The topic, for the line: its ARN.
    fn name(&self) -> String;

    /// Publishes `alert`; a failure is reported, and never blocks or
    /// undoes a restore.
    fn publish(&self, alert: &Alert) -> impl Future<Output = Result<(), SourceError>> + Send;
}

/// Why the guard could not do what it was asked.
#[derive(Debug, thiserror::Error)]
pub enum GuardError {
    /// The baselines could not be read, or live state could not.
    #[error(transparent)]
    Reconcile(#[from] ReconcileError),
    /// The baselines of an event's VPCs went away before its reconcile.
    #[error("the baselines of the event's VPCs are gone from {}", .0.display())]
    BaselinesGone(PathBuf),
    /// A reconcile's task panicked or was cancelled.
    #[error("a reconcile failed")]
    Task(#[from] tokio::task::JoinError),
    /// The queue could not be read or written.
    #[error("cannot receive from {url}")]
    Queue {
        /// The queue.
        url: String,
        /// Why.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// An account-region an event asked about could not be read.
    #[error("an account-region of the event could not be read")]
    Unread,
    /// The reconcile's alert or findings could not be sent: the event
    /// comes again.
    #[error("the reconcile's alert or findings could not be sent (the line says why)")]
    Unsent,
    /// The event waits: a call that could have changed every VPC of its
    /// account and region was reconciled there moments ago.
    #[error("held: its account and region were reconciled whole less than {}s ago; it comes again", queue::WHOLE_PLACE_GAP.as_secs())]
    Held,
}

/// What the guard has to say, for the binary to print.
#[derive(Debug)]
pub enum Said {
    /// A reconcile's line.
    Line(Box<Line>),
    /// A message or event that asks nothing, and why.
    Note(String),
    /// Something that will be tried again.
    Warning(String),
    /// What could not be done (`context`), and why.
    Error {
        /// What could not be done; empty when the error says it all.
        context: String,
        /// Why.
        error: GuardError,
    },
}

/// What started a reconcile.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Trigger {
    /// `watch`'s interval, with no queue.
    Poll,
    /// One or more NACL calls in one VPC.
    Event,
    /// A full reconcile: on start, every sweep interval, or a schedule.
    Sweep,
}

/// What a delivered event asks of the guard.
#[derive(Debug)]
pub enum Ask {
    /// A sweep of everything (a scheduled event).
    Sweep,
    /// Nothing, and why.
    Nothing(String),
    /// A reconcile of each VPC the call may have changed.
    Reconcile {
        /// The call.
        event: Box<NaclEvent>,
        /// The VPCs it may have changed.
        vpcs: BTreeSet<Vpc>,
        /// Whether the call could have changed any VPC of its account and
        /// region (a subnet moved onto a NACL no baseline holds): the
        /// costly kind, which front-ends rate-limit.
        whole_place: bool,
    },
}

/// The VPCs one reconcile reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Coverage {
    /// Every baseline.
    Everything,
    /// These VPCs' baselines: those a call may have changed.
    Vpcs(BTreeSet<Vpc>),
}

/// The guard: its policy, its brake, and who it is.
pub struct Guard<E: Edge> {
    settings: Settings,
    config: Arc<Config>,
    brake: FlapBrake,
    edge: Arc<E>,
    identity: Identity,
    seen: Seen,
    /// When sweeps and whole-place reconciles last started: what a sender
    /// may cost is bounded across batches and invocations.
    rates: queue::Rates,
    /// Findings whose import failed, by id: the next reconcile of their
    /// account and region imports them again (the finding of a drift
    /// restored meanwhile would otherwise be lost).
    unsent: BTreeMap<String, Finding>,
    /// Alerts whose publication failed: the next reconcile of their
    /// account publishes them again (the alert of a drift restored
    /// meanwhile would otherwise be lost).
    unsent_alerts: Vec<Alert>,
    /// Where the intent comes from: the baselines, read afresh for each
    /// reconcile.
    intent: Arc<dyn IntentSource>,
}

impl<E: Edge> Guard<E> {
    /// The guard of `settings`, holding live state to `intent`, reading
    /// and restoring through `edge`, as `identity`, under the project's
    /// `config`.
    pub fn new(
        settings: Settings,
        intent: impl IntentSource + 'static,
        edge: E,
        identity: Identity,
        config: &Config,
    ) -> Self {
        Guard {
            intent: Arc::new(intent),
            brake: FlapBrake::new(settings.flap_limit, settings.flap_window),
            settings,
            config: Arc::new(config.clone()),
            edge: Arc::new(edge),
            identity,
            seen: Seen::default(),
            rates: queue::Rates::default(),
            unsent: BTreeMap::new(),
            unsent_alerts: Vec::new(),
        }
    }

    /// The baselines (of the settings' regions) as they are now.
    pub async fn baselines(&self) -> Result<Baselines, ReconcileError> {
        self.intent.intent(&self.settings.regions).await
    }

    /// The VPCs `event`'s call may have changed, and whether that is every
    /// VPC of its account and region; why none, when none: an account this
    /// guard does not read, or a NACL no baseline holds.
    fn vpcs_of(
        &self,
        baselines: &Baselines,
        event: &NaclEvent,
    ) -> Result<(BTreeSet<Vpc>, bool), String> {
        let target = event.target();
        let accounts: Vec<&AccountId> = match &target.account {
            Some(account) if self.identity.accounts.contains(account) => vec![account],
            Some(account) => return Err(format!("account {account} is not one this guard reads")),
            None => self.identity.accounts.iter().collect(),
        };
        let in_place = |vpc: &Vpc| accounts.contains(&&vpc.account) && vpc.region == target.region;
        let mut vpcs: BTreeSet<Vpc> = accounts
            .iter()
            .flat_map(|account| {
                baselines.vpcs_holding(
                    account,
                    &target.region,
                    &target.network_acl_ids,
                    target.vpc_id.as_ref(),
                )
            })
            .collect();
        let mut whole_place = false;
        if vpcs.is_empty() && event.name == Operation::ReplaceNetworkAclAssociation {
            // A subnet moved onto a NACL no baseline holds may be a
            // baseline's subnet: the event names association ids only.
            vpcs = baselines.vpcs().into_iter().filter(in_place).collect();
            whole_place = true;
        }
        if vpcs.is_empty() {
            let named: Vec<&str> = target
                .network_acl_ids
                .iter()
                .map(NetworkAclId::as_str)
                .chain(target.vpc_id.as_ref().map(VpcId::as_str))
                .collect();
            return Err(format!(
                "no baseline holds {} in {}",
                if named.is_empty() {
                    "it".to_owned()
                } else {
                    named.join(", ")
                },
                target.region
            ));
        }
        Ok((vpcs, whole_place))
    }

    /// What a delivered EventBridge event asks, against `baselines`: a
    /// sweep, a reconcile of the VPCs a NACL call may have changed, or
    /// nothing (a failed call, a NACL outside every baseline, an account
    /// this guard does not read, an event delivered before: EventBridge
    /// delivers at least once, and retries for up to a day).
    pub fn ask(&mut self, baselines: &Baselines, delivery: Result<Delivery, DeliveryError>) -> Ask {
        let event = match delivery {
            Err(error) => return Ask::Nothing(error.to_string()),
            Ok(Delivery::Ignored(why)) => return Ask::Nothing(why),
            Ok(Delivery::Schedule) => return Ask::Sweep,
            Ok(Delivery::Change(event)) => event,
        };
        let event_id = event.attribution().event_id;
        match self.vpcs_of(baselines, &event) {
            Err(why) => Ask::Nothing(format!("{} {event_id}: {why}", event.name)),
            // An event without an id (none reaches EventBridge so) cannot
            // be told from a second delivery: it is acted on each time.
            Ok(_) if !event_id.is_empty() && !self.seen.insert(&event_id) => {
                Ask::Nothing(format!("event {event_id} was delivered before"))
            }
            Ok((vpcs, whole_place)) => Ask::Reconcile {
                event,
                vpcs,
                whole_place,
            },
        }
    }

    /// Forgets `event`, whose reconcile failed: when it comes again, it is
    /// acted on.
    pub fn forget(&mut self, event_id: &str) {
        self.seen.forget(event_id);
    }

    /// Whether nacl-drift itself made `event`'s call (a restore of its own).
    pub fn is_own(&self, event: &NaclEvent) -> bool {
        event
            .attribution()
            .principal_arn
            .is_some_and(|arn| self.identity.principals.contains(&arn))
    }

    /// A reconcile of `coverage` of `baselines`, ready to run on its own task.
    pub fn job(
        &mut self,
        baselines: &Baselines,
        coverage: Coverage,
        trigger: Trigger,
        events: Vec<NaclEvent>,
    ) -> Result<Job<E>, GuardError> {
        let baselines = match &coverage {
            Coverage::Everything => baselines.clone(),
            Coverage::Vpcs(vpcs) => baselines
                .only(vpcs)
                .ok_or_else(|| GuardError::BaselinesGone(self.intent.location().to_owned()))?,
        };
        let own_calls = !events.is_empty() && events.iter().all(|event| self.is_own(event));
        let held = self.brake.held(Instant::now().into_std());
        let policy = Policy {
            restore: self.settings.restore,
            plan: PlanOptions {
                prune: self.settings.prune,
                recreate_missing: false,
            },
            pace: Pace::default(),
        };
        let places = baselines.places();
        let unsent = self
            .unsent
            .values()
            .filter(|finding| {
                let region = finding.resources.first().map(|resource| &resource.region);
                places.iter().any(|place| {
                    place.account.as_str() == finding.aws_account_id
                        && region.is_some_and(|region| region == place.region.as_str())
                })
            })
            .cloned()
            .collect();
        // The alerts of its accounts that failed before go with it.
        let (unsent_alerts, others) = std::mem::take(&mut self.unsent_alerts)
            .into_iter()
            .partition(|alert: &Alert| {
                let account = alert.attributes.get("account");
                places
                    .iter()
                    .any(|place| account.is_some_and(|a| a == place.account.as_str()))
            });
        self.unsent_alerts = others;
        Ok(Job {
            coverage,
            trigger,
            events,
            own_calls,
            held,
            clients: self.edge.clients(places),
            baselines,
            source: self.edge.source(),
            policy,
            config: Arc::clone(&self.config),
            topic: self.edge.topic(),
            hub: self.edge.hub(),
            unsent,
            unsent_alerts,
            assets: self.settings.assets,
            intent: Arc::clone(&self.intent),
            regions: self.settings.regions.clone(),
            lock_wait: None,
        })
    }

    /// The line of a finished job; its restores count toward the brake.
    pub fn finish(&mut self, done: Done<E>) -> Result<Line, GuardError> {
        self.unsent_alerts.extend(done.unsent_alerts);
        // A topic that refuses for good must not make the list grow for
        // good: the newest are kept (each reconcile's line says it failed).
        let over = self.unsent_alerts.len().saturating_sub(MAX_UNSENT_ALERTS);
        self.unsent_alerts.drain(..over);
        if let Some(Imported { findings, sent }) = done.imported {
            for finding in findings {
                if sent {
                    self.unsent.remove(&finding.id);
                } else {
                    self.unsent.insert(finding.id.clone(), finding);
                }
            }
        }
        let line = done.line?;
        for restored in line.restored_calls(CallStatus::Done) {
            self.brake
                .restored(&restored.network_acl_id, Instant::now().into_std());
        }
        Ok(line)
    }

    /// A job run here and now: for front-ends that reconcile one at a time.
    pub async fn reconcile(
        &mut self,
        baselines: &Baselines,
        coverage: Coverage,
        trigger: Trigger,
        events: Vec<NaclEvent>,
    ) -> Result<Line, GuardError> {
        let job = self.job(baselines, coverage, trigger, events)?;
        let done = job.run().await;
        self.finish(done)
    }
}

/// The findings of a reconcile's changes: those a verified restore undid
/// are resolved.
fn findings_of(reconciled: &Reconciled) -> Vec<Finding> {
    let now = std::time::SystemTime::now();
    let mut findings = nacl_drift_findings::findings(&reconciled.before, now);
    if let Some(after) = &reconciled.after {
        let remaining: BTreeSet<String> = nacl_drift_findings::findings(after, now)
            .into_iter()
            .map(|finding| finding.id)
            .collect();
        for finding in &mut findings {
            if !remaining.contains(&finding.id) {
                finding.resolve();
            }
        }
    }
    findings
}

/// One reconcile, with everything it needs: it can run on a task of its own.
pub struct Job<E: Edge> {
    coverage: Coverage,
    trigger: Trigger,
    events: Vec<NaclEvent>,
    /// Whether every event names nacl-drift's own principal (words only).
    own_calls: bool,
    held: Vec<Flapping>,
    baselines: Baselines,
    source: E::Source,
    clients: BTreeMap<Place, E::Api>,
    policy: Policy,
    config: Arc<Config>,
    topic: Option<E::Topic>,
    hub: Option<E::Hub>,
    /// The guard's findings of its places whose import failed before.
    unsent: Vec<Finding>,
    /// The guard's alerts of its accounts whose publication failed before.
    unsent_alerts: Vec<Alert>,
    /// Whether to find the assets behind each effect.
    assets: bool,
    /// The intent, to ask whether a Terraform run holds it, and to read it
    /// again once the run is done.
    intent: Arc<dyn IntentSource>,
    /// The regions of the guard's settings.
    regions: Vec<Region>,
    /// What waiting for a Terraform run came to, once it did.
    lock_wait: Option<LockWait>,
}

/// A reconcile's wait for a Terraform run that held a state's lock.
#[derive(Clone, Debug)]
pub(crate) struct LockWait {
    /// The lock, as first seen.
    pub(crate) lock: StateLock,
    /// How long the reconcile waited.
    pub(crate) waited: Duration,
    /// Whether the run ended within [`LOCK_WAIT`]; otherwise nothing is
    /// restored.
    pub(crate) released: bool,
}

impl<E: Edge> Job<E> {
    /// Waits, at most [`LOCK_WAIT`], while a Terraform run holds a state
    /// of the intent; once it held one, reads the intent again (the state
    /// as the run left it) for the job's VPCs, and keeps what the wait came
    /// to.
    async fn wait_for_terraform(&mut self) -> Result<(), ReconcileError> {
        let Some(lock) = self.intent.lock().await? else {
            return Ok(());
        };
        let start = Instant::now();
        let mut released = false;
        while start.elapsed() < LOCK_WAIT {
            tokio::time::sleep(LOCK_POLL).await;
            if self.intent.lock().await?.is_none() {
                released = true;
                break;
            }
        }
        self.lock_wait = Some(LockWait {
            lock,
            waited: start.elapsed(),
            released,
        });
        let baselines = self.intent.intent(&self.regions).await?;
        self.baselines = match &self.coverage {
            Coverage::Everything => baselines,
            Coverage::Vpcs(vpcs) => baselines
                .only(vpcs)
                .ok_or_else(|| ReconcileError::NoBaselines(self.intent.location().to_owned()))?,
        };
        Ok(())
    }
}

/// A job and what its reconcile found and did.
pub struct Done<E: Edge> {
    /// The job.
    pub job: Job<E>,
    line: Result<Line, ReconcileError>,
    imported: Option<Imported>,
    /// The alerts it could not publish.
    unsent_alerts: Vec<Alert>,
}

/// The findings a reconcile imported, or tried to.
struct Imported {
    findings: Vec<Finding>,
    /// Whether the import succeeded.
    sent: bool,
}

impl<E: Edge> Job<E> {
    /// Reconciles: compare, plan, and under the policy restore and verify;
    /// then, when it found drift, alerts the topic.
    pub async fn run(mut self) -> Done<E> {
        let mut policy = std::mem::take(&mut self.policy);
        let waited = self.wait_for_terraform().await;
        if self.lock_wait.as_ref().is_some_and(|wait| !wait.released) {
            policy.restore = false;
        }
        let held: BTreeMap<NetworkAclId, String> = self
            .held
            .iter()
            .map(|flapping| (flapping.network_acl_id.clone(), flapping.reason()))
            .collect();
        let with = Enrichers {
            config: &self.config,
            today: today(),
            held: &held,
            events: Events::InHand(&self.events),
            assets: self.assets.then_some(&self.source as &dyn AssetSource),
        };
        let reconciled = match waited {
            Ok(()) => {
                reconcile(
                    self.baselines.clone(),
                    self.source.clone(),
                    &self.clients,
                    policy,
                    &with,
                )
                .await
            }
            Err(error) => Err(error),
        };
        let mut sent_findings = None;
        // Kept for the next reconcile when this one cannot publish them.
        let mut unsent_alerts = std::mem::take(&mut self.unsent_alerts);
        let line = match reconciled {
            Ok(reconciled) => {
                let mut line = Line::of(&self, &reconciled);
                // Those that failed before first, then this reconcile's.
                let alerts: Vec<Alert> = std::mem::take(&mut unsent_alerts)
                    .into_iter()
                    .chain(line.alerts())
                    .collect();
                if let (Some(topic), false) = (&self.topic, alerts.is_empty()) {
                    // Each account's, even when another's fails.
                    let mut published = Ok(());
                    let count = alerts.len();
                    for alert in alerts {
                        if let Err(error) = topic.publish(&alert).await {
                            published = Err(error);
                            unsent_alerts.push(alert);
                        }
                    }
                    line.alerted(topic.name(), count, published);
                }
                if let Some(hub) = &self.hub {
                    let mut findings = findings_of(&reconciled);
                    let standing: BTreeSet<String> = findings
                        .iter()
                        .filter(|finding| finding.workflow.status != "RESOLVED")
                        .map(|finding| finding.id.clone())
                        .collect();
                    let fresh: BTreeSet<String> =
                        findings.iter().map(|finding| finding.id.clone()).collect();
                    findings.extend(
                        std::mem::take(&mut self.unsent)
                            .into_iter()
                            .filter(|finding| !fresh.contains(&finding.id)),
                    );
                    let imported = if findings.is_empty() {
                        Retried::once(Ok(()))
                    } else {
                        Retried::call(|| hub.import(&findings)).await
                    };
                    let latest = reconciled.after.as_ref().unwrap_or(&reconciled.before);
                    let read = latest.read_whole();
                    let gone = Retried::call(|| hub.resolve_gone(&read, &standing)).await;
                    let sent = imported.outcome.is_ok();
                    line.imported(&findings, imported, gone);
                    sent_findings = Some(Imported { findings, sent });
                }
                Ok(line)
            }
            Err(error) => Err(error),
        };
        Done {
            job: self,
            line,
            imported: sent_findings,
            unsent_alerts,
        }
    }

    /// What it covers.
    pub fn coverage(&self) -> &Coverage {
        &self.coverage
    }

    /// The VPCs it covers, when it covers some rather than everything.
    fn vpcs(&self) -> Option<&BTreeSet<Vpc>> {
        match &self.coverage {
            Coverage::Vpcs(vpcs) => Some(vpcs),
            Coverage::Everything => None,
        }
    }
}
