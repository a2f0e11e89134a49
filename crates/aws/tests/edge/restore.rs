//! The calls apply makes, in order, checked on recorded requests: closing
//! before opening, atomic replaces, idempotent retries; and its permission
//! check, which asks with DryRun and never sends the planned calls.

use std::collections::BTreeMap;
use std::path::Path;

use nacl_drift_apply::{Outcome, Pace, Plan, PlanOptions, check_plan_permissions, execute, plan};

/// Four NACLs at once, and no wait for the call budget.
const PACE: Pace = Pace {
    nacls_at_once: 4,
    calls_per_second: 1000,
};
use nacl_drift_aws::Ec2;
use nacl_drift_diff::diff;
use nacl_drift_fixtures::{baseline_of, db_and_default, db_and_default_after_incidents, live_of};
use nacl_drift_model::{Baseline, ObservedAcl, Place};
use nacl_drift_replay::{Recorded, Replay};

fn incident_plan(options: PlanOptions) -> Plan {
    let baseline = baseline_of(&db_and_default());
    let live = live_of(&db_and_default_after_incidents(), Some("us-east-1"));
    let accounts = [baseline.account.clone()].into_iter().collect();
    let report = diff(&accounts, &[("b.yaml".into(), baseline)], &live);
    plan(&report.unassessed_changes(), options)
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
    let result = execute(&plan, &clients(&replay), PACE).await;
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
    let first = plan
        .steps
        .iter()
        .find(|step| step.operation().name() == "CreateNetworkAclEntry")
        .expect("the SSH deny's restore");
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
    let result = execute(&only_first, &clients(&replay), PACE).await;
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
        ok("DeleteNetworkAclEntry"),
        ok("CreateNetworkAclEntry"),
        Recorded::error(
            403,
            "UnauthorizedOperation",
            "You are not authorized to perform this operation.",
        ),
        ok("DeleteTags"),
    ]);
    let result = execute(&plan, &clients(&replay), PACE).await;
    let operations: Vec<&str> = plan.steps.iter().map(|s| s.operation().name()).collect();
    assert_eq!(
        operations,
        [
            // The rogue allow, removed without --prune: that only closes.
            "DeleteNetworkAclEntry",
            "CreateNetworkAclEntry",
            "ReplaceNetworkAclEntry",
            "ReplaceNetworkAclAssociation",
            "CreateNetworkAclEntry",
            "DeleteTags"
        ]
    );
    assert_eq!(result.outcomes[0], Outcome::Done, "throttling is retried");
    assert_eq!(result.outcomes[1], Outcome::Done);
    assert_eq!(
        result.outcomes[2],
        Outcome::Failed("ReplaceNetworkAclEntry failed: UnauthorizedOperation: You are not authorized to perform this operation.".to_owned())
    );
    // The db tier could not be closed: nothing may open it, or move a subnet onto it.
    for index in [3, 4] {
        assert!(
            matches!(result.outcomes[index], Outcome::Skipped(_)),
            "{:?}",
            result.outcomes
        );
    }
    assert_eq!(
        result.outcomes[5],
        Outcome::Done,
        "tags do not open anything"
    );
    assert_eq!(replay.requests().len(), 5);
}

/// `apply --check-permissions`: each kind of call of the plan asked with
/// DryRun, on a NACL the plan changes, with arguments that change nothing
/// (never the plan's own rule numbers); each step gets its call's answer.
#[tokio::test]
async fn a_permission_check_asks_with_dry_run_and_never_sends_the_plan() {
    let plan = incident_plan(PlanOptions::default());
    let live =
        Baseline::from_yaml(Path::new("l.yaml"), &db_and_default_after_incidents()).expect("valid");
    let place = clients(&Replay::default())
        .into_keys()
        .next()
        .expect("a place");
    let observed: Vec<(Place, ObservedAcl)> = live
        .network_acls
        .iter()
        .map(|acl| {
            let observed = ObservedAcl {
                account: live.account.clone(),
                association_ids: [(
                    "aclassoc-0a".parse().expect("id"),
                    "subnet-0dba".parse().expect("id"),
                )]
                .into(),
                vpc_id: live.vpc_id.clone(),
                acl: acl.clone(),
            };
            (place.clone(), observed)
        })
        .collect();
    let permitted = || {
        Recorded::error(
            412,
            "DryRunOperation",
            "Request would have succeeded, but DryRun flag is set.",
        )
    };
    let refused = Recorded::error(
        403,
        "UnauthorizedOperation",
        "You are not authorized to perform this operation.",
    );
    let replay = Replay::new(
        [refused]
            .into_iter()
            .chain(std::iter::repeat_with(permitted).take(6)),
    );
    let result = check_plan_permissions(&plan, &clients(&replay), &observed).await;
    let by_operation: Vec<(&str, &Outcome)> = plan
        .steps
        .iter()
        .map(|step| step.operation().name())
        .zip(&result.outcomes)
        .collect();
    for (operation, outcome) in &by_operation {
        match *operation {
            "ReplaceNetworkAclEntry" => assert!(
                matches!(outcome, Outcome::Failed(why) if why.contains("UnauthorizedOperation")),
                "{by_operation:?}"
            ),
            _ => assert_eq!(**outcome, Outcome::Permitted, "{by_operation:?}"),
        }
    }
    let asked = calls(&replay);
    assert!(
        asked.iter().all(|call| call.ends_with("DryRun=true")),
        "{asked:?}"
    );
    assert!(
        asked.contains(&"DeleteNetworkAclEntry RuleNumber=32766 DryRun=true".to_owned()),
        "a rule number the NACL does not use: {asked:?}"
    );
    assert!(
        asked
            .iter()
            .all(|call| !call.contains("RuleNumber=80") && !call.contains("RuleNumber=200")),
        "never the plan's own calls: {asked:?}"
    );
}
