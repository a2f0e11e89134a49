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
