//! The guard, shared by `watch` and `lambda`: which VPCs a NACL call may
//! have changed, one reconcile of them (or of everything) under the
//! guard's policy, and the line each reconcile prints.
//!
//! The guard acts on a fresh read of live state only, never on an event's
//! content: an event says where to look. Monitor-only NACLs and accepted
//! drift are never restored (the reconcile core's judge), the flapping
//! brake holds a NACL that keeps being changed back. An event of
//! nacl-drift's own calls is named so in the line, and changes nothing
//! else: anyone who may send to the queue can name that principal, so the
//! state check decides, as for any event, whether to restore.

use std::collections::{BTreeMap, BTreeSet, HashSet, VecDeque};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use anyhow::Result;
use nacl_drift_apply::{Outcome, Pace, Place, PlanOptions};
use nacl_drift_attribution::{Delivery, DeliveryError, NaclEvent, attribute_made_by};
use nacl_drift_aws::Ec2;
use nacl_drift_config::Config;
use nacl_drift_diff::{Attribution, Change, ReadError, Severity, Skipped, TrafficEffect};
use nacl_drift_model::sanitize::{self, Shown};
use nacl_drift_model::{AccountId, NetworkAclId, Operation, Region, VpcId};
use nacl_drift_reconcile::{
    Baselines, FlapBrake, Flapping, Policy, ReconcileError, Reconciled, Vpc, reconcile,
};
use serde::Serialize;

use crate::baseline_dir::{BaselineDir, RegionFilter};
use crate::comparison::{AwsSource, Identity, Live};
use crate::exit_status::ExitStatus;

/// What the guard may do, for `watch` and `lambda` alike. Each flag can
/// also come from the environment, as a Lambda takes no arguments.
#[derive(clap::Args, Debug)]
pub struct GuardArgs {
    #[command(flatten)]
    pub baselines: BaselineDir,

    #[command(flatten)]
    regions: RegionFilter,

    /// Restore drift (as `apply --yes` would), then verify; without it,
    /// report only.
    #[arg(long, env = "NACL_DRIFT_RESTORE")]
    restore: bool,

    /// With --restore: also delete live entries that the baseline lacks.
    #[arg(long, env = "NACL_DRIFT_PRUNE", requires = "restore")]
    prune: bool,

    /// Stop restoring a NACL restored this many times within --flap-window.
    #[arg(long, value_name = "N", default_value_t = 3, env = "NACL_DRIFT_FLAP_LIMIT",
          value_parser = clap::value_parser!(u16).range(1..))]
    flap_limit: u16,

    /// The window of the flapping brake: 10m, 1h.
    #[arg(long, value_name = "DURATION", default_value = "10m", env = "NACL_DRIFT_FLAP_WINDOW",
          value_parser = humantime::parse_duration)]
    flap_window: Duration,
}

/// What started a reconcile.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Trigger {
    /// `watch`'s interval, with no queue.
    Poll,
    /// One or more NACL calls in one VPC.
    Event,
    /// A full reconcile: on start, every --sweep-interval, or a schedule.
    Sweep,
}

/// What a delivered event asks of the guard.
pub enum Ask {
    /// A sweep of everything (a scheduled event).
    Sweep,
    /// Nothing, and why.
    Nothing(String),
    /// A reconcile of each VPC the call may have changed.
    Reconcile {
        event: Box<NaclEvent>,
        vpcs: BTreeSet<Vpc>,
        /// Whether the call could have changed any VPC of its account and
        /// region (a subnet moved onto a NACL no baseline holds): the
        /// costly kind, which front-ends rate-limit.
        whole_place: bool,
    },
}

/// What one reconcile covers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Every baseline.
    Everything,
    /// These VPCs' baselines: those a call may have changed.
    Vpcs(BTreeSet<Vpc>),
}

/// The guard: its policy, its brake, and who it is.
pub struct Guard<'a> {
    baseline_dir: PathBuf,
    /// `--region`: only these regions' baselines (all when empty).
    regions: Vec<Region>,
    config: Arc<Config>,
    restore: bool,
    prune: bool,
    brake: FlapBrake,
    live: Live<'a>,
    source: AwsSource,
    identity: Identity,
    seen: Seen,
}

impl<'a> Guard<'a> {
    /// The guard of `args`, reading and restoring through `live`; asks STS
    /// who nacl-drift is, to know its own calls.
    pub async fn new(
        args: &GuardArgs,
        baseline_dir: PathBuf,
        live: Live<'a>,
        config: &Config,
    ) -> Result<Self> {
        let Some(source) = live.source() else {
            anyhow::bail!("the guard reads live state from AWS, not from exports");
        };
        let identity = live.identity().await?;
        Ok(Guard {
            baseline_dir,
            regions: args.regions.regions.clone(),
            config: Arc::new(config.clone()),
            restore: args.restore,
            prune: args.prune,
            brake: FlapBrake::new(usize::from(args.flap_limit), args.flap_window),
            live,
            source,
            identity,
            seen: Seen::default(),
        })
    }

    /// The baselines (of `--region`) as they are now.
    pub fn baselines(&self) -> Result<Baselines, ReconcileError> {
        Baselines::read(&self.baseline_dir)?.in_regions(&self.regions)
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

    /// A reconcile of `scope` of `baselines`, ready to run on its own task.
    pub fn job(
        &mut self,
        baselines: &Baselines,
        scope: Scope,
        trigger: Trigger,
        events: Vec<NaclEvent>,
    ) -> Result<Job> {
        let baselines = match &scope {
            Scope::Everything => baselines.clone(),
            Scope::Vpcs(vpcs) => baselines.only(vpcs).ok_or_else(|| {
                anyhow::anyhow!(
                    "the baselines of the event's VPCs are gone from {}",
                    self.baseline_dir.display()
                )
            })?,
        };
        let own_calls = !events.is_empty() && events.iter().all(|event| self.is_own(event));
        let held = self.brake.held(Instant::now());
        let policy = Policy {
            restore: self.restore,
            plan: PlanOptions {
                prune: self.prune,
                recreate_missing: false,
            },
            pace: Pace::default(),
            held: held
                .iter()
                .map(|flapping| (flapping.network_acl_id.clone(), flapping.reason()))
                .collect(),
        };
        Ok(Job {
            scope,
            trigger,
            events,
            own_calls,
            held,
            clients: self.live.clients(baselines.places()),
            baselines,
            source: self.source.clone(),
            policy,
            config: Arc::clone(&self.config),
        })
    }

    /// The line of a finished job; its restores count toward the brake.
    pub fn finish(&mut self, done: Done) -> Result<Line> {
        let Done { job, reconciled } = done;
        let reconciled = reconciled?;
        let line = Line::of(&job, &reconciled);
        for restored in line
            .restored
            .iter()
            .filter(|r| r.status == CallStatus::Done)
        {
            self.brake
                .restored(&restored.network_acl_id, Instant::now());
        }
        Ok(line)
    }

    /// A job run here and now: for front-ends that reconcile one at a time.
    pub async fn reconcile(
        &mut self,
        baselines: &Baselines,
        scope: Scope,
        trigger: Trigger,
        events: Vec<NaclEvent>,
    ) -> Result<Line> {
        let job = self.job(baselines, scope, trigger, events)?;
        let done = job.run().await;
        self.finish(done)
    }
}

/// One reconcile, with everything it needs: it can run on a task of its own.
pub struct Job {
    scope: Scope,
    trigger: Trigger,
    events: Vec<NaclEvent>,
    /// Whether every event names nacl-drift's own principal (words only).
    own_calls: bool,
    held: Vec<Flapping>,
    baselines: Baselines,
    source: AwsSource,
    clients: BTreeMap<Place, Ec2>,
    policy: Policy,
    config: Arc<Config>,
}

/// A job and what its reconcile found and did.
pub struct Done {
    pub job: Job,
    reconciled: Result<Reconciled, ReconcileError>,
}

impl Job {
    /// Reconciles: compare, plan, and under the policy restore and verify.
    pub async fn run(mut self) -> Done {
        let baselines = self.baselines.clone();
        let policy = std::mem::take(&mut self.policy);
        let reconciled = reconcile(
            baselines,
            self.source.clone(),
            &self.clients,
            policy,
            &self.config,
        )
        .await;
        Done {
            job: self,
            reconciled,
        }
    }

    /// What it covers.
    pub fn scope(&self) -> &Scope {
        &self.scope
    }

    /// The VPCs it covers, when it covers some rather than everything.
    fn vpcs(&self) -> Option<&BTreeSet<Vpc>> {
        match &self.scope {
            Scope::Vpcs(vpcs) => Some(vpcs),
            Scope::Everything => None,
        }
    }
}

/// One reconcile, as `watch` prints it and `lambda` answers it.
#[derive(Serialize)]
pub struct Line {
    time: String,
    trigger: Trigger,
    /// The first event of the reconcile; `null` for a poll or a sweep.
    event: Option<Attribution>,
    /// The other events of the same VPC, merged into this reconcile.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    more_events: Vec<Attribution>,
    /// Whether the events name nacl-drift's own principal (as anyone who
    /// can send an event could): said, and nothing else changes.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    own_calls: bool,
    account: Option<AccountId>,
    region: Option<Region>,
    vpc_id: Option<VpcId>,
    /// After a restore, as verified; otherwise as found. False when an
    /// account-region could not be read.
    in_sync: bool,
    severity: Option<Severity>,
    changes: Vec<Change>,
    effects: Vec<TrafficEffect>,
    skipped: Vec<Skipped>,
    errors: Vec<ReadError>,
    restored: Vec<RestoredCall>,
    flapping: Vec<FlappingNacl>,
    /// From the first event's time to the end of this reconcile (after a
    /// restore: its verification). CloudTrail's times are whole seconds.
    latency_ms: Option<u64>,
}

#[derive(Serialize)]
struct RestoredCall {
    call: &'static str,
    network_acl_id: NetworkAclId,
    status: CallStatus,
    /// Why, when not done.
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<String>,
}

/// What became of one call of a restore.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
enum CallStatus {
    Done,
    AlreadyDone,
    Failed,
    Skipped,
}

#[derive(Serialize)]
struct FlappingNacl {
    network_acl_id: NetworkAclId,
    flapping: bool,
    severity: Severity,
    restores: usize,
    window_seconds: u64,
    reason: String,
}

impl Line {
    fn of(job: &Job, reconciled: &Reconciled) -> Self {
        let report = &reconciled.before.report;
        let restored = match &reconciled.restored {
            Some(restored) => reconciled
                .plan
                .steps
                .iter()
                .zip(&restored.executed.outcomes)
                .map(|(step, outcome)| {
                    let (status, detail) = match outcome {
                        Outcome::Done | Outcome::Permitted => (CallStatus::Done, None),
                        Outcome::AlreadyDone(why) => (CallStatus::AlreadyDone, Some(why.clone())),
                        Outcome::Failed(why) => (CallStatus::Failed, Some(why.clone())),
                        Outcome::Skipped(why) => (CallStatus::Skipped, Some(why.clone())),
                    };
                    RestoredCall {
                        call: step.operation().name(),
                        network_acl_id: step.network_acl_id.clone(),
                        status,
                        detail,
                    }
                })
                .collect(),
            None => Vec::new(),
        };
        let after = reconciled.after.as_ref().map(|after| &after.report);
        let errors = match after {
            Some(after) if !after.errors.is_empty() => after.errors.clone(),
            _ => report.errors.clone(),
        };
        // What could not be read is not known to be in sync.
        let in_sync = errors.is_empty() && after.unwrap_or(report).unaccepted().next().is_none();
        let drifted: BTreeSet<&NetworkAclId> =
            report.changes.iter().map(|c| &c.network_acl_id).collect();
        // Who made each change, where one of the events in hand did.
        let mut changes = report.changes.clone();
        attribute_made_by(
            &mut changes,
            &job.events,
            &reconciled.before.accounts,
            &reconciled.before.association_subnets(),
        );
        let mut events = job.events.iter().map(NaclEvent::attribution);
        let event = events.next();
        let now = SystemTime::now();
        let latency_ms = job.events.iter().map(|e| e.time).min().and_then(|first| {
            let first = SystemTime::UNIX_EPOCH + Duration::from_secs(u64::try_from(first).ok()?);
            now.duration_since(first).ok().map(|d| d.as_millis() as u64)
        });
        // The account, region and VPC that its VPCs share.
        let vpcs: Vec<&Vpc> = job.vpcs().into_iter().flatten().collect();
        let shared = |same: fn(&Vpc, &Vpc) -> bool| {
            let first = vpcs.first()?;
            vpcs.iter().all(|vpc| same(vpc, first)).then_some(*first)
        };
        let account = shared(|a, b| a.account == b.account);
        let region = shared(|a, b| a.account == b.account && a.region == b.region);
        let vpc = shared(|a, b| a == b);
        Line {
            time: humantime::format_rfc3339_seconds(now).to_string(),
            trigger: job.trigger,
            event,
            more_events: events.collect(),
            own_calls: job.own_calls,
            account: account.map(|vpc| vpc.account.clone()),
            region: region.map(|vpc| vpc.region.clone()),
            vpc_id: vpc.map(|vpc| vpc.vpc_id.clone()),
            in_sync,
            severity: report.severity,
            changes,
            effects: report.effects.clone(),
            skipped: report.skipped.clone(),
            errors,
            restored,
            flapping: job
                .held
                .iter()
                .filter(|flapping| drifted.contains(&flapping.network_acl_id))
                .map(|flapping| FlappingNacl {
                    network_acl_id: flapping.network_acl_id.clone(),
                    flapping: true,
                    severity: Severity::Critical,
                    restores: flapping.restores,
                    window_seconds: flapping.window.as_secs(),
                    reason: flapping.reason(),
                })
                .collect(),
            latency_ms,
        }
    }

    /// Whether every account-region it covers was read.
    pub fn read_everything(&self) -> bool {
        self.errors.is_empty()
    }

    /// How `--once` ends after this line: an error, drift left, or in sync.
    pub fn status(&self) -> ExitStatus {
        if !self.read_everything() {
            ExitStatus::Failure
        } else if self.in_sync {
            ExitStatus::Success
        } else {
            ExitStatus::Drift
        }
    }

    /// The line as JSON.
    pub fn json(&self) -> String {
        sanitize::json(serde_json::to_string(self).expect("a line always serialises"))
    }

    /// One sentence: when, what started it, what was found, what was done.
    pub fn text(&self) -> String {
        let trigger = match self.trigger {
            Trigger::Poll => "poll",
            Trigger::Event => "event",
            Trigger::Sweep => "sweep",
        };
        let mut text = format!("{} {trigger}", self.time);
        if let Some(event) = &self.event {
            text.push_str(&format!(
                " {} by {}",
                Shown(&event.event_name),
                Shown(&event.who())
            ));
            if let Some(ip) = &event.source_ip {
                text.push_str(&format!(" from {}", Shown(ip)));
            }
            if self.own_calls {
                text.push_str(" (nacl-drift's own call)");
            }
            if event.unverified {
                text.push_str(" (unverified)");
            }
        }
        match (&self.account, &self.region, &self.vpc_id) {
            (Some(account), Some(region), Some(vpc)) => {
                text.push_str(&format!(" on {account}/{region}/{vpc}"));
            }
            (Some(account), Some(region), None) => {
                text.push_str(&format!(" on {account}/{region}"));
            }
            _ => {}
        }
        text.push_str(": ");
        match self.changes.len() {
            0 => text.push_str("in sync"),
            count => {
                let severity = self.severity.map_or("none", Severity::label);
                let noun = if count == 1 { "change" } else { "changes" };
                text.push_str(&format!("{count} {noun} (highest severity: {severity})"));
            }
        }
        if !self.restored.is_empty() {
            let done = self
                .restored
                .iter()
                .filter(|r| r.status == CallStatus::Done)
                .count();
            let noun = if self.restored.len() == 1 {
                "call"
            } else {
                "calls"
            };
            text.push_str(&format!(
                "; restored with {done} of {} {noun}, {}",
                self.restored.len(),
                if self.in_sync {
                    "verified in sync"
                } else {
                    "drift remains"
                }
            ));
            if let Some(latency) = self.latency_ms {
                text.push_str(&format!(
                    ", {:.1} s after the call",
                    Duration::from_millis(latency).as_secs_f64()
                ));
            }
        }
        for flapping in &self.flapping {
            text.push_str(&format!(
                "; {}: {}",
                flapping.network_acl_id, flapping.reason
            ));
        }
        if !self.errors.is_empty() {
            text.push_str(&format!(
                "; {} account-regions could not be read",
                self.errors.len()
            ));
        }
        text
    }
}

/// How many event ids are remembered to recognise a duplicate delivery.
const REMEMBERED_EVENTS: usize = 10_000;

/// The ids of the latest events, to recognise a duplicate delivery.
#[derive(Default)]
struct Seen {
    ids: HashSet<String>,
    order: VecDeque<String>,
}

impl Seen {
    /// Remembers `id`; false when it was remembered already.
    fn insert(&mut self, id: &str) -> bool {
        if !self.ids.insert(id.to_owned()) {
            return false;
        }
        self.order.push_back(id.to_owned());
        if self.order.len() > REMEMBERED_EVENTS
            && let Some(oldest) = self.order.pop_front()
        {
            self.ids.remove(&oldest);
        }
        true
    }

    fn forget(&mut self, id: &str) {
        self.ids.remove(id);
        self.order.retain(|kept| kept != id);
    }
}
