//! The reconcile core end to end on an in-memory EC2, the way an unattended
//! front-end drives it: compare, plan, restore, and verify with a fresh read;
//! the assets a comparison finds behind its effects, against a brute-force
//! reference ([`exposure`]); and every kind of drift as the documented JSON
//! has it ([`drift_kinds`]); an incident's timeline, replayed from a trail
//! and checked against a fresh read.

#[path = "in_memory/drift_kinds.rs"]
mod drift_kinds;
#[path = "in_memory/exposure.rs"]
mod exposure;

use std::collections::BTreeMap;
use std::path::Path;

use nacl_drift_apply::Outcome;
use nacl_drift_config::{Config, today};
use nacl_drift_fixtures::{Estate, InMemoryEc2, one_vpc};
use nacl_drift_reconcile::{Baselines, Enrichers, Policy, reconcile, timeline};

/// The baseline on disk, and an EC2 where someone deleted the SSH deny.
fn incident() -> (Estate, Baselines, InMemoryEc2) {
    let estate = Estate::of(&one_vpc());
    let cloud = InMemoryEc2::of(&one_vpc());
    cloud.delete_rule("acl-0db", 80);
    let baselines = Baselines::read(estate.dir(), None).expect("baselines");
    (estate, baselines, cloud)
}

#[tokio::test]
async fn a_restoring_policy_closes_the_exposure_and_verifies_it() {
    let (_dir, baselines, cloud) = incident();
    let policy = Policy {
        restore: true,
        ..Policy::default()
    };
    let reconciled = reconcile(
        baselines,
        cloud.clone(),
        &cloud.clients(),
        policy,
        &Enrichers::judging(&Config::none(), today()),
    )
    .await
    .expect("reconciles");
    assert!(!reconciled.before.in_sync());
    assert_eq!(reconciled.plan.steps.len(), 1);
    let closed = reconciled.closed(1_796_560_000);
    assert_eq!(closed.len(), 1, "the window it closed: {closed:?}");
    assert_eq!(closed[0].change.position(), "ingress 80");
    let restored = reconciled.restored.expect("a restore");
    assert_eq!(restored.executed.outcomes, [Outcome::Done]);
    assert!(restored.recreated.is_empty());
    let after = reconciled.after.expect("a verification");
    assert!(after.in_sync(), "{:?}", after.changes);
    assert_eq!(cloud.entries("acl-0db").len(), 2);
}

/// The in-memory EC2, whose reads after the first cannot read its
/// account-region (throttled, say).
#[derive(Clone)]
struct OnlyFirstReadAnswers {
    cloud: InMemoryEc2,
    reads: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl nacl_drift_reconcile::LiveSource for OnlyFirstReadAnswers {
    async fn accounts(
        &self,
        region: &nacl_drift_model::Region,
    ) -> Result<
        std::collections::BTreeSet<nacl_drift_model::AccountId>,
        nacl_drift_reconcile::SourceError,
    > {
        self.cloud.accounts(region).await
    }

    async fn read(
        self,
        scope: nacl_drift_reconcile::ReadScope,
    ) -> Result<nacl_drift_reconcile::LiveRead, nacl_drift_reconcile::SourceError> {
        if self.reads.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0 {
            return self.cloud.read(scope).await;
        }
        let live = self.cloud.live();
        let observed = &live[0].observed;
        Ok(nacl_drift_reconcile::LiveRead {
            acls: Vec::new(),
            errors: vec![nacl_drift_model::ReadError {
                account: observed.account.clone(),
                region: live[0].region.clone().expect("a region"),
                operation: "DescribeNetworkAcls".to_owned(),
                code: Some("Throttling".to_owned()),
                message: "Rate exceeded".to_owned(),
            }],
        })
    }
}

#[tokio::test]
async fn a_restore_whose_verification_could_not_read_closes_no_window() {
    let (_dir, baselines, cloud) = incident();
    let source = OnlyFirstReadAnswers {
        cloud: cloud.clone(),
        reads: Default::default(),
    };
    let policy = Policy {
        restore: true,
        ..Policy::default()
    };
    let config = Config::none();
    let with = Enrichers::judging(&config, today());
    let reconciled = reconcile(baselines, source, &cloud.clients(), policy, &with)
        .await
        .expect("reconciles");
    let after = reconciled.after.as_ref().expect("a verification");
    assert!(!after.errors.is_empty(), "the fresh read failed");
    assert_eq!(
        reconciled.closed(1_796_560_000),
        [],
        "gone from a read that could not read it is unknown, never closed"
    );
}

#[tokio::test]
async fn a_reporting_policy_changes_nothing() {
    let (_dir, baselines, cloud) = incident();
    let reconciled = reconcile(
        baselines,
        cloud.clone(),
        &cloud.clients(),
        Policy::default(),
        &Enrichers::judging(&Config::none(), today()),
    )
    .await
    .expect("reconciles");
    assert_eq!(reconciled.plan.steps.len(), 1, "the plan is there to show");
    assert!(reconciled.restored.is_none() && reconciled.after.is_none());
    assert_eq!(cloud.entries("acl-0db").len(), 1, "nothing was called");
}

/// A restoring policy with a config that marks the NACL monitor-only, or
/// accepts the deleted deny (until `expires`).
async fn restore_under(config: &str) -> (nacl_drift_reconcile::Reconciled, InMemoryEc2) {
    let (_dir, baselines, cloud) = incident();
    let config = Config::parse(Path::new("nacl-drift.toml"), config).expect("a valid config");
    let policy = Policy {
        restore: true,
        ..Policy::default()
    };
    let with = Enrichers::judging(&config, today());
    let reconciled = reconcile(baselines, cloud.clone(), &cloud.clients(), policy, &with)
        .await
        .expect("reconciles");
    (reconciled, cloud)
}

#[tokio::test]
async fn a_monitor_only_nacl_is_reported_and_never_changed() {
    let (reconciled, cloud) = restore_under(
        "[[monitor_only]]\nnetwork_acl = \"acl-0d*\"\nreason = \"Managed by Firewall Manager\"\n",
    )
    .await;
    let verdict = &reconciled.before.changes.first().expect("a change").verdict;
    assert_eq!(
        verdict.monitor_only.as_deref(),
        Some("Managed by Firewall Manager")
    );
    assert!(reconciled.plan.is_empty() && reconciled.restored.is_none());
    assert_eq!(reconciled.plan.untouched.len(), 1);
    assert_eq!(cloud.entries("acl-0db").len(), 1, "nothing was called");
}

#[tokio::test]
async fn a_nacl_the_brake_holds_is_reported_as_held_not_as_monitor_only() {
    let (_dir, baselines, cloud) = incident();
    let reason = "flapping: restored 3 times in 600s".to_owned();
    let policy = Policy {
        restore: true,
        ..Policy::default()
    };
    let held = BTreeMap::from([("acl-0db".parse().expect("id"), reason.clone())]);
    let config = Config::parse(Path::new("nacl-drift.toml"), "").expect("a valid config");
    let with = Enrichers {
        held: &held,
        ..Enrichers::judging(&config, today())
    };
    let reconciled = reconcile(baselines, cloud.clone(), &cloud.clients(), policy, &with)
        .await
        .expect("reconciles");
    let verdict = &reconciled.before.changes.first().expect("a change").verdict;
    assert_eq!(verdict.held.as_deref(), Some(reason.as_str()));
    assert_eq!(verdict.monitor_only, None, "the config says nothing of it");
    assert_eq!(
        reconciled.plan.untouched[0].why,
        "the flapping brake holds this NACL"
    );
    assert!(reconciled.restored.is_none());
    assert_eq!(cloud.entries("acl-0db").len(), 1, "nothing was called");
}

#[tokio::test]
async fn accepted_drift_is_never_restored_until_the_acceptance_expires() {
    let accept = |expires: &str| {
        format!(
            "[[accept]]\nnetwork_acl = \"acl-0db\"\nkind = \"entry_deleted\"\nrule_number = 80\nreason = \"Bastion migration\"\nexpires = {expires}\n"
        )
    };
    let (reconciled, cloud) = restore_under(&accept("2999-12-31")).await;
    assert_eq!(
        reconciled.before.severity(),
        None,
        "accepted drift rates nothing"
    );
    assert!(reconciled.plan.is_empty());
    assert_eq!(cloud.entries("acl-0db").len(), 1, "nothing was called");

    let (reconciled, cloud) = restore_under(&accept("2020-01-31")).await;
    let verdict = &reconciled.before.changes.first().expect("a change").verdict;
    assert!(verdict.accepted.is_none());
    assert_eq!(reconciled.plan.steps.len(), 1, "expired: restored again");
    assert_eq!(cloud.entries("acl-0db").len(), 2);
}

/// The CloudTrail log of one incident, as an event source: the SSH deny
/// deleted at 10:00, and made again ten minutes later, unless `restored`
/// is false.
struct Trail {
    restored: bool,
}

impl nacl_drift_attribution::EventSource for Trail {
    fn events<'a>(
        &'a self,
        _regions: &'a std::collections::BTreeSet<nacl_drift_model::Region>,
        _names: &'a std::collections::BTreeSet<nacl_drift_model::Operation>,
        since: i64,
    ) -> nacl_drift_attribution::Finding<'a> {
        const T0: u64 = 1_796_551_200;
        let key = serde_json::json!({"networkAclId": "acl-0db", "ruleNumber": 80, "egress": false});
        let mut made = key.clone();
        made.as_object_mut().expect("an object").extend([
            ("ruleAction".to_owned(), "deny".into()),
            ("aclProtocol".to_owned(), "6".into()),
            ("cidrBlock".to_owned(), "0.0.0.0/0".into()),
            (
                "portRange".to_owned(),
                serde_json::json!({"from": 22, "to": 22}),
            ),
        ]);
        let mut records = vec![nacl_drift_fixtures::cloudtrail_record(
            "DeleteNetworkAclEntry",
            T0,
            "arn:aws:iam::111122223333:user/mallory",
            key,
        )];
        if self.restored {
            records.push(nacl_drift_fixtures::cloudtrail_record(
                "CreateNetworkAclEntry",
                T0 + 600,
                "arn:aws:iam::111122223333:user/responder",
                made,
            ));
        }
        let events = records
            .into_iter()
            .map(|record| {
                serde_json::from_value::<nacl_drift_attribution::Record>(record)
                    .expect("a record")
                    .into_event()
                    .expect("readable")
                    .expect("a NACL event")
            })
            .filter(|event| event.time >= since)
            .collect();
        Box::pin(async move {
            Ok(nacl_drift_attribution::FoundEvents {
                events,
                interfaces: None,
                skipped: Vec::new(),
            })
        })
    }
}

#[tokio::test]
async fn the_timeline_replays_the_trail_and_says_where_it_does_not_end_in_live_state() {
    let estate = Estate::of(&one_vpc());
    // Live, the deny is back: the trail that has the restore ends there.
    let cloud = InMemoryEc2::of(&one_vpc());
    let read = || Baselines::read(estate.dir(), None).expect("baselines");
    let period =
        nacl_drift_reconcile::Period::of(1_796_550_000, None, 1_796_560_000).expect("a period");
    let replayed = timeline(
        read(),
        cloud.clone(),
        &Trail { restored: true },
        period,
        None,
    )
    .await
    .expect("replays");
    let [window] = replayed.timeline.windows.as_slice() else {
        panic!("one window: {:?}", replayed.timeline.windows);
    };
    let closed = window.closed.as_ref().expect("closed by the restore");
    assert_eq!(
        closed.by.principal_arn.as_deref(),
        Some("arn:aws:iam::111122223333:user/responder")
    );
    assert_eq!(window.duration(closed.at), 600);
    assert!(
        replayed.differences.is_empty(),
        "{:?}",
        replayed.differences
    );

    // A trail without the restore does not end in the live state: it says
    // which NACL differs, and how.
    let replayed = timeline(read(), cloud, &Trail { restored: false }, period, None)
        .await
        .expect("replays");
    assert_eq!(replayed.timeline.windows[0].closed, None);
    let positions: Vec<String> = replayed
        .differences
        .iter()
        .map(|change| format!("{} {}", change.network_acl_id, change.position()))
        .collect();
    assert_eq!(positions, ["acl-0db ingress 80"]);

    // --until before the deletion: its window is not reported, though the
    // calls after it are replayed (the replay still ends in live state).
    let before =
        nacl_drift_reconcile::Period::of(1_796_550_000, Some(1_796_551_199), 1_796_560_000)
            .expect("a period");
    let replayed = timeline(
        read(),
        InMemoryEc2::of(&one_vpc()),
        &Trail { restored: true },
        before,
        None,
    )
    .await
    .expect("replays");
    assert!(
        replayed.timeline.windows.is_empty(),
        "{:?}",
        replayed.timeline.windows
    );
    assert!(
        replayed.differences.is_empty(),
        "{:?}",
        replayed.differences
    );
    let backwards =
        nacl_drift_reconcile::Period::of(1_796_550_000, Some(1_796_549_999), 1_796_560_000)
            .expect_err("refused");
    assert_eq!(
        backwards.to_string(),
        "--until 2026-12-06T09:39:59Z is before --since 2026-12-06T09:40:00Z: nothing can open in that period"
    );
}
