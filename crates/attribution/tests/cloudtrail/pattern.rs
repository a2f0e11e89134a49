//! Tests of the EventBridge pattern's gaps.

use serde_json::json;

use nacl_drift_attribution::*;
use nacl_drift_model::Operation;
use serde_json::Value;

fn guard() -> Value {
    json!({
        "source": ["aws.ec2"],
        "detail-type": ["AWS API Call via CloudTrail"],
        "detail": {
            "eventSource": ["ec2.amazonaws.com"],
            "eventName": Operation::ALL.map(Operation::name),
            "errorCode": [{"exists": false}],
        },
    })
}

#[test]
fn the_guards_pattern_has_no_gap() {
    assert_eq!(pattern_gaps(&guard()), []);
}

#[test]
fn a_missing_call_a_failed_call_and_another_service_are_gaps() {
    let mut pattern = guard();
    pattern["detail"]["eventName"] = json!(["CreateNetworkAclEntry", "ReplaceNetworkAclEntry"]);
    pattern["detail"]
        .as_object_mut()
        .expect("detail")
        .remove("errorCode");
    let gaps = pattern_gaps(&pattern);
    assert!(gaps.contains(&PatternGap::FailedCallsIncluded));
    let missing = gaps
        .iter()
        .find_map(|gap| match gap {
            PatternGap::MissingCalls(calls) => Some(calls.clone()),
            _ => None,
        })
        .expect("missing calls");
    assert!(missing.contains(&Operation::DeleteNetworkAclEntry));
    assert!(!missing.contains(&Operation::ReplaceNetworkAclEntry));
    assert!(
        gaps.iter()
            .find(|gap| gap.misses_calls())
            .expect("a gap that misses calls")
            .to_string()
            .starts_with("it leaves out CreateNetworkAcl, CreateTags, DeleteNetworkAcl,")
    );
    let other = json!({"source": ["aws.s3"], "detail-type": ["AWS API Call via CloudTrail"]});
    assert!(pattern_gaps(&other).contains(&PatternGap::NotEc2));
    let prefixed = json!({
        "source": [{"prefix": "aws.ec"}],
        "detail-type": ["AWS API Call via CloudTrail"],
        "detail": {"errorCode": [{"exists": false}]},
    });
    assert_eq!(
        pattern_gaps(&prefixed),
        [],
        "absent eventName matches every call"
    );
}
