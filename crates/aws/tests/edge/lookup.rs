//! CloudTrail LookupEvents through recorded responses: one lookup per event
//! name, pagination with the same parameters, throttling then a retry, and
//! the time window.

use std::collections::BTreeSet;
use std::time::Duration;

use nacl_drift_aws::lookup_events;
use nacl_drift_model::Operation;
use nacl_drift_replay::{Recorded, Replay};
use serde_json::{Value, json};

/// A LookupEvents page holding `records`, each as CloudTrail embeds it: a
/// JSON string in `CloudTrailEvent`.
fn page(records: &[Value], next_token: Option<&str>) -> Recorded {
    let events: Vec<Value> = records
        .iter()
        .map(|record| {
            json!({
                "EventId": record["eventID"], "EventName": record["eventName"],
                "ReadOnly": "false", "EventTime": 1_795_168_800.0,
                "EventSource": "ec2.amazonaws.com", "Username": "mallory",
                "Resources": [], "CloudTrailEvent": record.to_string()
            })
        })
        .collect();
    let mut body = json!({ "Events": events });
    if let Some(token) = next_token {
        body["NextToken"] = json!(token);
    }
    Recorded::ok(body.to_string())
}

fn record(name: &str, time: &str, id: &str, request: Value) -> Value {
    json!({
        "eventVersion": "1.09", "eventTime": time, "eventSource": "ec2.amazonaws.com",
        "eventName": name, "awsRegion": "us-east-1", "sourceIPAddress": "203.0.113.66",
        "userAgent": "aws-cli/2.17.20", "eventID": id, "recipientAccountId": "111122223333",
        "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/mallory", "userName": "mallory"},
        "requestParameters": request, "responseElements": {"_return": true}
    })
}

/// The JSON bodies of the requests.
fn requests(replay: &Replay) -> Vec<Value> {
    replay
        .requests()
        .iter()
        .map(|body| serde_json::from_str(body).expect("a JSON request"))
        .collect()
}

#[tokio::test]
async fn one_lookup_per_event_name_following_every_page() {
    let names: BTreeSet<Operation> = [
        Operation::DeleteNetworkAclEntry,
        Operation::ReplaceNetworkAclEntry,
    ]
    .into();
    let delete = record(
        "DeleteNetworkAclEntry",
        "2026-11-20T10:00:00Z",
        "e-1",
        json!({"networkAclId": "acl-0db", "ruleNumber": 80, "egress": false}),
    );
    let replace = record(
        "ReplaceNetworkAclEntry",
        "2026-11-20T10:05:00Z",
        "e-2",
        json!({"networkAclId": "acl-0db", "ruleNumber": 100, "egress": false}),
    );
    let replay = Replay::new([
        page(&[delete], Some("page-2")),
        page(&[], None),
        page(&[replace], None),
    ]);
    let since = 1_795_000_000;
    let events = lookup_events(&replay.cloudtrail_client(), &names, since, Duration::ZERO)
        .await
        .expect("lookups succeed");
    assert_eq!(events.len(), 2);

    let sent = requests(&replay);
    assert_eq!(sent.len(), 3);
    let attribute_of = |request: &Value| request["LookupAttributes"][0]["AttributeValue"].clone();
    assert_eq!(attribute_of(&sent[0]), json!("DeleteNetworkAclEntry"));
    assert_eq!(attribute_of(&sent[1]), json!("DeleteNetworkAclEntry"));
    assert_eq!(attribute_of(&sent[2]), json!("ReplaceNetworkAclEntry"));
    assert_eq!(sent[0]["LookupAttributes"][0]["AttributeKey"], "EventName");
    assert_eq!(sent[1]["NextToken"], "page-2", "the token is reused");
    assert!(sent[0].get("NextToken").is_none());
    // The same parameters on every page of one lookup; the window starts at `since`.
    let mut second = sent[1].clone();
    second.as_object_mut().expect("object").remove("NextToken");
    assert_eq!(second, sent[0]);
    assert_eq!(sent[0]["StartTime"].as_f64(), Some(since as f64));
    assert!(
        sent[0]["EndTime"]
            .as_f64()
            .is_some_and(|end| end >= since as f64)
    );
    assert_eq!(sent[0]["MaxResults"], 50);
}

#[tokio::test]
async fn throttling_is_retried() {
    let names: BTreeSet<Operation> = [Operation::DeleteNetworkAclEntry].into();
    let delete = record(
        "DeleteNetworkAclEntry",
        "2026-11-20T10:00:00Z",
        "e-1",
        json!({"networkAclId": "acl-0db", "ruleNumber": 80, "egress": false}),
    );
    let replay = Replay::new([
        Recorded::json_error(400, "ThrottlingException", "Rate exceeded"),
        page(&[delete], None),
    ]);
    let events = lookup_events(&replay.cloudtrail_client(), &names, 0, Duration::ZERO)
        .await
        .expect("the retry succeeds");
    assert_eq!(events.len(), 1);
    assert_eq!(replay.requests().len(), 2);
}

#[tokio::test]
async fn other_errors_are_reported_with_their_code() {
    let names: BTreeSet<Operation> = [Operation::DeleteNetworkAclEntry].into();
    let replay = Replay::new([Recorded::json_error(
        400,
        "AccessDeniedException",
        "User is not authorized to perform: cloudtrail:LookupEvents",
    )]);
    let error = lookup_events(&replay.cloudtrail_client(), &names, 0, Duration::ZERO)
        .await
        .expect_err("access is denied");
    assert_eq!(
        error.to_string(),
        "LookupEvents failed: AccessDeniedException: User is not authorized to perform: cloudtrail:LookupEvents"
    );
}
