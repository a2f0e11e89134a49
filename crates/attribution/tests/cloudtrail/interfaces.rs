//! Tests of interfaces made and deleted.

use serde_json::json;

use nacl_drift_attribution::InterfaceChange;
use nacl_drift_attribution::Record;

fn record(name: &str, request: serde_json::Value, response: serde_json::Value) -> Record {
    serde_json::from_value(json!({
        "eventVersion": "1.09", "eventSource": "ec2.amazonaws.com", "eventName": name,
        "eventTime": "2024-04-02T15:13:06Z", "eventID": "e-1", "awsRegion": "us-west-2",
        "recipientAccountId": "123456789012", "sourceIPAddress": "1.2.3.4",
        "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::123456789012:user/alice"},
        "requestParameters": request, "responseElements": response,
    }))
    .expect("a record")
}

#[test]
fn run_instances_makes_each_instances_interfaces_and_terminate_and_delete_take_them() {
    // The shapes of AWS's records (panther-analysis's RunInstances test
    // record; the EFS guide's CreateNetworkInterface).
    let run = record(
        "RunInstances",
        json!({"instanceType": "t3a.micro"}),
        json!({"instancesSet": {"items": [{"instanceId": "i-00000000000000000",
            "networkInterfaceSet": {"items": [{"networkInterfaceId": "eni-00000000000000000",
            "subnetId": "subnet-00000000000000000", "privateIpAddress": "10.0.0.3"}]}}]}}),
    );
    let made = run.interface_events().expect("readable");
    assert_eq!(
        made[0].change,
        InterfaceChange::Made {
            interface: "eni-00000000000000000".parse().expect("an id"),
            subnet: "subnet-00000000000000000".parse().expect("an id"),
            instance: Some("i-00000000000000000".to_owned()),
        }
    );
    assert_eq!(made[0].at, 1_712_070_786);
    let created = record(
        "CreateNetworkInterface",
        json!({"subnetId": "subnet-71e2f83a"}),
        json!({"networkInterface": {"networkInterfaceId": "eni-0123456789abcdef0", "subnetId": "subnet-12345678"}}),
    );
    assert!(
        matches!(&created.interface_events().expect("readable")[0].change,
        InterfaceChange::Made { subnet, instance: None, .. } if subnet.as_str() == "subnet-12345678")
    );
    let deleted = record(
        "DeleteNetworkInterface",
        json!({"networkInterfaceId": "eni-0123456789abcdef0"}),
        json!(null),
    );
    assert!(matches!(
        &deleted.interface_events().expect("readable")[0].change,
        InterfaceChange::Deleted { .. }
    ));
    let terminated = record(
        "TerminateInstances",
        json!({"instancesSet": {"items": [{"instanceId": "i-00000000000000000"}]}}),
        json!(null),
    );
    assert_eq!(
        terminated.interface_events().expect("readable")[0].change,
        InterfaceChange::Terminated {
            instance: "i-00000000000000000".to_owned()
        }
    );
    let bad = record(
        "DeleteNetworkInterface",
        json!({"networkInterfaceId": "eni-X\n"}),
        json!(null),
    );
    assert_eq!(
        bad.interface_events().expect_err("not an id").to_string(),
        "the DeleteNetworkInterface record e-1: networkInterfaceId is unusable: \"eni-X\\n\" is not a network interface id: expected eni- followed by lowercase letters and digits"
    );
    let other = record("DescribeInstances", json!({}), json!(null));
    assert_eq!(other.interface_events().expect("readable"), []);
}
