//! `check_restore_permissions` on recorded EC2 answers: every call asked
//! with DryRun, each answer read; an endpoint that ignores DryRun is told
//! apart, and is never asked to create a NACL.

use std::path::Path;

use nacl_drift_apply::{Permission, check_restore_permissions};
use nacl_drift_aws::Ec2;
use nacl_drift_fixtures::db_deny_only;
use nacl_drift_model::{Baseline, ObservedAcl, Operation};
use nacl_drift_replay::{Recorded, Replay};

fn observed() -> ObservedAcl {
    let live = Baseline::from_yaml(Path::new("l.yaml"), &db_deny_only()).expect("valid");
    ObservedAcl {
        account: live.account.clone(),
        vpc_id: live.vpc_id.clone(),
        acl: live.network_acls[0].clone(),
        association_ids: [(
            "aclassoc-0a".parse().expect("id"),
            "subnet-0dba".parse().expect("id"),
        )]
        .into_iter()
        .collect(),
    }
}

fn dry_run_ok() -> Recorded {
    Recorded::error(
        412,
        "DryRunOperation",
        "Request would have succeeded, but DryRun flag is set.",
    )
}

fn ok(operation: &str) -> Recorded {
    Recorded::ok(format!(
        "<{operation}Response xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\"><requestId>r</requestId><return>true</return></{operation}Response>"
    ))
}

#[tokio::test]
async fn every_restore_call_is_asked_with_dry_run() {
    let replay = Replay::new([
        dry_run_ok(),
        Recorded::error(
            403,
            "UnauthorizedOperation",
            "You are not authorized to perform this operation.",
        ),
        dry_run_ok(),
        dry_run_ok(),
        dry_run_ok(),
        dry_run_ok(),
        dry_run_ok(),
    ]);
    let answers = check_restore_permissions(&Ec2::new(replay.client()), &observed()).await;
    let operations: Vec<Operation> = answers.iter().map(|(op, _)| *op).collect();
    assert_eq!(
        operations,
        [
            Operation::ReplaceNetworkAclEntry,
            Operation::CreateNetworkAclEntry,
            Operation::DeleteNetworkAclEntry,
            Operation::ReplaceNetworkAclAssociation,
            Operation::CreateTags,
            Operation::DeleteTags,
            Operation::CreateNetworkAcl,
        ]
    );
    for (operation, permission) in &answers {
        match operation {
            Operation::CreateNetworkAclEntry => assert!(
                matches!(permission, Permission::Refused(why) if why.contains("UnauthorizedOperation")),
                "{permission:?}"
            ),
            _ => assert_eq!(*permission, Permission::Permitted, "{operation}"),
        }
    }
    let requests = replay.requests();
    assert_eq!(requests.len(), 7);
    assert!(requests.iter().all(|body| body.contains("DryRun=true")));
    assert!(
        requests[2].contains("RuleNumber=32766"),
        "a rule number the NACL does not use: {}",
        requests[2]
    );
    assert!(
        requests[3].contains("AssociationId=aclassoc-0a") && requests[3].contains("acl-0db"),
        "the subnet onto the NACL it is on: {}",
        requests[3]
    );
}

#[tokio::test]
async fn an_endpoint_that_ignores_dry_run_is_never_asked_to_create_a_nacl() {
    let replay = Replay::new([
        ok("ReplaceNetworkAclEntry"),
        Recorded::error(
            400,
            "NetworkAclEntryAlreadyExists",
            "The network acl entry identified by 80 already exists.",
        ),
        Recorded::error(400, "InvalidParameterValue", "an emulator's answer"),
        Recorded::ok(
            "<ReplaceNetworkAclAssociationResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\"><requestId>r</requestId>\
             <newAssociationId>aclassoc-0b</newAssociationId></ReplaceNetworkAclAssociationResponse>",
        ),
        ok("CreateTags"),
        ok("DeleteTags"),
    ]);
    let answers = check_restore_permissions(&Ec2::new(replay.client()), &observed()).await;
    for (operation, permission) in &answers[..6] {
        assert_eq!(*permission, Permission::DryRunIgnored, "{operation}");
    }
    assert!(matches!(
        answers[6],
        (Operation::CreateNetworkAcl, Permission::NotAsked(_))
    ));
    assert_eq!(replay.requests().len(), 6);
}
