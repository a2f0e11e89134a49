//! What a CloudTrail NACL call did to a NACL, from its `requestParameters`
//! (CloudTrail's lowercase keys: `networkAclId`, `ruleNumber`, `egress`,
//! `ruleAction`, `aclProtocol`, `cidrBlock` or `ipv6CidrBlock`,
//! `portRange {from, to}`, `icmpTypeCode {type, code}`).

use nacl_drift_attribution::NaclEvent;
use nacl_drift_model::{
    Action, AssociationId, Cidr, CidrError, Direction, Entry, EntryKey, IcmpTypeCode, NetworkAclId,
    Operation, PortRange, Protocol, RuleNumber,
};
use serde_json::Value;

/// A call, as the replay applies it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Call {
    /// CreateNetworkAclEntry or ReplaceNetworkAclEntry: the entry as made.
    PutEntry {
        acl: NetworkAclId,
        key: EntryKey,
        entry: Entry,
    },
    /// DeleteNetworkAclEntry.
    DeleteEntry { acl: NetworkAclId, key: EntryKey },
    /// ReplaceNetworkAclAssociation: the subnet of `association` moved
    /// onto `acl`, and is held by `new_association` from then on.
    Move {
        acl: NetworkAclId,
        association: AssociationId,
        new_association: Option<AssociationId>,
    },
    /// DeleteNetworkAcl (AWS refuses it while a subnet is on the NACL).
    DeleteAcl(NetworkAclId),
    /// Tags, or a NACL made: no traffic changes (a subnet moved onto a new
    /// NACL is its own call).
    NoTraffic,
}

/// What `event` did, or why its record cannot say.
pub(crate) fn call_of(event: &NaclEvent) -> Result<Call, String> {
    let request = &event.record.request_parameters;
    let acl = || {
        let id = text(request, "/networkAclId").ok_or("it names no networkAclId")?;
        NetworkAclId::parse(id).map_err(|error| error.to_string())
    };
    let key = || -> Result<EntryKey, String> {
        let number = integer(request, "/ruleNumber").ok_or("it names no ruleNumber")?;
        let egress = match request.pointer("/egress") {
            Some(Value::Bool(egress)) => *egress,
            Some(Value::String(egress)) if egress == "true" || egress == "false" => {
                egress == "true"
            }
            _ => return Err("its egress is not true or false".to_owned()),
        };
        Ok(EntryKey {
            direction: Direction::from_egress(egress),
            rule_number: RuleNumber::new(number).map_err(|error| error.to_string())?,
        })
    };
    Ok(match event.name {
        Operation::CreateNetworkAclEntry | Operation::ReplaceNetworkAclEntry => Call::PutEntry {
            acl: acl()?,
            key: key()?,
            entry: entry(request)?,
        },
        Operation::DeleteNetworkAclEntry => Call::DeleteEntry {
            acl: acl()?,
            key: key()?,
        },
        Operation::CreateTags | Operation::DeleteTags | Operation::CreateNetworkAcl => {
            Call::NoTraffic
        }
        Operation::ReplaceNetworkAclAssociation => {
            let association = |value: Option<&str>| value.map(AssociationId::parse).transpose();
            let from = association(text(request, "/associationId"))
                .map_err(|error| error.to_string())?
                .ok_or("it names no associationId")?;
            let new = text(&event.record.response_elements, "/newAssociationId");
            Call::Move {
                acl: acl()?,
                association: from,
                new_association: association(new).map_err(|error| error.to_string())?,
            }
        }
        Operation::DeleteNetworkAcl => Call::DeleteAcl(acl()?),
    })
}

/// The entry a Create or Replace call made.
fn entry(request: &Value) -> Result<Entry, String> {
    let action = match text(request, "/ruleAction")
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("allow") => Action::Allow,
        Some("deny") => Action::Deny,
        _ => return Err("its ruleAction is not allow or deny".to_owned()),
    };
    let protocol = match request.pointer("/aclProtocol") {
        Some(Value::String(text)) => Protocol::parse(text),
        Some(Value::Number(number)) => Protocol::parse(&number.to_string()),
        _ => return Err("it names no aclProtocol".to_owned()),
    }
    .map_err(|error| error.to_string())?;
    let pair =
        |first: &str, second: &str| Some((integer(request, first)?, integer(request, second)?));
    // EC2 takes no tcp or udp entry without its ports, and no ICMP entry
    // without its type and code: a record that lacks them is unreadable,
    // never "every port".
    let ports = match pair("/portRange/from", "/portRange/to") {
        _ if !protocol.has_ports() => None,
        Some((from, to)) => Some(PortRange::new(from, to).map_err(|error| error.to_string())?),
        None => return Err(format!("its portRange is missing for {protocol}")),
    };
    let icmp = match pair("/icmpTypeCode/type", "/icmpTypeCode/code") {
        _ if !protocol.has_icmp_type_code() => None,
        Some((kind, code)) => {
            Some(IcmpTypeCode::new(kind, code).map_err(|error| error.to_string())?)
        }
        None => return Err(format!("its icmpTypeCode is missing for {protocol}")),
    };
    let cidr = text(request, "/cidrBlock")
        .or_else(|| text(request, "/ipv6CidrBlock"))
        .ok_or("it names no cidrBlock or ipv6CidrBlock")?;
    let cidr: Cidr = cidr.parse().map_err(|error: CidrError| error.to_string())?;
    Entry::from_fields(action, protocol, ports, icmp, cidr).map_err(|error| error.to_string())
}

/// The text at `pointer`, if there is some.
fn text<'a>(value: &'a Value, pointer: &str) -> Option<&'a str> {
    value.pointer(pointer).and_then(Value::as_str)
}

/// The whole number at `pointer`, written as a number or as its text.
fn integer(value: &Value, pointer: &str) -> Option<i64> {
    match value.pointer(pointer)? {
        Value::Number(number) => number.as_i64(),
        Value::String(text) => text.trim().parse().ok(),
        _ => None,
    }
}
