//! The line of one reconcile: what started it, what it found, what it
//! did, as `watch` prints it and `lambda` answers it.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, SystemTime};

use nacl_drift_apply::Outcome;
use nacl_drift_attribution::NaclEvent;
use nacl_drift_diff::{AssessedChange, Attribution, Change, Severity, Skipped};
use nacl_drift_model::sanitize::{self, Shown};
use nacl_drift_model::{AccountId, NetworkAclId, ReadError, Region, Vpc, VpcId, with_causes};
use nacl_drift_reconcile::{
    AssessedEffect, Closed, Reconciled, SourceError, changes_json, rfc3339,
};
use serde::Serialize;

use crate::{Edge, Job, Retried, Trigger};

/// Where a line leaves the estate, from best to worst.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Standing {
    /// Everything read, and in sync (after a restore: verified).
    InSync,
    /// Drift remains.
    Drifted,
    /// An account-region could not be read (not known to be in sync), or
    /// the alert could not be published, or the findings imported.
    Failed,
}

/// One reconcile, as `watch` prints it and `lambda` answers it.
#[derive(Debug, Serialize)]
pub struct Line {
    pub(crate) time: String,
    pub(crate) trigger: Trigger,
    /// The first event of the reconcile; `null` for a poll or a sweep.
    pub(crate) event: Option<Attribution>,
    /// The other events of the same VPC, merged into this reconcile.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) more_events: Vec<Attribution>,
    /// Whether the events name nacl-drift's own principal (as anyone who
    /// can send an event could): said, and nothing else changes.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub(crate) own_calls: bool,
    pub(crate) account: Option<AccountId>,
    pub(crate) region: Option<Region>,
    pub(crate) vpc_id: Option<VpcId>,
    /// After a restore, as verified; otherwise as found. False when an
    /// account-region could not be read.
    pub(crate) in_sync: bool,
    pub(crate) severity: Option<Severity>,
    /// Each change, with its verdicts.
    #[serde(serialize_with = "changes_json")]
    pub(crate) changes: Vec<AssessedChange>,
    /// Each effect on traffic, with its acceptance and assets.
    pub(crate) effects: Vec<AssessedEffect>,
    pub(crate) skipped: Vec<Skipped>,
    pub(crate) errors: Vec<ReadError>,
    pub(crate) restored: Vec<RestoredCall>,
    /// The windows the verified restore closed: each change undone, when
    /// it was made and by whom, and how long it held.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) closed: Vec<Closed>,
    pub(crate) flapping: Vec<FlappingNacl>,
    /// From the first event's time to the end of this reconcile (after a
    /// restore: its verification). CloudTrail's times are whole seconds.
    pub(crate) latency_ms: Option<u64>,
    /// The alert about this reconcile's drift: the topic, and whether it
    /// was published.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) alert: Option<AlertSent>,
    /// The findings imported into Security Hub: how many, how many
    /// resolved, and why none were, when they were not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) security_hub: Option<HubImport>,
    /// Each NACL's Name tag, for alerts.
    #[serde(skip)]
    pub(crate) names: BTreeMap<NetworkAclId, String>,
    /// The Terraform run this reconcile waited for, when a state's lock
    /// was held: Terraform writes the state last.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) terraform_lock: Option<LockLine>,
}

/// A reconcile's wait for a Terraform run, as its line says it.
#[derive(Debug, Serialize)]
pub(crate) struct LockLine {
    /// The lock: the state, and who held it for what since when.
    pub(crate) lock: String,
    pub(crate) waited_seconds: u64,
    /// Whether the run ended in time; otherwise nothing was restored.
    pub(crate) released: bool,
}

/// The import of a reconcile's findings into Security Hub.
#[derive(Debug, Serialize)]
pub(crate) struct HubImport {
    findings: usize,
    resolved: usize,
    /// How many calls were made again after a failure
    /// ([`crate::HUB_RETRY_WAITS`]).
    #[serde(skip_serializing_if = "is_zero")]
    retries: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

fn is_zero(count: &usize) -> bool {
    *count == 0
}

/// The alert about a reconcile's drift.
#[derive(Debug, Serialize)]
pub(crate) struct AlertSent {
    /// The topic's ARN.
    topic: String,
    /// How many messages: one per account with drift.
    messages: usize,
    published: bool,
    /// Why it was not published.
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

#[derive(Debug, Serialize)]
pub(crate) struct RestoredCall {
    call: &'static str,
    pub(crate) network_acl_id: NetworkAclId,
    pub(crate) status: CallStatus,
    /// Why, when not done.
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<String>,
}

/// What became of one call of a restore.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum CallStatus {
    Done,
    AlreadyDone,
    Failed,
    Skipped,
}

#[derive(Debug, Serialize)]
pub(crate) struct FlappingNacl {
    pub(crate) network_acl_id: NetworkAclId,
    flapping: bool,
    severity: Severity,
    restores: usize,
    window_seconds: u64,
    pub(crate) reason: String,
}

impl Line {
    pub(crate) fn of<E: Edge>(job: &Job<E>, reconciled: &Reconciled) -> Self {
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
        let before = &reconciled.before;
        let after = reconciled.after.as_ref();
        let errors = match after {
            Some(after) if !after.errors.is_empty() => after.errors.clone(),
            _ => before.errors.clone(),
        };
        // What could not be read is not known to be in sync.
        let in_sync = errors.is_empty() && after.unwrap_or(before).unaccepted().next().is_none();
        let drifted: BTreeSet<&NetworkAclId> = before
            .changes
            .iter()
            .map(|assessed| &assessed.change.network_acl_id)
            .collect();
        let mut events = job.events.iter().map(NaclEvent::attribution);
        let event = events.next();
        let now = SystemTime::now();
        let now_seconds = now
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |since| {
                i64::try_from(since.as_secs()).unwrap_or(i64::MAX)
            });
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
            severity: before.severity(),
            changes: before.changes.clone(),
            effects: before.effects.clone(),
            skipped: before.skipped.clone(),
            errors,
            restored,
            closed: reconciled.closed(now_seconds),
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
            alert: None,
            security_hub: None,
            terraform_lock: job.lock_wait.as_ref().map(|wait| LockLine {
                lock: wait.lock.to_string(),
                waited_seconds: wait.waited.as_secs(),
                released: wait.released,
            }),
            names: before
                .nacl_names()
                .into_iter()
                .filter_map(|(id, name)| Some((NetworkAclId::parse(id).ok()?, name.to_owned())))
                .collect(),
        }
    }

    /// Whether every account-region it covers was read.
    pub fn read_everything(&self) -> bool {
        self.errors.is_empty()
    }

    /// Where this line leaves the estate: in sync, drifted, or not all
    /// read (or not alerted).
    pub fn standing(&self) -> Standing {
        let unalerted = self.alert.as_ref().is_some_and(|alert| !alert.published);
        let unimported = self
            .security_hub
            .as_ref()
            .is_some_and(|import| import.error.is_some());
        if !self.read_everything() || unalerted || unimported {
            Standing::Failed
        } else if self.in_sync {
            Standing::InSync
        } else {
            Standing::Drifted
        }
    }

    /// Why the alert about this reconcile could not be published, naming
    /// the topic; `None` when it was, or when there was none to publish.
    pub fn unalerted(&self) -> Option<String> {
        let alert = self.alert.as_ref()?;
        let error = alert.error.as_ref()?;
        Some(format!("could not alert {}: {error}", alert.topic))
    }

    /// Why the findings of this reconcile could not be imported.
    pub fn unimported(&self) -> Option<String> {
        let import = self.security_hub.as_ref()?;
        let error = import.error.as_ref()?;
        let retried = match import.retries {
            0 => String::new(),
            retries => format!(" (retried {retries} times)"),
        };
        Some(format!(
            "could not import the findings into Security Hub{retried}: {error}"
        ))
    }

    /// Records the import of `findings`, or why it failed.
    /// Records the findings imported, and those resolved because their
    /// drift is gone (`gone`, their ids), or why either failed; nothing
    /// when there was neither.
    pub(crate) fn imported(
        &mut self,
        findings: &[nacl_drift_findings::Finding],
        imported: Retried<()>,
        gone: Retried<Vec<String>>,
    ) {
        let retries = imported.attempts + gone.attempts - 2;
        let (imported, gone) = (imported.outcome, gone.outcome);
        let mut resolved: BTreeSet<&str> = findings
            .iter()
            .filter(|finding| finding.workflow.status == "RESOLVED")
            .map(|finding| finding.id.as_str())
            .collect();
        let (gone, gone_error) = match gone {
            Ok(ids) => (ids, None),
            Err(error) => (Vec::new(), Some(error)),
        };
        let errors: Vec<String> = [imported.err(), gone_error]
            .into_iter()
            .flatten()
            .map(|error| with_causes(error.as_ref()))
            .collect();
        resolved.extend(gone.iter().map(String::as_str));
        if findings.is_empty() && gone.is_empty() && errors.is_empty() {
            return;
        }
        self.security_hub = Some(HubImport {
            findings: findings.len(),
            resolved: resolved.len(),
            retries,
            error: (!errors.is_empty()).then(|| errors.join("; ")),
        });
    }

    /// Records the `messages` alerts published to `topic`, or why one was
    /// not.
    pub(crate) fn alerted(
        &mut self,
        topic: String,
        messages: usize,
        published: Result<(), SourceError>,
    ) {
        self.alert = Some(AlertSent {
            topic,
            messages,
            published: published.is_ok(),
            error: published.err().map(|error| with_causes(error.as_ref())),
        });
    }

    /// The calls of its restore that ended `status`.
    pub(crate) fn restored_calls(&self, status: CallStatus) -> impl Iterator<Item = &RestoredCall> {
        self.restored.iter().filter(move |r| r.status == status)
    }

    /// The line as JSON.
    pub fn json(&self) -> String {
        sanitize::json(serde_json::to_string(self).expect("a line always serialises"))
    }

    /// The first `most` changes, each with its NACL (and Name), kind and
    /// place, most severe first: `acl-0db (shop-prod-db) entry deleted,
    /// ingress 80`; then how many more.
    fn changes_in_words(&self, most: usize) -> String {
        let mut changes: Vec<&Change> = self.changes.iter().map(|a| &a.change).collect();
        changes.sort_by_key(|change| std::cmp::Reverse(change.severity));
        let mut words: Vec<String> = changes
            .iter()
            .take(most)
            .map(|change| {
                let name = self
                    .names
                    .get(&change.network_acl_id)
                    .map(|name| format!(" ({})", Shown(name)))
                    .unwrap_or_default();
                let position = change.position();
                let at = if position.is_empty() {
                    String::new()
                } else {
                    format!(", {position}")
                };
                format!(
                    "{}{name} {}{at}",
                    change.network_acl_id,
                    change.kind().label()
                )
            })
            .collect();
        if changes.len() > most {
            words.push(format!("and {} more", changes.len() - most));
        }
        words.join("; ")
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
                text.push_str(&format!("{count} {noun} (highest severity: {severity}): "));
                text.push_str(&self.changes_in_words(3));
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
        for closed in &self.closed {
            text.push_str(&format!("; closed {}", closed_in_words(closed)));
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
        if let Some(unimported) = self.unimported() {
            text.push_str(&format!("; {}", Shown(&unimported)));
        }
        if let Some(alert) = &self.alert {
            match &alert.error {
                None => text.push_str(&format!("; alerted {}", alert.topic)),
                Some(error) => text.push_str(&format!(
                    "; could not alert {}: {}",
                    alert.topic,
                    Shown(error)
                )),
            }
        }
        text
    }
}

/// `acl-0db ingress 80 after 7m 43s, open since 2026-12-07T13:11:04Z by
/// user/mallory (unverified)`, escaped.
pub(crate) fn closed_in_words(closed: &Closed) -> String {
    let change = &closed.change;
    let mut words = format!("{} {}", change.network_acl_id, change.position());
    match (&closed.opened, closed.duration()) {
        (Some(opened), Some(held)) => {
            let held = humantime::format_duration(Duration::from_secs(held.max(0).unsigned_abs()));
            words.push_str(&format!(
                " after {held}, open since {} by {}",
                rfc3339(opened.at),
                Shown(&opened.by.who())
            ));
            if opened.by.unverified {
                words.push_str(" (unverified)");
            }
        }
        _ => words.push_str(&format!(
            " at {}, open since a time no event says",
            rfc3339(closed.closed_at)
        )),
    }
    words
}
