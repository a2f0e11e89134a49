//! The guard on an in-memory EC2, on tokio's paused clock: a restore and
//! its line, the flapping brake, and a burst merged by the debounce.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use nacl_drift_config::Config;
use nacl_drift_fixtures::{
    ACCOUNT, Estate, InMemoryEc2, MemoryHub, MemoryTopic, SSH_DENY, baseline_of, db_tier,
    entry_call, one_vpc, schedule,
};
use nacl_drift_guard::queue::{Message, MessageQueue, QueueError, QueueSettings, Stop};
use nacl_drift_guard::{Coverage, Edge, Guard, Said, Settings, Standing, Trigger, queue};
use nacl_drift_model::{Identity, Place};
use nacl_drift_reconcile::{
    BaselineFolder, Baselines, HeldLock, IntentRead, IntentSource, StateLocation, StateLock,
};
use serde_json::Value;

const MALLORY: &str = "arn:aws:iam::111122223333:user/mallory";

/// The in-memory EC2 as the guard's edge, with a topic and a Security
/// Hub in memory.
struct Memory(InMemoryEc2, Option<MemoryTopic>, MemoryHub);

impl Edge for Memory {
    type Source = InMemoryEc2;
    type Api = InMemoryEc2;
    type Topic = MemoryTopic;
    type Hub = MemoryHub;

    fn topic(&self) -> Option<MemoryTopic> {
        self.1.clone()
    }

    fn hub(&self) -> Option<MemoryHub> {
        Some(self.2.clone())
    }

    fn source(&self) -> InMemoryEc2 {
        self.0.clone()
    }

    fn clients(&self, places: BTreeSet<Place>) -> BTreeMap<Place, InMemoryEc2> {
        let mut clients = self.0.clients();
        clients.retain(|place, _| places.contains(place));
        clients
    }
}

/// A restoring guard of the one-VPC estate, and its EC2.
fn guard(estate: &Estate, flap_limit: usize) -> (Guard<Memory>, InMemoryEc2) {
    guard_alerting(estate, flap_limit, None, MemoryHub::default())
}

/// The same, alerting `topic`.
fn guard_alerting(
    estate: &Estate,
    flap_limit: usize,
    topic: Option<MemoryTopic>,
    hub: MemoryHub,
) -> (Guard<Memory>, InMemoryEc2) {
    guard_of_live(estate, &one_vpc(), flap_limit, topic, hub)
}

/// The same, with EC2 holding the NACLs of the baseline `live`.
fn guard_of_live(
    estate: &Estate,
    live: &str,
    flap_limit: usize,
    topic: Option<MemoryTopic>,
    hub: MemoryHub,
) -> (Guard<Memory>, InMemoryEc2) {
    guard_of_intent(
        BaselineFolder::new(estate.path()),
        live,
        flap_limit,
        topic,
        hub,
    )
}

/// The same, holding live state to `intent`.
fn guard_of_intent(
    intent: impl IntentSource + 'static,
    live: &str,
    flap_limit: usize,
    topic: Option<MemoryTopic>,
    hub: MemoryHub,
) -> (Guard<Memory>, InMemoryEc2) {
    let ec2 = InMemoryEc2::of(live);
    let settings = Settings {
        regions: Vec::new(),
        restore: true,
        prune: false,
        flap_limit,
        flap_window: Duration::from_secs(600),
        assets: false,
    };
    let identity = Identity {
        accounts: BTreeSet::from([ACCOUNT.parse().expect("an account")]),
        principals: BTreeSet::from([
            "arn:aws:sts::111122223333:assumed-role/guard/nacl-drift".to_owned()
        ]),
    };
    let guard = Guard::new(
        settings,
        intent,
        Memory(ec2.clone(), topic, hub),
        identity,
        &Config::none(),
    );
    (guard, ec2)
}

fn json(said: &Said) -> Option<Value> {
    match said {
        Said::Line(line) => Some(serde_json::from_str(&line.json()).expect("JSON")),
        _ => None,
    }
}

#[tokio::test(start_paused = true)]
async fn a_deleted_deny_is_restored_verified_and_named_in_the_line() {
    let estate = Estate::of(&one_vpc());
    let topic = MemoryTopic::default();
    let hub = MemoryHub::default();
    let (mut guard, ec2) = guard_alerting(&estate, 3, Some(topic.clone()), hub.clone());
    ec2.delete_rule("acl-0db", 80);
    let mut said = Vec::new();
    let event = entry_call("DeleteNetworkAclEntry", "e-1", "acl-0db", 80, MALLORY);
    let answer = nacl_drift_guard::lambda::answer(
        &mut guard,
        serde_json::from_str(&event).expect("JSON"),
        &mut |s| said.push(s),
    )
    .await
    .expect("an answer");
    assert_eq!(answer["trigger"], "event");
    assert_eq!(answer["in_sync"], true, "{answer}");
    assert_eq!(answer["event"]["principal_arn"], MALLORY);
    assert_eq!(answer["restored"][0]["status"], "done");
    assert_eq!(
        ec2.calls(),
        [
            "DescribeNetworkAcls",
            "CreateNetworkAclEntry 80",
            "DescribeNetworkAcls"
        ]
    );
    assert_eq!(ec2.entries("acl-0db").len(), 2);
    assert_eq!(said.iter().filter_map(json).count(), 1);

    // The window it closed: when the deny was deleted and by whom (the
    // event's own word, marked so), when the restore was verified, how long.
    let closed = &answer["closed"][0];
    assert_eq!(closed["network_acl_id"], "acl-0db", "{answer}");
    assert_eq!(closed["position"], "ingress 80");
    assert_eq!(closed["opened"]["at"], "2026-12-06T10:00:00Z");
    assert_eq!(closed["opened"]["by"]["principal_arn"], MALLORY);
    assert_eq!(closed["opened"]["by"]["unverified"], true);
    let held = closed["duration_seconds"].as_i64().expect("a duration");
    let closed_at =
        humantime::parse_rfc3339(closed["closed_at"].as_str().expect("a time")).expect("RFC 3339");
    let opened_at = humantime::parse_rfc3339("2026-12-06T10:00:00Z").expect("RFC 3339");
    let span = closed_at
        .duration_since(opened_at)
        .expect("after")
        .as_secs();
    assert_eq!(held, i64::try_from(span).expect("seconds"));

    // The message for a topic: where, what, who, and what was done.
    let Some(Said::Line(line)) = said.iter().find(|s| matches!(s, Said::Line(_))) else {
        panic!("a line");
    };
    let alert = line.alerts().pop().expect("drift was found");
    assert_eq!(
        topic.published(),
        std::slice::from_ref(&alert),
        "published once"
    );
    assert_eq!(answer["alert"]["published"], true, "{answer}");

    // Its finding, resolved: the restore was verified.
    let finding = hub
        .finding("nacl-drift/111122223333/us-east-1/acl-0db/entry_deleted/ingress/80")
        .expect("the finding of the deletion");
    assert_eq!(finding.workflow.status, "RESOLVED");
    assert_eq!(finding.compliance.status, "PASSED");
    // Who made it, as the event in hand says, marked so; its time is not
    // the finding's: anyone who can send an event could have written it.
    assert!(
        finding
            .description
            .contains("Made by user/mallory at 2026-12-06T10:00:00Z from 198.51.100.7 (unverified: from the event alone)."),
        "{}",
        finding.description
    );
    assert_ne!(finding.created_at, "2026-12-06T10:00:00Z");
    assert_eq!(answer["security_hub"]["findings"], 1, "{answer}");
    assert_eq!(answer["security_hub"]["resolved"], 1, "{answer}");
    assert_eq!(
        alert.subject,
        "nacl-drift: restored 1 change (critical) in acl-0db, 111122223333/us-east-1"
    );
    assert!(alert.subject.len() <= 100);
    assert_eq!(alert.attributes["severity"], "critical");
    assert_eq!(alert.attributes["account"], "111122223333");
    assert_eq!(alert.attributes["action"], "restored");
    for part in [
        "Account 111122223333, region us-east-1, VPC vpc-0prod, NACL acl-0db:",
        "- [critical] entry deleted, ingress 80: the baseline has deny tcp 22 from 0.0.0.0/0; live is —.",
        "newly allowed: ingress tcp 22 from 0.0.0.0/0",
        "made by user/mallory from 198.51.100.7",
        "What nacl-drift did: restored with 1 of 1 calls, verified in sync",
        "  closed: acl-0db ingress 80 after ",
        ", open since 2026-12-06T10:00:00Z by user/mallory (unverified)",
    ] {
        assert!(alert.body.contains(part), "{part}:\n{}", alert.body);
    }
    let text = line.text();
    assert!(
        text.contains("; closed acl-0db ingress 80 after "),
        "{text}"
    );

    // The same event again (EventBridge delivers at least once): nothing.
    let again = nacl_drift_guard::lambda::answer(
        &mut guard,
        serde_json::from_str(&event).expect("JSON"),
        &mut |_| {},
    )
    .await
    .expect("an answer");
    assert_eq!(again["ignored"], "event e-1 was delivered before");
    assert_eq!(ec2.calls().len(), 3, "no call for a duplicate");
}

#[tokio::test(start_paused = true)]
async fn the_brake_holds_a_nacl_restored_too_often_until_its_restores_age_out() {
    let estate = Estate::of(&one_vpc());
    let (mut guard, ec2) = guard(&estate, 2);
    let reconcile_after_a_deletion = async |guard: &mut Guard<Memory>| {
        let line = after_a_deletion(guard, &ec2).await;
        tokio::time::advance(Duration::from_secs(60)).await;
        let line: Value = serde_json::from_str(&line.json()).expect("JSON");
        line
    };
    for _ in 0..2 {
        let line = reconcile_after_a_deletion(&mut guard).await;
        assert_eq!(line["in_sync"], true, "restored: {line}");
        assert_eq!(line["flapping"], Value::Array(Vec::new()));
    }
    let held = reconcile_after_a_deletion(&mut guard).await;
    assert_eq!(held["in_sync"], false, "held, not restored: {held}");
    assert_eq!(held["restored"], Value::Array(Vec::new()));
    assert_eq!(held["flapping"][0]["restores"], 2);
    assert_eq!(held["changes"][0]["held"], held["flapping"][0]["reason"]);
    assert!(
        held["flapping"][0]["reason"]
            .as_str()
            .is_some_and(|reason| reason.starts_with("flapping: restored 2 times in 600s")),
        "{held}"
    );
    assert_eq!(ec2.entries("acl-0db").len(), 1, "left as found");

    // Ten minutes after the first restore, it is restored again.
    tokio::time::advance(Duration::from_secs(600)).await;
    let line = poll_once(&mut guard).await;
    assert_eq!(line.standing(), Standing::InSync);
    assert_eq!(ec2.entries("acl-0db").len(), 2);
}

/// A batch, delivered after a delay.
type Delayed = (Duration, Vec<Message<String>>);

/// One reconcile of everything, as poll mode makes it.
async fn poll_once(guard: &mut Guard<Memory>) -> nacl_drift_guard::Line {
    let baselines = guard.baselines().await.expect("baselines");
    guard
        .reconcile(&baselines, Coverage::Everything, Trigger::Poll, Vec::new())
        .await
        .expect("a line")
}

/// One reconcile of everything, after `ec2` lost the SSH deny again.
async fn after_a_deletion(guard: &mut Guard<Memory>, ec2: &InMemoryEc2) -> nacl_drift_guard::Line {
    ec2.delete_rule("acl-0db", 80);
    poll_once(guard).await
}

/// A queue in memory: each receive takes the next batch, after its delay;
/// then it waits out the long poll and has nothing.
#[derive(Clone, Default)]
struct MemoryQueue {
    batches: Arc<Mutex<VecDeque<Delayed>>>,
    deleted: Arc<Mutex<Vec<String>>>,
    /// Refuse every DeleteMessageBatch, as a queue policy might.
    refusing_deletes: bool,
}

impl MemoryQueue {
    fn with(batches: Vec<(Duration, Vec<(&str, String)>)>) -> Self {
        let batches = batches
            .into_iter()
            .map(|(delay, bodies)| {
                let messages = bodies
                    .into_iter()
                    .map(|(id, body)| Message {
                        id: id.to_owned(),
                        body,
                        receipt: format!("receipt-{id}"),
                    })
                    .collect();
                (delay, messages)
            })
            .collect();
        MemoryQueue {
            batches: Arc::new(Mutex::new(batches)),
            ..MemoryQueue::default()
        }
    }
}

impl MessageQueue for MemoryQueue {
    type Receipt = String;
    const LONG_POLL: Duration = Duration::from_secs(20);

    fn url(&self) -> &str {
        "memory://guard"
    }

    async fn queued(&self) -> Result<usize, QueueError> {
        Ok(self
            .batches
            .lock()
            .expect("lock")
            .iter()
            .map(|(_, b)| b.len())
            .sum())
    }

    async fn receive(&self, wait: Duration) -> Result<Vec<Message<String>>, QueueError> {
        let next = self.batches.lock().expect("lock").pop_front();
        match next {
            Some((delay, batch)) => {
                tokio::time::sleep(delay).await;
                Ok(batch)
            }
            None => {
                tokio::time::sleep(wait).await;
                Ok(Vec::new())
            }
        }
    }

    async fn delete(&self, receipts: &[String]) -> Result<(), QueueError> {
        if self.refusing_deletes {
            return Err("AccessDenied: not authorized to perform sqs:DeleteMessage".into());
        }
        self.deleted
            .lock()
            .expect("lock")
            .extend_from_slice(receipts);
        Ok(())
    }
}

/// A stop that comes at a set time.
struct StopAt(tokio::time::Instant);

impl Stop for StopAt {
    async fn signalled(&mut self) {
        tokio::time::sleep_until(self.0).await;
    }
}

#[tokio::test(start_paused = true)]
async fn a_burst_on_one_vpc_is_one_reconcile_after_the_start_sweep() {
    let estate = Estate::of(&one_vpc());
    let (mut guard, ec2) = guard(&estate, 3);
    let call = |id, rule| entry_call("DeleteNetworkAclEntry", id, "acl-0db", rule, MALLORY);
    let queue = MemoryQueue::with(vec![
        (Duration::from_secs(30), vec![("m1", call("e-1", 80))]),
        // Two seconds later, within the debounce: the same VPC, and a
        // schedule that comes too soon after the start's sweep.
        (
            Duration::from_secs(2),
            vec![("m2", call("e-2", 80)), ("m3", schedule())],
        ),
    ]);
    let settings = QueueSettings {
        sweep_interval: Duration::from_secs(600),
        debounce: Duration::from_secs(5),
        once: false,
    };
    let mut said = Vec::new();
    let stop_at = tokio::time::Instant::now() + Duration::from_secs(120);
    let deletion = ec2.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(29)).await;
        deletion.delete_rule("acl-0db", 80);
    });
    let standing = queue::run(
        &mut guard,
        queue.clone(),
        settings,
        &mut StopAt(stop_at),
        &mut |s| said.push(s),
    )
    .await
    .expect("runs until stopped");
    assert_eq!(standing, Standing::InSync);
    let lines: Vec<Value> = said.iter().filter_map(json).collect();
    assert_eq!(lines.len(), 2, "a sweep, then one reconcile: {lines:?}");
    assert_eq!(lines[0]["trigger"], "sweep");
    assert_eq!(lines[0]["in_sync"], true);
    assert_eq!(lines[1]["trigger"], "event");
    assert_eq!(lines[1]["event"]["event_id"], "e-1");
    assert_eq!(lines[1]["more_events"][0]["event_id"], "e-2");
    assert_eq!(lines[1]["vpc_id"], "vpc-0prod");
    assert_eq!(lines[1]["restored"][0]["status"], "done");
    assert_eq!(lines[1]["in_sync"], true);
    let restores = ec2
        .calls()
        .iter()
        .filter(|c| *c == "CreateNetworkAclEntry 80")
        .count();
    assert_eq!(restores, 1, "one restore for the burst");
    let notes: Vec<&String> = said
        .iter()
        .filter_map(|s| match s {
            Said::Note(note) => Some(note),
            _ => None,
        })
        .collect();
    assert!(
        notes
            .iter()
            .any(|note| note.contains("message m3 asks for a sweep 32s after the last one")),
        "{notes:?}"
    );
    let mut deleted = queue.deleted.lock().expect("lock").clone();
    deleted.sort();
    assert_eq!(deleted, ["receipt-m1", "receipt-m2", "receipt-m3"]);
}

#[tokio::test(start_paused = true)]
async fn a_message_that_cannot_be_deleted_is_a_warning_not_a_stop() {
    let estate = Estate::of(&one_vpc());
    let (mut guard, _ec2) = guard(&estate, 3);
    let queue = MemoryQueue {
        refusing_deletes: true,
        ..MemoryQueue::with(vec![(Duration::from_secs(1), vec![("m1", schedule())])])
    };
    let settings = QueueSettings {
        sweep_interval: Duration::from_secs(600),
        debounce: Duration::from_secs(5),
        once: true,
    };
    let mut said = Vec::new();
    let far = tokio::time::Instant::now() + Duration::from_secs(3600);
    let standing = queue::run(&mut guard, queue, settings, &mut StopAt(far), &mut |s| {
        said.push(s)
    })
    .await
    .expect("drains the queue all the same");
    assert_eq!(standing, Standing::InSync);
    let warnings: Vec<&String> = said
        .iter()
        .filter_map(|s| match s {
            Said::Warning(warning) => Some(warning),
            _ => None,
        })
        .collect();
    assert!(
        warnings.iter().any(|warning| warning.starts_with(
            "cannot delete handled messages from memory://guard (they come back, and are recognised as seen): AccessDenied"
        )),
        "{warnings:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_topic_that_refuses_never_stops_the_restore_and_the_line_says_so() {
    let estate = Estate::of(&one_vpc());
    let (mut guard, ec2) = guard_alerting(
        &estate,
        3,
        Some(MemoryTopic::refusing()),
        MemoryHub::default(),
    );
    let line = after_a_deletion(&mut guard, &ec2).await;
    assert_eq!(ec2.entries("acl-0db").len(), 2, "restored all the same");
    let json: Value = serde_json::from_str(&line.json()).expect("JSON");
    assert_eq!(json["in_sync"], true);
    assert_eq!(json["alert"]["published"], false);
    assert_eq!(
        json["alert"]["topic"],
        "arn:aws:sns:us-east-1:111122223333:nacl-drift"
    );
    assert!(
        json["alert"]["error"]
            .as_str()
            .is_some_and(|error| error.contains("AuthorizationError")),
        "{json}"
    );
    assert_eq!(line.standing(), Standing::Failed, "--once exits 1");
    // The text line names the NACL and the change, in poll mode too.
    assert!(
        line.text().contains(
            " poll: 1 change (highest severity: critical): acl-0db entry deleted, ingress 80;"
        ),
        "{}",
        line.text()
    );
    assert!(
        line.text()
            .contains("could not alert arn:aws:sns:us-east-1:111122223333:nacl-drift")
    );

    // In sync: no drift and no alert of its own, but the alert it could
    // not publish is tried again, and refused again: still failed.
    let line = poll_once(&mut guard).await;
    assert!(line.alerts().is_empty());
    assert_eq!(line.standing(), Standing::Failed, "{}", line.json());
}

#[tokio::test(start_paused = true)]
async fn a_finding_is_new_while_the_drift_stands() {
    let estate = Estate::of(&one_vpc());
    let hub = MemoryHub::default();
    let (mut guard, ec2) = guard_alerting(&estate, 1, None, hub.clone());
    ec2.delete_rule("acl-0db", 80);
    // The brake holds the NACL after one restore: the next deletion stands.
    for _ in 0..2 {
        poll_once(&mut guard).await;
        ec2.delete_rule("acl-0db", 80);
    }
    let finding = hub
        .finding("nacl-drift/111122223333/us-east-1/acl-0db/entry_deleted/ingress/80")
        .expect("the finding");
    assert_eq!(finding.workflow.status, "NEW", "held, not restored");
    assert_eq!(finding.compliance.status, "FAILED");
    assert_eq!(hub.len(), 1, "one finding, updated");
}

#[tokio::test(start_paused = true)]
async fn a_security_hub_that_is_not_enabled_never_stops_the_restore() {
    let estate = Estate::of(&one_vpc());
    let (mut guard, ec2) = guard_alerting(&estate, 3, None, MemoryHub::disabled());
    let line = after_a_deletion(&mut guard, &ec2).await;
    assert_eq!(ec2.entries("acl-0db").len(), 2, "restored all the same");
    assert_eq!(line.standing(), Standing::Failed, "--once exits 1");
    // The text line names the NACL and the change, in poll mode too.
    assert!(
        line.text().contains(
            " poll: 1 change (highest severity: critical): acl-0db entry deleted, ingress 80;"
        ),
        "{}",
        line.text()
    );
    let unimported = line.unimported().expect("the import failed");
    assert!(
        unimported.contains("not subscribed to AWS Security Hub (in us-east-1)"),
        "{unimported}"
    );
}

/// An alert that could not be published is published at the next
/// reconcile of its account, though that one finds the NACL in sync: the
/// restore's alert is not lost to a passing refusal.
#[tokio::test(start_paused = true)]
async fn an_unpublished_alert_is_published_at_the_next_reconcile() {
    let estate = Estate::of(&one_vpc());
    let topic = MemoryTopic::refusing_first(1);
    let (mut guard, ec2) = guard_alerting(&estate, 3, Some(topic.clone()), MemoryHub::default());
    let line = after_a_deletion(&mut guard, &ec2).await;
    assert_eq!(line.standing(), Standing::Failed, "the alert failed");
    assert!(topic.published().is_empty());
    let line = poll_once(&mut guard).await;
    assert_eq!(line.standing(), Standing::InSync, "{}", line.json());
    let published = topic.published();
    assert_eq!(published.len(), 1, "the first reconcile's alert");
    // A topic that refuses for good: the guard keeps the newest alerts
    // alone, however many reconciles fail to publish theirs.
    let topic = MemoryTopic::refusing();
    let (mut guard, ec2) = guard_alerting(
        &estate,
        usize::MAX,
        Some(topic.clone()),
        MemoryHub::default(),
    );
    for _ in 0..nacl_drift_guard::MAX_UNSENT_ALERTS + 5 {
        after_a_deletion(&mut guard, &ec2).await;
    }
    topic.accept_from_now();
    poll_once(&mut guard).await;
    assert_eq!(topic.published().len(), nacl_drift_guard::MAX_UNSENT_ALERTS);
    assert!(
        published[0]
            .subject
            .starts_with("nacl-drift: restored 1 change"),
        "{}",
        published[0].subject
    );
}

/// A Security Hub import that fails for a moment is made again after a
/// wait: the finding is lost neither to a passing fault nor to the
/// restore that removed its drift meanwhile.
#[tokio::test(start_paused = true)]
async fn a_failed_import_is_retried_and_then_carried_to_the_next_reconcile() {
    let estate = Estate::of(&one_vpc());
    let id = "nacl-drift/111122223333/us-east-1/acl-0db/entry_deleted/ingress/80";

    // Two failures: the third attempt imports it.
    let hub = MemoryHub::failing(2);
    let (mut guard, ec2) = guard_alerting(&estate, 3, None, hub.clone());
    let started = tokio::time::Instant::now();
    let line = after_a_deletion(&mut guard, &ec2).await;
    assert_eq!(line.standing(), Standing::InSync, "{}", line.json());
    let answer: Value = serde_json::from_str(&line.json()).expect("JSON");
    assert_eq!(answer["security_hub"]["retries"], 2, "{answer}");
    assert_eq!(
        started.elapsed(),
        nacl_drift_guard::HUB_RETRY_WAITS.iter().sum::<Duration>()
    );
    assert_eq!(
        hub.finding(id).expect("imported").workflow.status,
        "RESOLVED"
    );

    // Three: the reconcile fails (its message comes again), and the next
    // reconcile of the place imports the finding, though its drift is
    // restored and that reconcile finds none.
    let hub = MemoryHub::failing(3);
    let (mut guard, ec2) = guard_alerting(&estate, 3, None, hub.clone());
    let line = after_a_deletion(&mut guard, &ec2).await;
    assert_eq!(ec2.entries("acl-0db").len(), 2, "restored all the same");
    assert_eq!(line.standing(), Standing::Failed);
    let unimported = line.unimported().expect("the import failed");
    assert!(
        unimported.contains("(retried 2 times): BatchImportFindings failed: InternalException"),
        "{unimported}"
    );
    assert!(hub.is_empty());
    let line = poll_once(&mut guard).await;
    assert_eq!(line.standing(), Standing::InSync, "{}", line.json());
    let finding = hub.finding(id).expect("imported at the next reconcile");
    assert_eq!(finding.workflow.status, "RESOLVED");
    assert_eq!(finding.compliance.status, "PASSED");
}

/// `one_vpc` with `count` more NACLs, each with 50 tags of 250 characters
/// whose values start with `value`: as much text as AWS lets a NACL carry.
fn heavily_tagged(count: usize, value: char) -> String {
    let mut yaml = one_vpc();
    for number in 0..count {
        yaml.push_str(&format!(
            "- id: acl-1{number:04x}\n  is_default: false\n  entries: []\n  tags:\n"
        ));
        for tag in 0..50 {
            yaml.push_str(&format!(
                "    tag{tag:02}: {}\n",
                value.to_string().repeat(250)
            ));
        }
    }
    yaml
}

/// SNS drops a message over 256 KiB: tags on the VPC's NACLs must not push
/// the alert of a critical change past it. The body stays under the limit,
/// the critical change comes first, and the rest are counted.
#[tokio::test(start_paused = true)]
async fn tags_never_push_a_critical_alert_past_snss_limit() {
    let estate = Estate::of(&heavily_tagged(60, 'a'));
    let topic = MemoryTopic::default();
    let (mut guard, ec2) = guard_of_live(
        &estate,
        &heavily_tagged(60, 'b'),
        3,
        Some(topic.clone()),
        MemoryHub::default(),
    );
    let line = after_a_deletion(&mut guard, &ec2).await;
    let alerts = topic.published();
    assert_eq!(alerts.len(), 1, "one account, one message");
    let body = &alerts[0].body;
    assert!(body.len() < 256 * 1024, "{} bytes", body.len());
    assert!(
        body.len() > 128 * 1024,
        "as much as fits: {} bytes",
        body.len()
    );
    let first_change = body
        .lines()
        .find(|line| line.starts_with("- ["))
        .expect("a change");
    assert!(
        first_change.starts_with("- [critical] entry deleted, ingress 80"),
        "{first_change}"
    );
    let left_out = body
        .lines()
        .find(|line| line.starts_with("- and "))
        .unwrap_or_else(|| panic!("the rest counted: {body}"));
    assert!(
        left_out.ends_with(" low): the guard's log line lists every one."),
        "{left_out}"
    );
    // What the guard did comes last, whatever was left out.
    let last = body.lines().last().expect("a last line");
    assert!(last.starts_with("What nacl-drift did: "), "{last}");
    let json: Value = serde_json::from_str(&line.json()).expect("JSON");
    assert_eq!(json["alert"]["published"], true, "{json}");
    assert_eq!(json["alert"]["messages"], 1, "{json}");
}

/// A sweep over two accounts sends one alert per account, each with its own
/// account in the subject and the attribute subscriptions filter on.
#[tokio::test(start_paused = true)]
async fn a_sweep_over_two_accounts_alerts_each_account_apart() {
    let other = one_vpc()
        .replace(ACCOUNT, "444455556666")
        .replace("acl-0db", "acl-1db")
        .replace("vpc-0prod", "vpc-1prod");
    let estate = Estate::of(&one_vpc());
    estate.add(&other);
    let ec2 = InMemoryEc2::of(&one_vpc());
    ec2.add(&other);
    let topic = MemoryTopic::default();
    let settings = Settings {
        regions: Vec::new(),
        restore: false,
        prune: false,
        flap_limit: 3,
        flap_window: Duration::from_secs(600),
        assets: false,
    };
    let identity = Identity {
        accounts: BTreeSet::from([
            ACCOUNT.parse().expect("an account"),
            "444455556666".parse().expect("an account"),
        ]),
        principals: BTreeSet::new(),
    };
    let mut guard = Guard::new(
        settings,
        BaselineFolder::new(estate.path()),
        Memory(ec2.clone(), Some(topic.clone()), MemoryHub::default()),
        identity,
        &Config::none(),
    );
    ec2.delete_rule("acl-0db", 80);
    ec2.delete_rule("acl-1db", 80);
    let baselines = guard.baselines().await.expect("baselines");
    let line = guard
        .reconcile(&baselines, Coverage::Everything, Trigger::Sweep, Vec::new())
        .await
        .expect("a line");
    let alerts = topic.published();
    let accounts: Vec<&str> = alerts
        .iter()
        .map(|alert| alert.attributes["account"].as_str())
        .collect();
    assert_eq!(accounts, [ACCOUNT, "444455556666"]);
    for alert in &alerts {
        let account = &alert.attributes["account"];
        assert!(
            alert.subject.ends_with(&format!("{account}/us-east-1")),
            "{}",
            alert.subject
        );
        assert_eq!(
            alert.body.matches("Account ").count(),
            1,
            "its own account alone: {}",
            alert.body
        );
        assert!(alert.body.contains(&format!("Account {account}, ")));
    }
    let json: Value = serde_json::from_str(&line.json()).expect("JSON");
    assert_eq!(json["alert"]["messages"], 2, "{json}");
}

/// An SQS batch, as Lambda hands it to the function.
fn sqs_batch(bodies: &[String]) -> Value {
    let records: Vec<Value> = bodies
        .iter()
        .enumerate()
        .map(|(index, body)| {
            serde_json::json!({"messageId": format!("m-{index}"), "body": body, "eventSource": "aws:sqs"})
        })
        .collect();
    serde_json::json!({ "Records": records })
}

/// The Lambda guard merges and rate-limits as `watch` does, through the
/// same code: ten association events of one account and region in one
/// batch are one reconcile (one read); a second one at once waits (a batch
/// item failure, its event forgotten) and goes through after the gap; ten
/// schedule messages are one sweep, and a schedule within a minute of it
/// sweeps nothing.
#[tokio::test(start_paused = true)]
async fn the_lambda_merges_and_rate_limits_as_watch_does() {
    let estate = Estate::of(&one_vpc());
    let (mut guard, ec2) = guard(&estate, 3);
    let reads = || {
        ec2.calls()
            .iter()
            .filter(|call| *call == "DescribeNetworkAcls")
            .count()
    };
    let moved = |id: &str| entry_call("ReplaceNetworkAclAssociation", id, "acl-0ffff", 0, MALLORY);
    let moves: Vec<String> = (0..10)
        .map(|index| moved(&format!("move-{index}")))
        .collect();
    let answer = nacl_drift_guard::lambda::answer(&mut guard, sqs_batch(&moves), &mut |_| {})
        .await
        .expect("an answer");
    assert_eq!(
        answer["batchItemFailures"],
        serde_json::json!([]),
        "{answer}"
    );
    assert_eq!(
        answer["reconciles"].as_array().map(Vec::len),
        Some(1),
        "{answer}"
    );
    assert_eq!(reads(), 1, "one read for ten events: {:?}", ec2.calls());

    let late = vec![moved("move-late")];
    let held = nacl_drift_guard::lambda::answer(&mut guard, sqs_batch(&late), &mut |_| {})
        .await
        .expect("an answer");
    assert_eq!(
        held["batchItemFailures"],
        serde_json::json!([{"itemIdentifier": "m-0"}]),
        "{held}"
    );
    assert_eq!(reads(), 1, "held, not read");
    tokio::time::advance(queue::WHOLE_PLACE_GAP).await;
    let again = nacl_drift_guard::lambda::answer(&mut guard, sqs_batch(&late), &mut |_| {})
        .await
        .expect("an answer");
    assert_eq!(again["batchItemFailures"], serde_json::json!([]), "{again}");
    assert_eq!(reads(), 2, "the held event, acted on when it came again");

    let schedules: Vec<String> = (0..10).map(|_| schedule()).collect();
    let swept = nacl_drift_guard::lambda::answer(&mut guard, sqs_batch(&schedules), &mut |_| {})
        .await
        .expect("an answer");
    let reconciles = swept["reconciles"].as_array().expect("reconciles");
    let sweeps = reconciles
        .iter()
        .filter(|line| line["trigger"] == "sweep")
        .count();
    assert_eq!(sweeps, 1, "{swept}");
    assert_eq!(
        reconciles
            .iter()
            .filter(|line| line["ignored"] == "a sweep, already due")
            .count(),
        9,
        "{swept}"
    );
    assert_eq!(reads(), 3, "one sweep for ten schedules");
    tokio::time::advance(Duration::from_secs(30)).await;
    let soon = nacl_drift_guard::lambda::answer(
        &mut guard,
        serde_json::from_str(&schedule()).expect("JSON"),
        &mut |_| {},
    )
    .await
    .expect("an answer");
    assert_eq!(
        soon["ignored"], "a sweep 30s after the last one: at most one per 60s",
        "{soon}"
    );
    assert_eq!(reads(), 3);
}

/// A finding is resolved at the first reconcile that reads its NACL in
/// sync, whoever fixed the drift: here a person, while the brake held the
/// NACL. A NACL the reconcile did not reach keeps its finding open.
#[tokio::test(start_paused = true)]
async fn a_finding_is_resolved_once_its_drift_is_gone_whoever_fixed_it() {
    let other = one_vpc()
        .replace("acl-0db", "acl-1db")
        .replace("vpc-0prod", "vpc-0other");
    let estate = Estate::of(&one_vpc());
    estate.add(&other);
    let hub = MemoryHub::default();
    let (mut guard, ec2) = guard_alerting(&estate, 1, None, hub.clone());
    ec2.add(&other);
    let id = "nacl-drift/111122223333/us-east-1/acl-0db/entry_deleted/ingress/80";
    let reconcile = async |guard: &mut Guard<Memory>, coverage: Coverage| {
        let baselines = guard.baselines().await.expect("baselines");
        let line = guard
            .reconcile(&baselines, coverage, Trigger::Poll, Vec::new())
            .await
            .expect("a line");
        serde_json::from_str::<Value>(&line.json()).expect("JSON")
    };
    // One restore, then the brake holds the NACL: the drift stands, NEW.
    ec2.delete_rule("acl-0db", 80);
    reconcile(&mut guard, Coverage::Everything).await;
    ec2.delete_rule("acl-0db", 80);
    reconcile(&mut guard, Coverage::Everything).await;
    assert_eq!(hub.finding(id).expect("the finding").workflow.status, "NEW");

    // Someone puts the deny back by hand.
    let baseline = baseline_of(&one_vpc());
    let entries = baseline.network_acls[0].entries.clone();
    ec2.edit("acl-0db", |live| *live = entries);
    let elsewhere: BTreeSet<nacl_drift_model::Vpc> = BTreeSet::from([nacl_drift_model::Vpc {
        account: ACCOUNT.parse().expect("account"),
        region: "us-east-1".parse().expect("region"),
        vpc_id: "vpc-0other".parse().expect("vpc"),
    }]);
    let line = reconcile(&mut guard, Coverage::Vpcs(elsewhere)).await;
    assert_eq!(
        hub.finding(id).expect("the finding").workflow.status,
        "NEW",
        "not read by this reconcile: {line}"
    );
    let line = reconcile(&mut guard, Coverage::Everything).await;
    let finding = hub.finding(id).expect("the finding");
    assert_eq!(finding.workflow.status, "RESOLVED", "{line}");
    assert_eq!(finding.compliance.status, "PASSED");
    assert_eq!(line["security_hub"]["resolved"], 1, "{line}");
}

/// The intent of a state that a `terraform apply` holds the lock of until
/// `released_at` (tokio's clock), when the state comes to declare what
/// `after` holds; before that, it declares what `before` holds.
struct ApplyingTerraform {
    before: Estate,
    after: Estate,
    released_at: tokio::time::Instant,
}

impl IntentSource for ApplyingTerraform {
    fn location(&self) -> &std::path::Path {
        self.before.dir()
    }

    fn intent<'a>(&'a self, regions: &'a [nacl_drift_model::Region]) -> IntentRead<'a, Baselines> {
        let now = tokio::time::Instant::now();
        let state = if now < self.released_at {
            &self.before
        } else {
            &self.after
        };
        Box::pin(async move { Baselines::read(state.dir(), None)?.in_regions(regions) })
    }

    fn lock(&self) -> IntentRead<'_, Option<StateLock>> {
        let info = br#"{"Operation":"OperationTypeApply","Who":"alice@build-7","Created":"2026-12-07T10:11:12Z"}"#;
        let held = (tokio::time::Instant::now() < self.released_at).then(|| {
            let state = StateLocation::Local("infra/terraform.tfstate".into());
            StateLock::with_info(state, HeldLock::Local, Some(info))
        });
        Box::pin(async move { Ok(held) })
    }
}

/// A reviewed apply that adds ingress 104: the NACL changes first, the
/// state last. The guard, handed the call's event while the lock is held,
/// waits `release_after`, and returns its answer, the alert, and EC2.
async fn during_an_apply(
    release_after: Duration,
) -> (Value, Vec<nacl_drift_guard::Alert>, InMemoryEc2) {
    const ADDED: &str = "rule_number: 104, direction: ingress, action: allow, protocol: tcp, ports: 8443, cidr: 0.0.0.0/0";
    let allow_all =
        "rule_number: 100, direction: ingress, action: allow, protocol: all, cidr: 0.0.0.0/0";
    let intent = ApplyingTerraform {
        before: Estate::of(&db_tier(&[SSH_DENY, allow_all])),
        after: Estate::of(&db_tier(&[SSH_DENY, allow_all, ADDED])),
        released_at: tokio::time::Instant::now() + release_after,
    };
    let topic = MemoryTopic::default();
    let (mut guard, ec2) = guard_of_intent(
        intent,
        &one_vpc(),
        3,
        Some(topic.clone()),
        MemoryHub::default(),
    );
    let applied = baseline_of(&db_tier(&[ADDED])).network_acls[0]
        .entries
        .clone();
    ec2.edit("acl-0db", |entries| entries.extend(applied));
    let event = entry_call("CreateNetworkAclEntry", "e-tf", "acl-0db", 104, MALLORY);
    let answer = nacl_drift_guard::lambda::answer(
        &mut guard,
        serde_json::from_str(&event).expect("JSON"),
        &mut |_| {},
    )
    .await
    .expect("an answer");
    (answer, topic.published(), ec2)
}

#[tokio::test(start_paused = true)]
async fn a_change_made_while_terraform_holds_the_lock_is_judged_against_the_state_it_leaves() {
    let (answer, alerts, ec2) = during_an_apply(Duration::from_secs(30)).await;
    assert_eq!(answer["in_sync"], true, "{answer}");
    assert!(
        answer["restored"].as_array().expect("calls").is_empty(),
        "{answer}"
    );
    assert_eq!(ec2.entries("acl-0db").len(), 3, "the reviewed apply stands");
    assert_eq!(
        answer["terraform_lock"]["lock"],
        "Terraform's lock on infra/terraform.tfstate (OperationTypeApply by alice@build-7 since 2026-12-07T10:11:12Z)"
    );
    assert_eq!(answer["terraform_lock"]["released"], true);
    assert_eq!(answer["terraform_lock"]["waited_seconds"], 30);
    assert!(alerts.is_empty(), "nothing to alert: in sync");
}

#[tokio::test(start_paused = true)]
async fn a_lock_held_past_the_wait_leaves_the_drift_reported_and_unrestored() {
    let (answer, alerts, ec2) = during_an_apply(nacl_drift_guard::LOCK_WAIT * 2).await;
    assert_eq!(answer["in_sync"], false, "{answer}");
    assert!(
        answer["restored"].as_array().expect("calls").is_empty(),
        "{answer}"
    );
    assert_eq!(ec2.entries("acl-0db").len(), 3, "nothing reverted");
    assert_eq!(answer["terraform_lock"]["released"], false);
    assert_eq!(
        answer["terraform_lock"]["waited_seconds"],
        nacl_drift_guard::LOCK_WAIT.as_secs()
    );
    let alert = alerts.first().expect("the drift is alerted");
    assert!(
        alert.body.contains(
            "What nacl-drift did: restored nothing: Terraform's lock on infra/terraform.tfstate (OperationTypeApply by alice@build-7 since 2026-12-07T10:11:12Z) was still held after 120s; "
        ),
        "{}",
        alert.body
    );
}
