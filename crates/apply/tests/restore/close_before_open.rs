//! The order of a restore's calls, on the in-memory EC2: everything that
//! closes (by rule number) before anything that opens, a changed entry
//! replaced in one call, and the restore leaves the NACL as its baseline.
//! (The AWS edge's tests check the same plan's requests on the wire.)

use std::collections::BTreeSet;
use std::path::Path;

use nacl_drift_apply::{Outcome, Pace, PlanOptions, Stage, execute, plan};
use nacl_drift_diff::diff;
use nacl_drift_fixtures::{InMemoryEc2, SSH_DENY, db_tier};
use nacl_drift_model::Baseline;

const POSTGRES: &str = "rule_number: 100, direction: ingress, action: allow, protocol: tcp, ports: 5432, cidr: 10.0.16.0/20";
const HTTPS: &str = "rule_number: 200, direction: ingress, action: allow, protocol: tcp, ports: 443, cidr: 0.0.0.0/0";

#[tokio::test]
async fn closes_everything_before_it_opens_anything() {
    // The db tier: SSH denied, Postgres from the app tier, HTTPS.
    let yaml = db_tier(&[SSH_DENY, POSTGRES, HTTPS]);
    let baseline = Baseline::from_yaml(Path::new("db.yaml"), &yaml).expect("valid");
    // After the incidents: the SSH deny deleted, Postgres widened to the
    // internet, HTTPS deleted, a rogue allow of everything added.
    let ec2 = InMemoryEc2::of(&db_tier(&[
        "rule_number: 50, direction: ingress, action: allow, protocol: all, cidr: 0.0.0.0/0",
        &POSTGRES.replace("10.0.16.0/20", "0.0.0.0/0"),
    ]));
    let accounts = BTreeSet::from([baseline.account.clone()]);
    let report = diff(
        &accounts,
        &[("db.yaml".into(), baseline.clone())],
        &ec2.live(),
    );
    let plan = plan(&report.unassessed_changes(), PlanOptions::default());
    let stages: Vec<Stage> = plan.steps.iter().map(|step| step.stage).collect();
    assert_eq!(
        stages,
        [Stage::Close, Stage::Close, Stage::Close, Stage::Open]
    );

    let result = execute(&plan, &ec2.clients(), Pace::default()).await;
    assert!(
        result
            .outcomes
            .iter()
            .all(|outcome| *outcome == Outcome::Done)
    );
    assert_eq!(
        ec2.calls(),
        [
            // Closing, by rule number: the rogue allow gone, the SSH deny
            // back, Postgres narrowed again in one call.
            "DeleteNetworkAclEntry 50",
            "CreateNetworkAclEntry 80",
            "ReplaceNetworkAclEntry 100",
            // Opening, once everything is closed.
            "CreateNetworkAclEntry 200",
        ]
    );
    assert_eq!(ec2.entries("acl-0db"), baseline.network_acls[0].entries);
}
