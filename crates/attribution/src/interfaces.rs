//! Network interfaces made and deleted, as CloudTrail records them: a
//! timeline names the interfaces a window's subnets gained or lost while it
//! held (the assets it reads are those of now).
//!
//! - CreateNetworkInterface: `responseElements.networkInterface`'s
//!   `networkInterfaceId` and `subnetId`;
//! - RunInstances: each of `responseElements.instancesSet.items`, its
//!   `instanceId` and the `networkInterfaceId` and `subnetId` of each of its
//!   `networkInterfaceSet.items`;
//! - DeleteNetworkInterface: `requestParameters.networkInterfaceId`;
//! - TerminateInstances: each `instanceId` of
//!   `requestParameters.instancesSet.items` (an instance's interfaces made
//!   with it go with it).

use nacl_drift_diff::Attribution;
use nacl_drift_model::{AccountId, InterfaceId, Region, SubnetId};
use serde_json::Value;

use crate::record::{Record, RecordError};

/// An interface made or deleted, or an instance terminated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InterfaceEvent {
    /// When, in seconds since the epoch.
    pub at: i64,
    /// The region of the call.
    pub region: Region,
    /// The account of the call, when the record says.
    pub account: Option<AccountId>,
    /// What it did.
    pub change: InterfaceChange,
    /// Who made the call.
    pub by: Attribution,
}

/// What a call did to interfaces.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InterfaceChange {
    /// An interface made in a subnet, with the instance it was made for.
    Made {
        /// The interface.
        interface: InterfaceId,
        /// Its subnet.
        subnet: SubnetId,
        /// The instance RunInstances made it for.
        instance: Option<String>,
    },
    /// An interface deleted.
    Deleted {
        /// The interface.
        interface: InterfaceId,
    },
    /// An instance terminated: the interfaces made with it go with it.
    Terminated {
        /// The instance.
        instance: String,
    },
}

impl Record {
    /// The interfaces this record made or deleted, and the instances it
    /// terminated: none for other calls and failed ones; an error when an
    /// id it names is not one.
    pub fn interface_events(&self) -> Result<Vec<InterfaceEvent>, RecordError> {
        let (Some(source), Some(name)) = (&self.event_source, &self.event_name) else {
            return Ok(Vec::new());
        };
        let lifecycle = [
            "CreateNetworkInterface",
            "RunInstances",
            "DeleteNetworkInterface",
            "TerminateInstances",
        ];
        if source != "ec2.amazonaws.com"
            || self.error_code.is_some()
            || !lifecycle.contains(&name.as_str())
        {
            return Ok(Vec::new());
        }
        let (at, region, account) = self.when_and_where(name)?;
        let bad = |field| self.bad_id(name, field);
        let made = |item: &Value,
                    instance: Option<&str>|
         -> Result<Option<InterfaceChange>, RecordError> {
            let (Some(interface), Some(subnet)) =
                (text(item, "/networkInterfaceId"), text(item, "/subnetId"))
            else {
                return Ok(None);
            };
            Ok(Some(InterfaceChange::Made {
                interface: InterfaceId::parse(interface).map_err(bad("networkInterfaceId"))?,
                subnet: SubnetId::parse(subnet).map_err(bad("subnetId"))?,
                instance: instance.map(str::to_owned),
            }))
        };
        let response = &self.response_elements;
        let request = &self.request_parameters;
        let mut changes = Vec::new();
        match name.as_str() {
            "CreateNetworkInterface" => {
                if let Some(interface) = response.pointer("/networkInterface") {
                    changes.extend(made(interface, None)?);
                }
            }
            "RunInstances" => {
                for instance in items(response, "/instancesSet/items") {
                    let id = text(instance, "/instanceId");
                    for interface in items(instance, "/networkInterfaceSet/items") {
                        changes.extend(made(interface, id)?);
                    }
                }
            }
            "DeleteNetworkInterface" => {
                if let Some(interface) = text(request, "/networkInterfaceId") {
                    let interface =
                        InterfaceId::parse(interface).map_err(bad("networkInterfaceId"))?;
                    changes.push(InterfaceChange::Deleted { interface });
                }
            }
            _ => {
                for instance in items(request, "/instancesSet/items") {
                    if let Some(instance) = text(instance, "/instanceId") {
                        changes.push(InterfaceChange::Terminated {
                            instance: instance.to_owned(),
                        });
                    }
                }
            }
        }
        let by = self.attribution();
        Ok(changes
            .into_iter()
            .map(|change| InterfaceEvent {
                at,
                region: region.clone(),
                account: account.clone(),
                change,
                by: by.clone(),
            })
            .collect())
    }
}

fn text<'a>(value: &'a Value, pointer: &str) -> Option<&'a str> {
    value.pointer(pointer).and_then(Value::as_str)
}

fn items<'a>(value: &'a Value, pointer: &str) -> &'a [Value] {
    value
        .pointer(pointer)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::InterfaceChange;
    use crate::Record;

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
}
