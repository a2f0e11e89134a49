//! Tests of events delivered to the guard.

use serde_json::json;

use nacl_drift_attribution::*;
use nacl_drift_model::{AccountId, NetworkAclId, VpcId};
use serde_json::Value;

fn cloudtrail(detail: Value) -> String {
    json!({
        "version": "0",
        "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
        "detail-type": "AWS API Call via CloudTrail",
        "source": "aws.ec2",
        "account": "123456789012",
        "time": "2026-11-30T08:00:00Z",
        "region": "us-east-1",
        "resources": [],
        "detail": detail,
    })
    .to_string()
}

fn change(text: &str) -> NaclEvent {
    match read_delivery(text).expect("readable") {
        Delivery::Change(event) => *event,
        other => panic!("not a change: {other:?}"),
    }
}

#[test]
fn a_deleted_entry_targets_its_nacl_in_the_envelopes_account() {
    let event = change(&cloudtrail(json!({
        "eventVersion": "1.09",
        "eventSource": "ec2.amazonaws.com",
        "eventName": "DeleteNetworkAclEntry",
        "eventTime": "2026-11-30T07:59:58Z",
        "eventID": "e1",
        "awsRegion": "us-east-1",
        "sourceIPAddress": "198.51.100.7",
        "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::123456789012:user/mallory"},
        "requestParameters": {"networkAclId": "acl-0123456789abcdef0", "ruleNumber": 80, "egress": false},
        "responseElements": {"_return": true},
    })));
    let target = event.target();
    assert_eq!(
        target.account,
        Some(AccountId::parse("123456789012").expect("id"))
    );
    assert_eq!(target.region.as_str(), "us-east-1");
    let ids: Vec<&str> = target
        .network_acl_ids
        .iter()
        .map(NetworkAclId::as_str)
        .collect();
    assert_eq!(ids, ["acl-0123456789abcdef0"]);
    assert_eq!(target.vpc_id, None);
    let who = event.attribution();
    assert_eq!(
        who.principal_arn.as_deref(),
        Some("arn:aws:iam::123456789012:user/mallory")
    );
    assert_eq!(who.source_ip.as_deref(), Some("198.51.100.7"));
}

#[test]
fn a_created_nacl_targets_its_vpc_and_tags_their_nacls() {
    let created = change(&cloudtrail(json!({
        "eventSource": "ec2.amazonaws.com",
        "eventName": "CreateNetworkAcl",
        "eventTime": "2026-11-30T07:59:58Z",
        "eventID": "e2",
        "requestParameters": {"vpcId": "vpc-0123456789abcdef0"},
        "responseElements": {"networkAcl": {"networkAclId": "acl-0fedcba9876543210", "vpcId": "vpc-0123456789abcdef0"}},
    })));
    let target = created.target();
    assert_eq!(
        target.vpc_id.as_ref().map(VpcId::as_str),
        Some("vpc-0123456789abcdef0")
    );
    assert_eq!(
        target.region.as_str(),
        "us-east-1",
        "from the envelope when the record has no awsRegion"
    );
    let tagged = change(&cloudtrail(json!({
        "eventSource": "ec2.amazonaws.com",
        "eventName": "CreateTags",
        "eventTime": "2026-11-30T07:59:58Z",
        "eventID": "e3",
        "awsRegion": "us-east-1",
        "requestParameters": {"resourcesSet": {"items": [
            {"resourceId": "i-0123456789abcdef0"},
            {"resourceId": "acl-0123456789abcdef0"}
        ]}, "tagSet": {"items": [{"key": "Owner", "value": "x"}]}},
    })));
    assert_eq!(tagged.network_acl_ids().len(), 1);
}

#[test]
fn failed_calls_other_calls_and_other_resources_are_ignored() {
    let ignored = |detail: Value| match read_delivery(&cloudtrail(detail)).expect("readable") {
        Delivery::Ignored(why) => why,
        other => panic!("acted on: {other:?}"),
    };
    let failed = ignored(json!({
        "eventSource": "ec2.amazonaws.com", "eventName": "DeleteNetworkAclEntry",
        "eventTime": "2026-11-30T07:59:58Z", "eventID": "e4", "awsRegion": "us-east-1",
        "errorCode": "Client.UnauthorizedOperation",
        "requestParameters": {"networkAclId": "acl-0123456789abcdef0", "ruleNumber": 80, "egress": false},
    }));
    assert_eq!(
        failed,
        "DeleteNetworkAclEntry failed (Client.UnauthorizedOperation)"
    );
    let other = ignored(json!({
        "eventSource": "ec2.amazonaws.com", "eventName": "RunInstances",
        "eventTime": "2026-11-30T07:59:58Z", "eventID": "e5", "awsRegion": "us-east-1",
    }));
    assert_eq!(other, "RunInstances is not a NACL call");
    let tags = ignored(json!({
        "eventSource": "ec2.amazonaws.com", "eventName": "CreateTags",
        "eventTime": "2026-11-30T07:59:58Z", "eventID": "e6", "awsRegion": "us-east-1",
        "requestParameters": {"resourcesSet": {"items": [{"resourceId": "sg-0123456789abcdef0"}]}},
    }));
    assert_eq!(tags, "CreateTags on no network ACL");
}

#[test]
fn a_schedule_sweeps_and_bad_bodies_are_errors() {
    let tick = json!({"detail-type": "Scheduled Event", "source": "aws.events", "detail": {}});
    assert!(matches!(
        read_delivery(&tick.to_string()),
        Ok(Delivery::Schedule)
    ));
    let forged = json!({"detail-type": "Scheduled Event", "source": "mallory", "detail": {}});
    assert!(matches!(
        read_delivery(&forged.to_string()),
        Ok(Delivery::Ignored(why)) if why == "a `Scheduled Event` event of source `mallory`, not aws.events"
    ));
    let huge = format!("{{\"detail-type\": \"{}\"}}", "x".repeat(MAX_EVENT_BYTES));
    assert!(matches!(
        read_delivery(&huge),
        Err(DeliveryError::TooLarge(_))
    ));
    assert!(matches!(
        read_delivery("not json"),
        Err(DeliveryError::NotJson(_))
    ));
    let bad_id = cloudtrail(json!({
        "eventSource": "ec2.amazonaws.com", "eventName": "DeleteNetworkAclEntry",
        "eventTime": "2026-11-30T07:59:58Z", "eventID": "e7", "awsRegion": "us-east-1",
        "requestParameters": {"networkAclId": "acl-../../etc", "ruleNumber": 80, "egress": false},
    }));
    let error = read_delivery(&bad_id).expect_err("a bad id");
    assert!(error.to_string().contains("requestParameters.networkAclId"));
}
