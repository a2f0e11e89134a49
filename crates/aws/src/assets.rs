//! The assets of an account-region, for `--assets`: its network
//! interfaces (DescribeNetworkInterfaces), security groups
//! (DescribeSecurityGroups), route tables (DescribeRouteTables), the
//! entries of the managed prefix lists a group or a route uses
//! (GetManagedPrefixListEntries; a list that cannot be read stays
//! unexpanded, and the report says so), and the Name of each instance
//! behind an interface (DescribeInstances; without it, the id alone). Each
//! read is paginated and made once.

use std::collections::{BTreeMap, BTreeSet};
use std::net::{Ipv4Addr, Ipv6Addr};

use aws_sdk_ec2::Client;
use aws_sdk_ec2::types::{IpPermission, NetworkInterface, RouteState};
use nacl_drift_analysis::Service;
use nacl_drift_assets::{
    Assets, GroupRule, Interface, ListRoute, Owner, Route, RouteTable, SecurityGroup, Source,
};
use nacl_drift_model::{
    Cidr, InterfaceId, Place, PrefixListId, Protocol, RouteTableId, SecurityGroupId, SubnetId,
    VpcId,
};
use nacl_drift_reconcile::{AssetSource, AssetsRead};

use crate::{ApiError, AwsSource, PAGE_SIZE, ec2_client};

/// Everything [`Assets`] holds for the client's account and region.
pub async fn read_assets(client: &Client) -> Result<Assets, ApiError> {
    let mut interfaces = network_interfaces(client).await?;
    let security_groups = security_groups(client).await?;
    let route_tables = route_tables(client).await?;
    let lists: BTreeSet<&PrefixListId> = security_groups
        .values()
        .flat_map(|group| &group.ingress)
        .filter_map(|rule| match &rule.source {
            Source::PrefixList(id) => Some(id),
            _ => None,
        })
        .chain(
            route_tables
                .iter()
                .flat_map(|table| &table.list_routes)
                .map(|route| &route.prefix_list),
        )
        .collect();
    let mut prefix_lists = BTreeMap::new();
    for list in lists {
        // Unread, a list stays unexpanded: reported, never guessed.
        if let Ok(entries) = prefix_list_entries(client, list).await {
            prefix_lists.insert(list.clone(), entries);
        }
    }
    name_instances(client, &mut interfaces).await;
    Ok(Assets {
        interfaces,
        security_groups,
        route_tables,
        prefix_lists,
    })
}

impl AssetSource for AwsSource {
    fn assets<'a>(&'a self, place: &'a Place) -> AssetsRead<'a> {
        Box::pin(async move {
            let config = self
                .config_of(&place.account)
                .ok_or_else(|| format!("no session for account {}", place.account))?;
            Ok(read_assets(&ec2_client(config, &place.region)).await?)
        })
    }
}

async fn network_interfaces(client: &Client) -> Result<Vec<Interface>, ApiError> {
    let mut pages = client
        .describe_network_interfaces()
        .max_results(PAGE_SIZE)
        .into_paginator()
        .send();
    let mut interfaces = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|error| ApiError::new("DescribeNetworkInterfaces", error))?;
        interfaces.extend(page.network_interfaces().iter().filter_map(interface));
    }
    Ok(interfaces)
}

/// The interface as the model holds it; `None` when EC2 left out its id,
/// subnet or VPC (never so on AWS).
pub(crate) fn interface(described: &NetworkInterface) -> Option<Interface> {
    let id = InterfaceId::parse(described.network_interface_id()?).ok()?;
    let subnet_id = SubnetId::parse(described.subnet_id()?).ok()?;
    let vpc_id = VpcId::parse(described.vpc_id()?).ok()?;
    let mut private_ipv4 = Vec::new();
    let mut public_ipv4 = Vec::new();
    for address in described.private_ip_addresses() {
        private_ipv4.extend(
            address
                .private_ip_address()
                .and_then(|a| a.parse::<Ipv4Addr>().ok()),
        );
        public_ipv4.extend(
            address
                .association()
                .and_then(|association| association.public_ip())
                .and_then(|a| a.parse::<Ipv4Addr>().ok()),
        );
    }
    if private_ipv4.is_empty() {
        private_ipv4.extend(
            described
                .private_ip_address()
                .and_then(|a| a.parse::<Ipv4Addr>().ok()),
        );
    }
    if public_ipv4.is_empty() {
        public_ipv4.extend(
            described
                .association()
                .and_then(|association| association.public_ip())
                .and_then(|a| a.parse::<Ipv4Addr>().ok()),
        );
    }
    let ipv6: Vec<Ipv6Addr> = described
        .ipv6_addresses()
        .iter()
        .filter_map(|address| address.ipv6_address()?.parse().ok())
        .collect();
    Some(Interface {
        id,
        subnet_id,
        vpc_id,
        owner: owner(described),
        private_ipv4,
        public_ipv4,
        ipv6,
        security_groups: described
            .groups()
            .iter()
            .filter_map(|group| SecurityGroupId::parse(group.group_id()?).ok())
            .collect(),
    })
}

/// What the interface belongs to, from its attachment, type and
/// description: `ELB app/shop/...`, `Interface for NAT Gateway nat-...`,
/// `AWS Lambda VPC ENI-...`, `VPC Endpoint Interface vpce-...`.
fn owner(described: &NetworkInterface) -> Owner {
    let description = described.description().unwrap_or_default().to_owned();
    let interface_type = described
        .interface_type()
        .map(|kind| kind.as_str().to_owned())
        .unwrap_or_default();
    if let Some(instance) = described.attachment().and_then(|a| a.instance_id()) {
        return Owner::Instance {
            id: instance.to_owned(),
            name: None,
        };
    }
    if let Some(name) = description.strip_prefix("ELB ") {
        return Owner::LoadBalancer {
            name: name.to_owned(),
        };
    }
    match interface_type.as_str() {
        "nat_gateway" => Owner::NatGateway { description },
        "lambda" => Owner::Lambda { description },
        "vpc_endpoint" | "gateway_load_balancer_endpoint" => Owner::VpcEndpoint { description },
        _ if description.starts_with("AWS Lambda VPC ENI") => Owner::Lambda { description },
        _ if description.starts_with("Interface for NAT Gateway") => {
            Owner::NatGateway { description }
        }
        _ if description.starts_with("VPC Endpoint Interface") => {
            Owner::VpcEndpoint { description }
        }
        _ => Owner::Other {
            interface_type,
            description,
        },
    }
}

/// Each instance's Name (DescribeInstances on the instances behind the
/// interfaces); when refused, the ids alone.
async fn name_instances(client: &Client, interfaces: &mut [Interface]) {
    let ids: BTreeSet<String> = interfaces
        .iter()
        .filter_map(|interface| match &interface.owner {
            Owner::Instance { id, .. } => Some(id.clone()),
            _ => None,
        })
        .collect();
    let mut names = BTreeMap::new();
    let ids: Vec<String> = ids.into_iter().collect();
    for chunk in ids.chunks(1000) {
        let Ok(described) = client
            .describe_instances()
            .set_instance_ids(Some(chunk.to_vec()))
            .send()
            .await
        else {
            return;
        };
        names.extend(instance_names(described.reservations()));
    }
    name_owners(interfaces, &names);
}

/// Each instance's Name tag, by instance id.
pub(crate) fn instance_names(
    reservations: &[aws_sdk_ec2::types::Reservation],
) -> BTreeMap<String, String> {
    let mut names = BTreeMap::new();
    for instance in reservations.iter().flat_map(|r| r.instances()) {
        let name = instance
            .tags()
            .iter()
            .find(|tag| tag.key() == Some("Name"))
            .and_then(|tag| tag.value());
        if let (Some(id), Some(name)) = (instance.instance_id(), name) {
            names.insert(id.to_owned(), name.to_owned());
        }
    }
    names
}

/// The instances behind `interfaces` named from `names`.
pub(crate) fn name_owners(interfaces: &mut [Interface], names: &BTreeMap<String, String>) {
    for interface in interfaces {
        if let Owner::Instance { id, name } = &mut interface.owner {
            *name = names.get(id).cloned();
        }
    }
}

async fn security_groups(
    client: &Client,
) -> Result<BTreeMap<SecurityGroupId, SecurityGroup>, ApiError> {
    let mut pages = client
        .describe_security_groups()
        .max_results(PAGE_SIZE)
        .into_paginator()
        .send();
    let mut groups = BTreeMap::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|error| ApiError::new("DescribeSecurityGroups", error))?;
        for group in page.security_groups().iter().filter_map(security_group) {
            groups.insert(group.id.clone(), group);
        }
    }
    Ok(groups)
}

/// The group as the model holds it, with its inbound rules; `None`
/// without an id.
pub(crate) fn security_group(
    described: &aws_sdk_ec2::types::SecurityGroup,
) -> Option<SecurityGroup> {
    let mut ingress = Vec::new();
    let mut unreadable = Vec::new();
    for permission in described.ip_permissions() {
        group_rules(permission, &mut ingress, &mut unreadable);
    }
    Some(SecurityGroup {
        id: SecurityGroupId::parse(described.group_id()?).ok()?,
        name: described.group_name().unwrap_or_default().to_owned(),
        ingress,
        unreadable,
    })
}

/// One rule per source of a permission, into `rules`; what cannot be read
/// (a protocol EC2 does not know, an inverted port range, a CIDR or id
/// that is none), into `unreadable` as described: never dropped unsaid.
fn group_rules(
    permission: &IpPermission,
    rules: &mut Vec<GroupRule>,
    unreadable: &mut Vec<String>,
) {
    let described = |what: &str| {
        nacl_drift_model::sanitize::cut(&format!(
            "{what} (protocol {}, ports {:?}-{:?})",
            permission.ip_protocol().unwrap_or_default(),
            permission.from_port(),
            permission.to_port()
        ))
    };
    let Some(service) = service_of(permission) else {
        unreadable.push(described("its protocol or ports"));
        return;
    };
    let cidrs = permission
        .ip_ranges()
        .iter()
        .filter_map(|range| range.cidr_ip())
        .chain(
            permission
                .ipv6_ranges()
                .iter()
                .filter_map(|range| range.cidr_ipv6()),
        )
        .map(|text| {
            let source = Cidr::canonicalize(text).ok().map(Source::Cidr);
            (source, format!("the source {text}"))
        });
    let lists = permission.prefix_list_ids().iter().map(|list| {
        let id = list.prefix_list_id().unwrap_or_default();
        let source = PrefixListId::parse(id).ok().map(Source::PrefixList);
        (source, format!("the prefix list {id}"))
    });
    for (source, what) in cidrs.chain(lists) {
        match source {
            Some(source) => rules.push(GroupRule {
                service: service.clone(),
                source,
            }),
            None => unreadable.push(described(&what)),
        }
    }
    for pair in permission.user_id_group_pairs() {
        // A group reference never admits the internet: one that cannot be
        // read is no unknown for exposure.
        if let Some(Ok(group)) = pair.group_id().map(SecurityGroupId::parse) {
            rules.push(GroupRule {
                service: service.clone(),
                source: Source::Group(group),
            });
        }
    }
}

/// The service of a permission: `-1` every protocol; tcp and udp on
/// their port range; icmp and icmpv6 on a type (`FromPort`) and code
/// (`ToPort`), -1 for any; any other protocol whole. `None` for a protocol
/// EC2 does not know, or an inverted port range.
fn service_of(permission: &IpPermission) -> Option<Service> {
    let protocol = Protocol::parse(permission.ip_protocol()?).ok()?;
    let (from, to) = (permission.from_port(), permission.to_port());
    let port = |value: Option<i32>, default: u16| {
        value
            .and_then(|value| u16::try_from(value).ok())
            .unwrap_or(default)
    };
    let icmp = |value: Option<i32>| match value.and_then(|value| u8::try_from(value).ok()) {
        Some(number) => (number, number),
        None => (0, 255),
    };
    Some(match protocol {
        Protocol::All => Service::All,
        Protocol::Tcp | Protocol::Udp if port(from, 0) > port(to, 65535) => return None,
        Protocol::Tcp | Protocol::Udp => Service::Ports {
            protocol,
            from: port(from, 0),
            to: port(to, 65535),
        },
        Protocol::Icmp | Protocol::Icmpv6 => Service::Icmp {
            protocol,
            types: icmp(from),
            codes: icmp(to),
        },
        Protocol::Number(_) => Service::Protocol(protocol),
    })
}

async fn route_tables(client: &Client) -> Result<Vec<RouteTable>, ApiError> {
    let mut pages = client
        .describe_route_tables()
        .max_results(100)
        .into_paginator()
        .send();
    let mut tables = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|error| ApiError::new("DescribeRouteTables", error))?;
        tables.extend(page.route_tables().iter().filter_map(route_table));
    }
    Ok(tables)
}

/// The table as the model holds it: its subnets, whether it is its VPC's
/// main one, and its active routes to CIDRs and to managed prefix lists (a
/// blackhole routes nothing); `None`
/// without an id or VPC.
pub(crate) fn route_table(described: &aws_sdk_ec2::types::RouteTable) -> Option<RouteTable> {
    let associations = described.associations();
    let active = || {
        described
            .routes()
            .iter()
            .filter(|route| route.state() != Some(&RouteState::Blackhole))
    };
    let to_internet_gateway = |route: &aws_sdk_ec2::types::Route| {
        route
            .gateway_id()
            .is_some_and(|gateway| gateway.starts_with("igw-"))
    };
    Some(RouteTable {
        id: RouteTableId::parse(described.route_table_id()?).ok()?,
        vpc_id: VpcId::parse(described.vpc_id()?).ok()?,
        main: associations.iter().any(|a| a.main() == Some(true)),
        subnet_ids: associations
            .iter()
            .filter_map(|a| SubnetId::parse(a.subnet_id()?).ok())
            .collect(),
        routes: active()
            .filter_map(|route| {
                let destination = route
                    .destination_cidr_block()
                    .or(route.destination_ipv6_cidr_block())
                    .and_then(|text| Cidr::canonicalize(text).ok())?;
                Some(Route {
                    destination,
                    to_internet_gateway: to_internet_gateway(route),
                })
            })
            .collect(),
        list_routes: active()
            .filter_map(|route| {
                Some(ListRoute {
                    prefix_list: PrefixListId::parse(route.destination_prefix_list_id()?).ok()?,
                    to_internet_gateway: to_internet_gateway(route),
                })
            })
            .collect(),
    })
}

async fn prefix_list_entries(client: &Client, list: &PrefixListId) -> Result<Vec<Cidr>, ApiError> {
    let mut pages = client
        .get_managed_prefix_list_entries()
        .prefix_list_id(list.as_str())
        .max_results(100)
        .into_paginator()
        .send();
    let mut cidrs = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|error| ApiError::new("GetManagedPrefixListEntries", error))?;
        cidrs.extend(
            page.entries()
                .iter()
                .filter_map(|entry| Cidr::canonicalize(entry.cidr()?).ok()),
        );
    }
    Ok(cidrs)
}
