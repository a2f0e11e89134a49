//! The calls apply makes, in order, checked on recorded requests: closing
//! before opening, atomic replaces, idempotent retries, DryRun checks.

use std::collections::BTreeMap;
use std::path::Path;

use nacl_drift_apply::{Outcome, Pace, Place, Plan, PlanOptions, execute, plan};

/// Four NACLs at once, and no wait for the call budget.
const PACE: Pace = Pace {
    nacls_at_once: 4,
    calls_per_second: 1000,
};
use nacl_drift_aws::Ec2;
use nacl_drift_diff::{LiveAcl, diff};
use nacl_drift_model::{Baseline, ObservedAcl};
use nacl_drift_test_support::{Recorded, Replay};

const BASELINE: &str = r#"schema_version: 1
account: '111122223333'
region: us-east-1
vpc_id: vpc-0prod
scope:
  regions: [us-east-1]
network_acls:
- id: acl-0db
  is_default: false
  tags: {Name: db-tier}
  subnets: [subnet-0dba, subnet-0dbb]
  entries:
  - {rule_number: 80, direction: ingress, action: deny, protocol: tcp, ports: 22, cidr: 0.0.0.0/0}
  - {rule_number: 100, direction: ingress, action: allow, protocol: tcp, ports: 5432, cidr: 10.0.16.0/20}
  - {rule_number: 200, direction: ingress, action: allow, protocol: tcp, ports: 443, cidr: 0.0.0.0/0}
- id: acl-0default
  is_default: true
  tags: {}
  subnets: []
  entries:
  - {rule_number: 100, direction: ingress, action: allow, protocol: all, cidr: 0.0.0.0/0}
"#;

/// The db tier after the incidents: deny 80 deleted, allow 100 widened,
/// allow 200 deleted, a rogue allow added, db-b on the default NACL.
const LIVE: &str = r#"schema_version: 1
account: '111122223333'
region: us-east-1
vpc_id: vpc-0prod
scope:
  regions: [us-east-1]
network_acls:
- id: acl-0db
  is_default: false
  tags: {Name: db-tier, Pwned: 'yes'}
  subnets: [subnet-0dba]
  entries:
  - {rule_number: 50, direction: ingress, action: allow, protocol: all, cidr: 0.0.0.0/0}
  - {rule_number: 100, direction: ingress, action: allow, protocol: tcp, ports: 0-65535, cidr: 0.0.0.0/0}
- id: acl-0default
  is_default: true
  tags: {}
  subnets: [subnet-0dbb]
  entries:
  - {rule_number: 100, direction: ingress, action: allow, protocol: all, cidr: 0.0.0.0/0}
"#;

fn incident_plan(options: PlanOptions) -> Plan {
    let baseline = Baseline::from_yaml(Path::new("b.yaml"), BASELINE).expect("valid");
    let live = Baseline::from_yaml(Path::new("l.yaml"), LIVE).expect("valid");
    let live: Vec<LiveAcl> = live
        .network_acls
        .iter()
        .map(|acl| LiveAcl {
            region: Some("us-east-1".parse().expect("region")),
            observed: ObservedAcl {
                account: live.account.clone(),
                association_ids: Default::default(),
                vpc_id: live.vpc_id.clone(),
                acl: acl.clone(),
            },
        })
        .collect();
    let accounts = [baseline.account.clone()].into_iter().collect();
    plan(
        &diff(&accounts, &[("b.yaml".into(), baseline)], &live),
        options,
    )
}

fn ok(operation: &str) -> Recorded {
    Recorded::ok(format!(
        "<{operation}Response xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\"><requestId>r</requestId><return>true</return></{operation}Response>"
    ))
}

/// DescribeNetworkAcls answering that `subnet` is on `acl` through `association`.
fn association(acl: &str, subnet: &str, association: &str) -> Recorded {
    Recorded::ok(format!(
        "<DescribeNetworkAclsResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\"><requestId>r</requestId>\
         <networkAclSet><item><networkAclId>{acl}</networkAclId><vpcId>vpc-0prod</vpcId><default>true</default>\
         <entrySet/><associationSet><item><networkAclAssociationId>{association}</networkAclAssociationId>\
         <networkAclId>{acl}</networkAclId><subnetId>{subnet}</subnetId></item></associationSet>\
         <tagSet/><ownerId>111122223333</ownerId></item></networkAclSet></DescribeNetworkAclsResponse>"
    ))
}

fn replaced_association() -> Recorded {
    Recorded::ok(
        "<ReplaceNetworkAclAssociationResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\"><requestId>r</requestId>\
         <newAssociationId>aclassoc-0new</newAssociationId></ReplaceNetworkAclAssociationResponse>",
    )
}

/// The action and the parameters that tell calls apart, of each request.
fn calls(replay: &Replay) -> Vec<String> {
    replay
        .requests()
        .iter()
        .map(|body| {
            let field = |name: &str| {
                body.split('&')
                    .find_map(|pair| pair.strip_prefix(&format!("{name}=")))
                    .map(|value| format!(" {name}={value}"))
                    .unwrap_or_default()
            };
            format!(
                "{}{}{}{}{}{}{}",
                field("Action").trim_start().trim_start_matches("Action="),
                field("RuleNumber"),
                field("RuleAction"),
                field("CidrBlock").replace("%2F", "/"),
                field("AssociationId"),
                field("Filter.1.Value.1"),
                field("DryRun"),
            )
        })
        .collect()
}

fn clients(replay: &Replay) -> BTreeMap<Place, Ec2> {
    let place = Place {
        account: "111122223333".parse().expect("account"),
        region: "us-east-1".parse().expect("region"),
    };
    BTreeMap::from([(place, Ec2::new(replay.client()))])
}

#[tokio::test]
async fn closes_before_it_opens_and_replaces_atomically() {
    let plan = incident_plan(PlanOptions {
        prune: true,
        recreate_missing: false,
    });
    let replay = Replay::new([
        ok("DeleteNetworkAclEntry"),
        ok("CreateNetworkAclEntry"),
        ok("ReplaceNetworkAclEntry"),
        association("acl-0default", "subnet-0dbb", "aclassoc-0b"),
        replaced_association(),
        ok("CreateNetworkAclEntry"),
        ok("DeleteTags"),
    ]);
    let result = execute(&plan, &clients(&replay), false, PACE).await;
    assert!(
        result.outcomes.iter().all(|o| *o == Outcome::Done),
        "{:?}",
        result.outcomes
    );
    assert_eq!(
        calls(&replay),
        [
            // Closing, by rule number: the rogue allow gone, the SSH deny
            // back, the widened allow narrowed again (atomically).
            "DeleteNetworkAclEntry RuleNumber=50",
            "CreateNetworkAclEntry RuleNumber=80 RuleAction=deny CidrBlock=0.0.0.0/0",
            "ReplaceNetworkAclEntry RuleNumber=100 RuleAction=allow CidrBlock=10.0.16.0/20",
            // Then the subnet, onto the NACL that is closed again.
            "DescribeNetworkAcls Filter.1.Value.1=subnet-0dbb",
            "ReplaceNetworkAclAssociation AssociationId=aclassoc-0b",
            // Opening, once every NACL is closed.
            "CreateNetworkAclEntry RuleNumber=200 RuleAction=allow CidrBlock=0.0.0.0/0",
            "DeleteTags",
        ]
    );
    assert_eq!(replay.remaining(), 0);
}

#[tokio::test]
async fn an_entry_already_restored_counts_as_done() {
    let plan = incident_plan(PlanOptions::default());
    let first = &plan.steps[0];
    assert_eq!(first.operation().name(), "CreateNetworkAclEntry");
    let already = Recorded::ok(
        "<DescribeNetworkAclsResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\"><requestId>r</requestId>\
         <networkAclSet><item><networkAclId>acl-0db</networkAclId><vpcId>vpc-0prod</vpcId><default>false</default>\
         <entrySet><item><ruleNumber>80</ruleNumber><protocol>6</protocol><ruleAction>deny</ruleAction>\
         <egress>false</egress><cidrBlock>0.0.0.0/0</cidrBlock><portRange><from>22</from><to>22</to></portRange>\
         </item></entrySet><associationSet/><tagSet/><ownerId>111122223333</ownerId></item></networkAclSet>\
         </DescribeNetworkAclsResponse>",
    );
    let only_first = Plan {
        steps: vec![first.clone()],
        untouched: Vec::new(),
    };
    let replay = Replay::new([
        Recorded::error(
            400,
            "NetworkAclEntryAlreadyExists",
            "The network acl entry identified by 80 already exists.",
        ),
        already,
    ]);
    let result = execute(&only_first, &clients(&replay), false, PACE).await;
    assert_eq!(
        result.outcomes,
        [Outcome::AlreadyDone(
            "the entry was already there".to_owned()
        )]
    );
}

#[tokio::test]
async fn throttling_is_retried_and_failures_are_reported_while_other_calls_run() {
    let plan = incident_plan(PlanOptions::default());
    let replay = Replay::new([
        Recorded::error(503, "RequestLimitExceeded", "Request limit exceeded."),
        ok("CreateNetworkAclEntry"),
        Recorded::error(
            403,
            "UnauthorizedOperation",
            "You are not authorized to perform this operation.",
        ),
        association("acl-0default", "subnet-0dbb", "aclassoc-0b"),
        replaced_association(),
        ok("CreateNetworkAclEntry"),
        ok("DeleteTags"),
    ]);
    let result = execute(&plan, &clients(&replay), false, PACE).await;
    let operations: Vec<&str> = plan.steps.iter().map(|s| s.operation().name()).collect();
    assert_eq!(
        operations,
        [
            "CreateNetworkAclEntry",
            "ReplaceNetworkAclEntry",
            "ReplaceNetworkAclAssociation",
            "CreateNetworkAclEntry",
            "DeleteTags"
        ]
    );
    assert_eq!(result.outcomes[0], Outcome::Done, "throttling is retried");
    assert_eq!(
        result.outcomes[1],
        Outcome::Failed("ReplaceNetworkAclEntry failed: UnauthorizedOperation: You are not authorized to perform this operation.".to_owned())
    );
    // The db tier could not be closed: nothing may open it, or move a subnet onto it.
    assert!(
        matches!(result.outcomes[2], Outcome::Skipped(_)),
        "{:?}",
        result.outcomes
    );
    assert!(
        matches!(result.outcomes[3], Outcome::Skipped(_)),
        "{:?}",
        result.outcomes
    );
    assert_eq!(
        result.outcomes[4],
        Outcome::Done,
        "tags do not open anything"
    );
    assert_eq!(replay.requests().len(), 4);
}

#[tokio::test]
async fn check_permissions_uses_dry_run_and_reports_each_call() {
    let plan = incident_plan(PlanOptions::default());
    let dry_run_ok = || {
        Recorded::error(
            412,
            "DryRunOperation",
            "Request would have succeeded, but DryRun flag is set.",
        )
    };
    let replay = Replay::new([
        dry_run_ok(),
        Recorded::error(
            403,
            "UnauthorizedOperation",
            "You are not authorized to perform this operation.",
        ),
        association("acl-0default", "subnet-0dbb", "aclassoc-0b"),
        dry_run_ok(),
        dry_run_ok(),
        dry_run_ok(),
    ]);
    let result = execute(&plan, &clients(&replay), true, PACE).await;
    assert_eq!(result.outcomes[0], Outcome::Permitted);
    assert!(
        matches!(&result.outcomes[1], Outcome::Failed(why) if why.contains("UnauthorizedOperation"))
    );
    assert_eq!(
        result.outcomes[2],
        Outcome::Permitted,
        "checked even after a denial: nothing was changed"
    );
    assert_eq!(result.outcomes[3], Outcome::Permitted);
    assert_eq!(result.outcomes[4], Outcome::Permitted);
    assert!(
        calls(&replay)
            .iter()
            .filter(|c| !c.starts_with("DescribeNetworkAcls"))
            .all(|c| c.ends_with("DryRun=true"))
    );
}

#[tokio::test]
async fn an_endpoint_that_ignores_dry_run_is_reported() {
    let plan = incident_plan(PlanOptions::default());
    let only_first = Plan {
        steps: vec![plan.steps[0].clone()],
        untouched: Vec::new(),
    };
    let replay = Replay::new([ok("CreateNetworkAclEntry")]);
    let result = execute(&only_first, &clients(&replay), true, PACE).await;
    assert!(matches!(&result.outcomes[0], Outcome::Failed(why) if why.contains("ignored DryRun")));
}
