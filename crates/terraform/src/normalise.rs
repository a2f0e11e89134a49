//! The NACLs of a state's resources, as the AWS provider writes them:
//! `aws_network_acl` and `aws_default_network_acl` (inline lists),
//! `aws_network_acl_rule` (one entry each, joined to its ACL by
//! `network_acl_id`) and `aws_network_acl_association`.

use std::collections::{BTreeMap, BTreeSet};

use nacl_drift_model::{
    AccountId, Action, Cidr, Direction, Entry, EntryKey, IcmpTypeCode, NetworkAcl, NetworkAclId,
    PortRange, Protocol, Region, RuleNumber, SubnetId, VpcId,
};
use serde_json::{Map, Value};

use crate::form::Resource;
use crate::{HeldAcl, StateIntent, TerraformError};

/// The NACL resources among `resources`, joined and normalised.
pub(crate) fn intent(
    label: &str,
    resources: &[Resource],
    region: Option<&Region>,
) -> Result<StateIntent, TerraformError> {
    let bad = |resource: &Resource, problem: String| TerraformError::Resource {
        label: label.to_owned(),
        address: resource.address.clone(),
        problem,
    };
    let of_kind = |kind: &'static str| resources.iter().filter(move |r| r.kind == kind);
    // Plan JSON leaves unknown values out: a NACL still to be made has no
    // id yet, and nothing live to compare.
    let has_id = |resource: &&Resource| resource.values.get("id").is_some_and(Value::is_string);
    let mut acls: BTreeMap<NetworkAclId, HeldAcl> = BTreeMap::new();
    let mut ruled: BTreeSet<NetworkAclId> = BTreeSet::new();
    let rules: Vec<&Resource> = of_kind("aws_network_acl_rule")
        .filter(|rule| {
            rule.values
                .get("network_acl_id")
                .is_some_and(Value::is_string)
        })
        .collect();
    for rule in &rules {
        ruled.insert(id_of(rule, "network_acl_id").map_err(|p| bad(rule, p))?);
    }
    let acl_resources = of_kind("aws_network_acl")
        .map(|r| (r, false))
        .chain(of_kind("aws_default_network_acl").map(|r| (r, true)));
    for (resource, is_default) in acl_resources {
        if !has_id(&resource) {
            continue;
        }
        let held = acl(resource, is_default, region, &ruled).map_err(|p| bad(resource, p))?;
        if let Some(twice) = acls.get(&held.acl.id) {
            return Err(bad(
                resource,
                format!("declares {} again, after {}", held.acl.id, twice.address),
            ));
        }
        acls.insert(held.acl.id.clone(), held);
    }
    for rule in rules {
        let acl_id = id_of(rule, "network_acl_id").map_err(|p| bad(rule, p))?;
        let Some(held) = acls.get_mut(&acl_id) else {
            return Err(bad(
                rule,
                format!(
                    "is a rule of {acl_id}, which this state does not declare (give the state that does too)"
                ),
            ));
        };
        let (key, entry) = rule_entry(&rule.values).map_err(|p| bad(rule, p))?;
        // A ruled ACL's inline entries were left out: any address here is
        // another rule's.
        if let Some(other) = held.entry_addresses.get(&key) {
            return Err(bad(
                rule,
                format!("declares {key} of {acl_id} again, after {other}"),
            ));
        }
        held.acl.entries.insert(key, entry);
        held.entry_addresses.insert(key, rule.address.clone());
    }
    // An ACL's `subnet_ids` are Computed: unless the configuration sets
    // them (the module never does on the default ACL), they are what the
    // last refresh saw. An association is declared: its subnet is its
    // ACL's alone, and a subnet a non-default ACL holds is not the
    // default's (a plan that moves a subnet shows it in both).
    let mut associated = Vec::new();
    for association in of_kind("aws_network_acl_association") {
        let acl_id = id_of(association, "network_acl_id").map_err(|p| bad(association, p))?;
        let subnet = SubnetId::parse(text(&association.values, "subnet_id").unwrap_or_default())
            .map_err(|e| bad(association, e.to_string()))?;
        associated.push((acl_id, subnet));
    }
    for held in acls.values_mut() {
        held.acl
            .subnets
            .retain(|subnet| associated.iter().all(|(_, other)| other != subnet));
    }
    for (acl_id, subnet) in associated {
        if let Some(held) = acls.get_mut(&acl_id) {
            held.acl.subnets.insert(subnet);
        }
    }
    let placed: BTreeSet<SubnetId> = acls
        .values()
        .filter(|held| !held.acl.is_default)
        .flat_map(|held| held.acl.subnets.iter().cloned())
        .collect();
    for held in acls.values_mut().filter(|held| held.acl.is_default) {
        held.acl.subnets.retain(|subnet| !placed.contains(subnet));
    }
    Ok(StateIntent {
        acls,
        changed_outside: Vec::new(),
    })
}

/// An `aws_network_acl` or `aws_default_network_acl`: its place, tags,
/// subnets and, unless rule resources target it (`ruled`), its inline
/// entries.
fn acl(
    resource: &Resource,
    is_default: bool,
    region: Option<&Region>,
    ruled: &BTreeSet<NetworkAclId>,
) -> Result<HeldAcl, String> {
    let values = &resource.values;
    let id = id_of(resource, "id")?;
    let (arn_region, arn_account) = arn_place(text(values, "arn").unwrap_or_default());
    let account = text(values, "owner_id")
        .filter(|owner| !owner.is_empty())
        .or(arn_account)
        .ok_or("names no account: neither `owner_id` nor `arn`")?;
    let account = AccountId::parse(account).map_err(|e| e.to_string())?;
    let region = match text(values, "region")
        .filter(|r| !r.is_empty())
        .or(arn_region)
    {
        Some(named) => Region::parse(named).map_err(|e| e.to_string())?,
        None => region
            .cloned()
            .ok_or("names no region (no `arn`, no `region`): pass --region")?,
    };
    let vpc_id =
        VpcId::parse(text(values, "vpc_id").unwrap_or_default()).map_err(|e| e.to_string())?;
    let tags = match values.get("tags") {
        Some(Value::Object(tags)) => tags
            .iter()
            .map(|(key, value)| (key.clone(), value.as_str().unwrap_or_default().to_owned()))
            .collect(),
        _ => BTreeMap::new(),
    };
    let subnets = values
        .get("subnet_ids")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(|subnet| SubnetId::parse(subnet).map_err(|e| e.to_string()))
        .collect::<Result<BTreeSet<SubnetId>, String>>()?;
    let mut entries = BTreeMap::new();
    let mut entry_addresses = BTreeMap::new();
    // Rule resources declare the entries: the inline lists then mirror
    // live AWS at the last refresh, and are no intent.
    if !ruled.contains(&id) {
        for (list, direction) in [
            ("ingress", Direction::Ingress),
            ("egress", Direction::Egress),
        ] {
            for element in values
                .get(list)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let Value::Object(element) = element else {
                    return Err(format!("an element of `{list}` is not an object"));
                };
                let (key, entry) = inline_entry(element, direction)?;
                if entries.insert(key, entry).is_some() {
                    return Err(format!("`{list}` holds rule {} twice", key.rule_number));
                }
                entry_addresses.insert(key, resource.address.clone());
            }
        }
    }
    Ok(HeldAcl {
        address: resource.address.clone(),
        account,
        region,
        vpc_id,
        acl: NetworkAcl {
            id,
            is_default,
            tags,
            subnets,
            entries,
        },
        entry_addresses,
    })
}

/// The region and account of `arn:aws:ec2:REGION:ACCOUNT:network-acl/ID`.
fn arn_place(arn: &str) -> (Option<&str>, Option<&str>) {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    match parts.as_slice() {
        ["arn", _, "ec2", region, account, _] => (
            Some(*region).filter(|r| !r.is_empty()),
            Some(*account).filter(|a| !a.is_empty()),
        ),
        _ => (None, None),
    }
}

/// The NACL id in `field` of `resource`.
fn id_of(resource: &Resource, field: &str) -> Result<NetworkAclId, String> {
    NetworkAclId::parse(text(&resource.values, field).unwrap_or_default())
        .map_err(|e| format!("`{field}`: {e}"))
}

/// A string attribute; `None` when absent or null.
fn text<'a>(values: &'a Map<String, Value>, field: &str) -> Option<&'a str> {
    values.get(field).and_then(Value::as_str)
}

/// An integer attribute, from a JSON number (a float that is whole, as
/// some decoders write them) or a string of one; `None` when absent, null
/// or empty.
fn integer(values: &Map<String, Value>, field: &str) -> Result<Option<i64>, String> {
    let bad = || format!("`{field}` is not a whole number: {}", values[field]);
    match values.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(number)) => match (number.as_i64(), number.as_f64()) {
            (Some(whole), _) => Ok(Some(whole)),
            (None, Some(float)) if float.fract() == 0.0 && float.abs() < 1e15 => {
                Ok(Some(float as i64))
            }
            _ => Err(bad()),
        },
        Some(Value::String(text)) if text.trim().is_empty() => Ok(None),
        Some(Value::String(text)) => text.trim().parse().map(Some).map_err(|_| bad()),
        Some(_) => Err(bad()),
    }
}

/// An entry of an inline `ingress`/`egress` list.
fn inline_entry(
    element: &Map<String, Value>,
    direction: Direction,
) -> Result<(EntryKey, Entry), String> {
    let rule_number = integer(element, "rule_no")?.ok_or("an entry has no `rule_no`")?;
    entry(element, direction, rule_number, "action")
}

/// The entry of an `aws_network_acl_rule`.
fn rule_entry(values: &Map<String, Value>) -> Result<(EntryKey, Entry), String> {
    let rule_number = integer(values, "rule_number")?.ok_or("it has no `rule_number`")?;
    let egress = match values.get("egress") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(egress)) => *egress,
        Some(other) => return Err(format!("`egress` is not true or false: {other}")),
    };
    entry(
        values,
        Direction::from_egress(egress),
        rule_number,
        "rule_action",
    )
}

/// An entry from the provider's fields: `protocol` as a name or a number
/// string, ports only for tcp and udp (0/0 elsewhere means every port),
/// ICMP type and code for icmp and icmpv6 (null is 0, as the provider
/// sends it; -1 is any), and exactly one of `cidr_block` and
/// `ipv6_cidr_block` (an empty one is none).
fn entry(
    values: &Map<String, Value>,
    direction: Direction,
    rule_number: i64,
    action_field: &str,
) -> Result<(EntryKey, Entry), String> {
    let at = |problem: String| format!("{direction} rule {rule_number}: {problem}");
    let rule_number = RuleNumber::new(rule_number).map_err(|e| at(e.to_string()))?;
    let action = match text(values, action_field)
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("allow") => Action::Allow,
        Some("deny") => Action::Deny,
        other => {
            return Err(at(format!(
                "`{action_field}` is {other:?}, not allow or deny"
            )));
        }
    };
    let protocol = match values.get("protocol") {
        Some(Value::String(name)) => protocol(name).map_err(at)?,
        Some(Value::Number(number)) => protocol(&number.to_string()).map_err(at)?,
        _ => return Err(at("it has no `protocol`".to_owned())),
    };
    let ports = if protocol.has_ports() {
        let from = integer(values, "from_port").map_err(at)?.unwrap_or(0);
        let to = integer(values, "to_port").map_err(at)?.unwrap_or(0);
        Some(PortRange::new(from, to).map_err(|e| at(e.to_string()))?)
    } else {
        None
    };
    let icmp = if protocol.has_icmp_type_code() {
        let icmp_type = integer(values, "icmp_type").map_err(at)?.unwrap_or(0);
        let code = integer(values, "icmp_code").map_err(at)?.unwrap_or(0);
        Some(IcmpTypeCode::new(icmp_type, code).map_err(|e| at(e.to_string()))?)
    } else {
        None
    };
    let cidr = |field: &str| text(values, field).filter(|cidr| !cidr.trim().is_empty());
    let cidr = match (cidr("cidr_block"), cidr("ipv6_cidr_block")) {
        (Some(cidr), None) | (None, Some(cidr)) => {
            Cidr::canonicalize(cidr).map_err(|e| at(e.to_string()))?
        }
        (Some(_), Some(_)) => {
            return Err(at(
                "it has both `cidr_block` and `ipv6_cidr_block`".to_owned()
            ));
        }
        (None, None) => {
            return Err(at(
                "it has neither `cidr_block` nor `ipv6_cidr_block`".to_owned()
            ));
        }
    };
    let entry =
        Entry::from_fields(action, protocol, ports, icmp, cidr).map_err(|e| at(e.to_string()))?;
    Ok((
        EntryKey {
            direction,
            rule_number,
        },
        entry,
    ))
}

/// A protocol as the provider takes it: `-1` or `all`, an IANA number, or
/// a lowercase IANA keyword of its table (`ipv6-icmp` is 58).
fn protocol(text: &str) -> Result<Protocol, String> {
    const NAMES: [(&str, u8); 14] = [
        ("hopopt", 0),
        ("igmp", 2),
        ("ipv4", 4),
        ("ipv6", 41),
        ("gre", 47),
        ("esp", 50),
        ("ah", 51),
        ("ipv6-icmp", 58),
        ("icmpv6", 58),
        ("ospfigp", 89),
        ("pim", 103),
        ("vrrp", 112),
        ("l2tp", 115),
        ("sctp", 132),
    ];
    let lower = text.trim().to_ascii_lowercase();
    if let Some((_, number)) = NAMES.iter().find(|(name, _)| *name == lower) {
        return Ok(Protocol::from_number(*number));
    }
    Protocol::parse(&lower).map_err(|_| {
        format!("protocol {text:?} is no protocol nacl-drift knows: write its IANA number")
    })
}
