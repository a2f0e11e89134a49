//! The order of a restore's calls, on the in-memory EC2: everything that
//! closes (by rule number) before anything that opens, a changed entry
//! replaced in one call, and the restore leaves the NACL as its baseline.
//! (The AWS edge's tests check the same plan's requests on the wire.)

use std::collections::BTreeSet;
use std::path::Path;

use nacl_drift_apply::{Outcome, Pace, PlanOptions, Stage, execute, plan};
use nacl_drift_diff::{Verdicts, diff};
use nacl_drift_fixtures::InMemoryEc2;
use nacl_drift_model::Baseline;

/// The db tier: deny SSH (80), Postgres from the app tier (100), HTTPS
/// (200).
const DB_TIER: &str = "schema_version: 1
account: '111122223333'
region: us-east-1
vpc_id: vpc-0prod
scope: {regions: [us-east-1]}
network_acls:
- id: acl-0db
  is_default: false
  entries:
  - {rule_number: 80, direction: ingress, action: deny, protocol: tcp, ports: 22, cidr: 0.0.0.0/0}
  - {rule_number: 100, direction: ingress, action: allow, protocol: tcp, ports: 5432, cidr: 10.0.16.0/20}
  - {rule_number: 200, direction: ingress, action: allow, protocol: tcp, ports: 443, cidr: 0.0.0.0/0}
";

/// The db tier after the incidents: the SSH deny deleted, Postgres widened
/// to the internet, HTTPS deleted, a rogue allow of everything added.
const INCIDENT: &str = "schema_version: 1
account: '111122223333'
region: us-east-1
vpc_id: vpc-0prod
scope: {regions: [us-east-1]}
network_acls:
- id: acl-0db
  is_default: false
  entries:
  - {rule_number: 50, direction: ingress, action: allow, protocol: all, cidr: 0.0.0.0/0}
  - {rule_number: 100, direction: ingress, action: allow, protocol: tcp, ports: 5432, cidr: 0.0.0.0/0}
";

#[tokio::test]
async fn closes_everything_before_it_opens_anything() {
    let baseline = Baseline::from_yaml(Path::new("db.yaml"), DB_TIER).expect("valid");
    let ec2 = InMemoryEc2::of(INCIDENT);
    let accounts = BTreeSet::from([baseline.account.clone()]);
    let report = diff(
        &accounts,
        &[("db.yaml".into(), baseline.clone())],
        &ec2.live(),
    );
    let plan = plan(&report, &Verdicts::none(&report), PlanOptions::default());
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
