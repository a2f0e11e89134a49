//! Reads the exports `--assets` takes offline, `--output json` of `aws ec2
//! describe-network-interfaces`, `describe-security-groups`,
//! `describe-route-tables` and `describe-instances` (for the instances'
//! names), each told apart by its list. Like NACL exports, they are read
//! into the SDK's own types and converted by the code that converts live
//! responses, so both mean exactly the same.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_ec2::types::{
    GroupIdentifier, Instance, IpPermission, IpRange, Ipv6Range, NetworkInterface,
    NetworkInterfaceAssociation, NetworkInterfaceAttachment, NetworkInterfaceIpv6Address,
    NetworkInterfacePrivateIpAddress, NetworkInterfaceType, PrefixListId, Reservation, Route,
    RouteState, RouteTable, RouteTableAssociation, SecurityGroup, Tag, UserIdGroupPair,
};
use nacl_drift_assets::Assets;
use nacl_drift_model::{AccountId, ObservedAcl};
use serde::Deserialize;
use serde::de::IgnoredAny;

use crate::assets::{instance_names, interface, name_owners, route_table, security_group};

/// What one asset export holds, as the model has it, by owner account
/// (`None`: the export names none).
#[derive(Debug, Default)]
pub struct AssetExports {
    by_account: BTreeMap<Option<AccountId>, Assets>,
    names: BTreeMap<String, String>,
}

impl AssetExports {
    /// Whether no asset export was read.
    pub fn is_empty(&self) -> bool {
        self.by_account.is_empty() && self.names.is_empty()
    }

    /// Whether the exports hold any network interface.
    pub fn has_interfaces(&self) -> bool {
        self.by_account
            .values()
            .any(|assets| !assets.interfaces.is_empty())
    }

    /// The assets of each account; those of exports that name no owner go
    /// to `account` (`--account`), else to the one owner of the NACLs
    /// `acls` when there is one.
    pub fn into_accounts(
        self,
        account: Option<&AccountId>,
        acls: &[ObservedAcl],
    ) -> BTreeMap<AccountId, Assets> {
        let owners: BTreeSet<&AccountId> = acls.iter().map(|acl| &acl.account).collect();
        let account = account.or(match owners.len() {
            1 => owners.first().copied(),
            _ => None,
        });
        let mut accounts: BTreeMap<AccountId, Assets> = BTreeMap::new();
        for (owner, assets) in self.by_account {
            let Some(owner) = owner.or_else(|| account.cloned()) else {
                continue;
            };
            accounts.entry(owner).or_default().absorb(assets);
        }
        for assets in accounts.values_mut() {
            name_owners(&mut assets.interfaces, &self.names);
        }
        accounts
    }

    /// Adds what another export holds.
    pub fn merge(&mut self, other: AssetExports) {
        for (owner, assets) in other.by_account {
            self.by_account.entry(owner).or_default().absorb(assets);
        }
        self.names.extend(other.names);
    }
}

/// The top-level lists of an export, skipped over: which kind it is.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Shape {
    network_interfaces: Option<IgnoredAny>,
    security_groups: Option<IgnoredAny>,
    route_tables: Option<IgnoredAny>,
    reservations: Option<IgnoredAny>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Interfaces {
    network_interfaces: Vec<ExportedInterface>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Groups {
    security_groups: Vec<ExportedGroup>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RouteTables {
    route_tables: Vec<ExportedRouteTable>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Reservations {
    reservations: Vec<ExportedReservation>,
}

/// The export `text`, when it is one of the asset exports; `None` when it
/// is of another shape (a NACL export, or none nacl-drift reads).
pub fn parse_asset_export(text: &str) -> Result<Option<AssetExports>, serde_json::Error> {
    // The AWS CLI writes the list first: a NACL export (the largest by far)
    // is told apart without reading it all.
    if first_key(text) == Some("NetworkAcls") {
        return Ok(None);
    }
    let Ok(shape) = serde_json::from_str::<Shape>(text) else {
        return Ok(None);
    };
    let mut exports = AssetExports::default();
    let owner = |id: &Option<String>| id.as_deref().and_then(|id| AccountId::parse(id).ok());
    if shape.network_interfaces.is_some() {
        for exported in serde_json::from_str::<Interfaces>(text)?.network_interfaces {
            let account = owner(&exported.owner_id);
            if let Some(converted) = interface(&exported.into_sdk()) {
                let assets = exports.by_account.entry(account).or_default();
                assets.interfaces.push(converted);
            }
        }
    } else if shape.security_groups.is_some() {
        for exported in serde_json::from_str::<Groups>(text)?.security_groups {
            let account = owner(&exported.owner_id);
            if let Some(group) = security_group(&exported.into_sdk()) {
                let assets = exports.by_account.entry(account).or_default();
                assets.security_groups.insert(group.id.clone(), group);
            }
        }
    } else if shape.route_tables.is_some() {
        for exported in serde_json::from_str::<RouteTables>(text)?.route_tables {
            let account = owner(&exported.owner_id);
            if let Some(table) = route_table(&exported.into_sdk()) {
                let assets = exports.by_account.entry(account).or_default();
                assets.route_tables.push(table);
            }
        }
    } else if shape.reservations.is_some() {
        let reservations: Vec<Reservation> = serde_json::from_str::<Reservations>(text)?
            .reservations
            .into_iter()
            .map(ExportedReservation::into_sdk)
            .collect();
        exports.names = instance_names(&reservations);
    } else {
        return Ok(None);
    }
    Ok(Some(exports))
}

/// The first key of the JSON object `text`, when it is a plain string.
fn first_key(text: &str) -> Option<&str> {
    let rest = text.trim_start().strip_prefix('{')?.trim_start();
    let rest = rest.strip_prefix('"')?;
    let end = rest.find(['"', '\\'])?;
    (rest.as_bytes()[end] == b'"').then(|| &rest[..end])
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ExportedInterface {
    network_interface_id: Option<String>,
    subnet_id: Option<String>,
    vpc_id: Option<String>,
    owner_id: Option<String>,
    interface_type: Option<String>,
    description: Option<String>,
    attachment: Option<ExportedAttachment>,
    private_ip_address: Option<String>,
    #[serde(default)]
    private_ip_addresses: Vec<ExportedPrivateAddress>,
    association: Option<ExportedAssociation>,
    #[serde(default)]
    ipv6_addresses: Vec<ExportedIpv6Address>,
    #[serde(default)]
    groups: Vec<ExportedGroupId>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ExportedAttachment {
    instance_id: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ExportedPrivateAddress {
    private_ip_address: Option<String>,
    association: Option<ExportedAssociation>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ExportedAssociation {
    public_ip: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ExportedIpv6Address {
    ipv6_address: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ExportedGroupId {
    group_id: Option<String>,
}

impl ExportedInterface {
    fn into_sdk(self) -> NetworkInterface {
        let association = |a: ExportedAssociation| {
            NetworkInterfaceAssociation::builder()
                .set_public_ip(a.public_ip)
                .build()
        };
        NetworkInterface::builder()
            .set_network_interface_id(self.network_interface_id)
            .set_subnet_id(self.subnet_id)
            .set_vpc_id(self.vpc_id)
            .set_owner_id(self.owner_id)
            .set_interface_type(
                self.interface_type
                    .as_deref()
                    .map(NetworkInterfaceType::from),
            )
            .set_description(self.description)
            .set_attachment(self.attachment.map(|a| {
                NetworkInterfaceAttachment::builder()
                    .set_instance_id(a.instance_id)
                    .build()
            }))
            .set_private_ip_address(self.private_ip_address)
            .set_private_ip_addresses(Some(
                self.private_ip_addresses
                    .into_iter()
                    .map(|address| {
                        NetworkInterfacePrivateIpAddress::builder()
                            .set_private_ip_address(address.private_ip_address)
                            .set_association(address.association.map(association))
                            .build()
                    })
                    .collect(),
            ))
            .set_association(self.association.map(association))
            .set_ipv6_addresses(Some(
                self.ipv6_addresses
                    .into_iter()
                    .map(|a| {
                        NetworkInterfaceIpv6Address::builder()
                            .set_ipv6_address(a.ipv6_address)
                            .build()
                    })
                    .collect(),
            ))
            .set_groups(Some(
                self.groups
                    .into_iter()
                    .map(|g| GroupIdentifier::builder().set_group_id(g.group_id).build())
                    .collect(),
            ))
            .build()
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ExportedGroup {
    group_id: Option<String>,
    group_name: Option<String>,
    owner_id: Option<String>,
    #[serde(default)]
    ip_permissions: Vec<ExportedPermission>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ExportedPermission {
    ip_protocol: Option<String>,
    from_port: Option<i32>,
    to_port: Option<i32>,
    #[serde(default)]
    ip_ranges: Vec<ExportedIpRange>,
    #[serde(default)]
    ipv6_ranges: Vec<ExportedIpv6Range>,
    #[serde(default)]
    prefix_list_ids: Vec<ExportedPrefixListId>,
    #[serde(default)]
    user_id_group_pairs: Vec<ExportedGroupId>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ExportedIpRange {
    cidr_ip: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ExportedIpv6Range {
    cidr_ipv6: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ExportedPrefixListId {
    prefix_list_id: Option<String>,
}

impl ExportedGroup {
    fn into_sdk(self) -> SecurityGroup {
        SecurityGroup::builder()
            .set_group_id(self.group_id)
            .set_group_name(self.group_name)
            .set_owner_id(self.owner_id)
            .set_ip_permissions(Some(
                self.ip_permissions
                    .into_iter()
                    .map(|p| {
                        IpPermission::builder()
                            .set_ip_protocol(p.ip_protocol)
                            .set_from_port(p.from_port)
                            .set_to_port(p.to_port)
                            .set_ip_ranges(Some(
                                p.ip_ranges
                                    .into_iter()
                                    .map(|r| IpRange::builder().set_cidr_ip(r.cidr_ip).build())
                                    .collect(),
                            ))
                            .set_ipv6_ranges(Some(
                                p.ipv6_ranges
                                    .into_iter()
                                    .map(|r| {
                                        Ipv6Range::builder().set_cidr_ipv6(r.cidr_ipv6).build()
                                    })
                                    .collect(),
                            ))
                            .set_prefix_list_ids(Some(
                                p.prefix_list_ids
                                    .into_iter()
                                    .map(|l| {
                                        PrefixListId::builder()
                                            .set_prefix_list_id(l.prefix_list_id)
                                            .build()
                                    })
                                    .collect(),
                            ))
                            .set_user_id_group_pairs(Some(
                                p.user_id_group_pairs
                                    .into_iter()
                                    .map(|g| {
                                        UserIdGroupPair::builder().set_group_id(g.group_id).build()
                                    })
                                    .collect(),
                            ))
                            .build()
                    })
                    .collect(),
            ))
            .build()
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ExportedRouteTable {
    route_table_id: Option<String>,
    vpc_id: Option<String>,
    owner_id: Option<String>,
    #[serde(default)]
    associations: Vec<ExportedRouteAssociation>,
    #[serde(default)]
    routes: Vec<ExportedRoute>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ExportedRouteAssociation {
    main: Option<bool>,
    subnet_id: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ExportedRoute {
    destination_cidr_block: Option<String>,
    destination_ipv6_cidr_block: Option<String>,
    destination_prefix_list_id: Option<String>,
    gateway_id: Option<String>,
    state: Option<String>,
}

impl ExportedRouteTable {
    fn into_sdk(self) -> RouteTable {
        RouteTable::builder()
            .set_route_table_id(self.route_table_id)
            .set_vpc_id(self.vpc_id)
            .set_owner_id(self.owner_id)
            .set_associations(Some(
                self.associations
                    .into_iter()
                    .map(|a| {
                        RouteTableAssociation::builder()
                            .set_main(a.main)
                            .set_subnet_id(a.subnet_id)
                            .build()
                    })
                    .collect(),
            ))
            .set_routes(Some(
                self.routes
                    .into_iter()
                    .map(|r| {
                        Route::builder()
                            .set_destination_cidr_block(r.destination_cidr_block)
                            .set_destination_ipv6_cidr_block(r.destination_ipv6_cidr_block)
                            .set_destination_prefix_list_id(r.destination_prefix_list_id)
                            .set_gateway_id(r.gateway_id)
                            .set_state(r.state.as_deref().map(RouteState::from))
                            .build()
                    })
                    .collect(),
            ))
            .build()
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ExportedReservation {
    #[serde(default)]
    instances: Vec<ExportedInstance>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ExportedInstance {
    instance_id: Option<String>,
    #[serde(default)]
    tags: Vec<ExportedTag>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ExportedTag {
    key: Option<String>,
    value: Option<String>,
}

impl ExportedReservation {
    fn into_sdk(self) -> Reservation {
        Reservation::builder()
            .set_instances(Some(
                self.instances
                    .into_iter()
                    .map(|i| {
                        Instance::builder()
                            .set_instance_id(i.instance_id)
                            .set_tags(Some(
                                i.tags
                                    .into_iter()
                                    .map(|t| {
                                        Tag::builder().set_key(t.key).set_value(t.value).build()
                                    })
                                    .collect(),
                            ))
                            .build()
                    })
                    .collect(),
            ))
            .build()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_key_tells_a_nacl_export_apart_without_reading_it() {
        assert_eq!(first_key("{\n    \"NetworkAcls\": ["), Some("NetworkAcls"));
        assert_eq!(first_key(" {\"RouteTables\":[]}"), Some("RouteTables"));
        assert_eq!(first_key("{\"Net\\u0077orkAcls\": []}"), None);
        assert_eq!(first_key("[]"), None);
        assert_eq!(first_key("{}"), None);
    }

    #[test]
    fn each_asset_export_is_told_apart_by_its_list() {
        let interfaces = r#"{"NetworkInterfaces": [{"NetworkInterfaceId": "eni-0a", "SubnetId": "subnet-0a",
            "VpcId": "vpc-0a", "OwnerId": "111122223333", "Attachment": {"InstanceId": "i-0a"},
            "PrivateIpAddresses": [{"PrivateIpAddress": "10.0.0.5", "Association": {"PublicIp": "198.51.100.5"}}],
            "Groups": [{"GroupId": "sg-0a"}]}]}"#;
        let exports = parse_asset_export(interfaces)
            .expect("JSON")
            .expect("an asset export");
        let accounts = exports.into_accounts(None, &[]);
        let account = AccountId::parse("111122223333").expect("account");
        let interface = &accounts[&account].interfaces[0];
        assert_eq!(
            interface.public_ipv4,
            ["198.51.100.5".parse::<std::net::Ipv4Addr>().expect("ip")]
        );
        assert!(
            parse_asset_export(r#"{"NetworkAcls": []}"#)
                .expect("JSON")
                .is_none()
        );
        assert!(
            parse_asset_export(r#"{"Subnets": []}"#)
                .expect("JSON")
                .is_none()
        );
        assert!(parse_asset_export(r#"{"SecurityGroups": 5}"#).is_err());
    }
}
