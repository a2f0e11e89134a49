//! Attribution from the records LookupEvents returns: each event's
//! `CloudTrailEvent` JSON, read like a log file's records.

use nacl_drift_attribution::{event_names, events_from_lookup};
use nacl_drift_diff::Attributed;
use serde_json::{Value, json};

fn record(name: &str, time: &str, id: &str, request: Value) -> Value {
    json!({
        "eventVersion": "1.09", "eventTime": time, "eventSource": "ec2.amazonaws.com",
        "eventName": name, "awsRegion": "us-east-1", "sourceIPAddress": "203.0.113.66",
        "userAgent": "aws-cli/2.17.20", "eventID": id, "recipientAccountId": "111122223333",
        "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/mallory", "userName": "mallory"},
        "requestParameters": request, "responseElements": {"_return": true}
    })
}

#[test]
fn looked_up_records_attribute_changes() {
    let mut drift = crate::support::changes();
    let names = event_names(drift.changes.iter().map(|assessed| &assessed.change));
    assert_eq!(
        names.iter().map(|name| name.name()).collect::<Vec<_>>(),
        [
            "CreateNetworkAclEntry",
            "CreateTags",
            "DeleteNetworkAclEntry",
            "DeleteTags",
            "ReplaceNetworkAclAssociation",
            "ReplaceNetworkAclEntry"
        ]
    );
    let delete = record(
        "DeleteNetworkAclEntry",
        "2026-11-20T10:00:00Z",
        "e-1",
        json!({"networkAclId": "acl-0db", "ruleNumber": 80, "egress": false}),
    );
    let events = events_from_lookup(&[delete.to_string()]).expect("CloudTrail records");
    drift.attribute(&events, &crate::support::accounts(), 0);
    let attributed: Vec<bool> = drift
        .verdicts()
        .map(|v| matches!(v.attribution, Attributed::To(_)))
        .collect();
    assert_eq!(
        attributed,
        [false, true, false, false, false],
        "only rule 80's deletion has an event"
    );
}
