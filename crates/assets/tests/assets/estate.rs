//! Building blocks of the tests: entries, effects, interfaces, groups and
//! route tables from short strings.

use std::collections::{BTreeMap, BTreeSet};

use nacl_drift_analysis::{Effect, Service, traffic_difference};
use nacl_drift_assets::{
    Assets, GroupRule, Interface, Owner, Route, RouteTable, SecurityGroup, Source,
};
use nacl_drift_model::{
    Action, Cidr, Direction, Entry, EntryKey, InterfaceId, PortRange, Protocol, RouteTableId,
    RuleNumber, SecurityGroupId, SubnetId, Traffic, VpcId,
};

pub fn cidr(text: &str) -> Cidr {
    Cidr::canonicalize(text).expect("a CIDR")
}

/// A NACL entry: `(rule, direction, action, protocol, ports, cidr)`; ports
/// `None` for all.
pub fn entry(
    rule: i64,
    direction: Direction,
    action: Action,
    protocol: Protocol,
    ports: Option<(i64, i64)>,
    block: &str,
) -> (EntryKey, Entry) {
    let ports = ports.map(|(from, to)| PortRange::new(from, to).expect("ports"));
    let traffic = Traffic::new(protocol, ports, None).expect("traffic");
    (
        EntryKey {
            direction,
            rule_number: RuleNumber::new(rule).expect("a rule number"),
        },
        Entry::new(action, traffic, cidr(block)),
    )
}

/// The drill's NACL: SSH denied from anywhere (rule 80) before everything
/// allowed (100), both ways (`::/0` too), and the same with rule 80 deleted.
pub fn ssh_deny_deleted() -> (BTreeMap<EntryKey, Entry>, BTreeMap<EntryKey, Entry>) {
    use Direction::{Egress, Ingress};
    let baseline: BTreeMap<EntryKey, Entry> = [
        entry(
            80,
            Ingress,
            Action::Deny,
            Protocol::Tcp,
            Some((22, 22)),
            "0.0.0.0/0",
        ),
        entry(
            81,
            Ingress,
            Action::Deny,
            Protocol::Tcp,
            Some((22, 22)),
            "::/0",
        ),
        entry(
            100,
            Ingress,
            Action::Allow,
            Protocol::All,
            None,
            "0.0.0.0/0",
        ),
        entry(101, Ingress, Action::Allow, Protocol::All, None, "::/0"),
        entry(100, Egress, Action::Allow, Protocol::All, None, "0.0.0.0/0"),
        entry(101, Egress, Action::Allow, Protocol::All, None, "::/0"),
    ]
    .into_iter()
    .collect();
    let mut live = baseline.clone();
    for rule in [80, 81] {
        live.remove(&EntryKey {
            direction: Ingress,
            rule_number: RuleNumber::new(rule).expect("rule"),
        });
    }
    (baseline, live)
}

/// The ingress effects of going from `baseline` to `live`.
pub fn ingress_effects(
    baseline: &BTreeMap<EntryKey, Entry>,
    live: &BTreeMap<EntryKey, Entry>,
) -> Vec<Effect> {
    traffic_difference(Direction::Ingress, baseline, live)
}

pub fn tcp(port: u16) -> Service {
    Service::Ports {
        protocol: Protocol::Tcp,
        from: port,
        to: port,
    }
}

pub fn vpc() -> VpcId {
    VpcId::parse("vpc-0a").expect("vpc")
}

pub fn subnet(name: &str) -> SubnetId {
    SubnetId::parse(&format!("subnet-{name}")).expect("subnet")
}

pub fn group_id(name: &str) -> SecurityGroupId {
    SecurityGroupId::parse(&format!("sg-{name}")).expect("group")
}

/// A group `name` whose rules admit each `(service, source)`.
pub fn group(name: &str, rules: &[(Service, Source)]) -> SecurityGroup {
    SecurityGroup {
        id: group_id(name),
        name: name.to_owned(),
        ingress: rules
            .iter()
            .map(|(service, source)| GroupRule {
                service: service.clone(),
                source: source.clone(),
            })
            .collect(),
        unreadable: Vec::new(),
    }
}

/// An instance's interface `eni-NAME` in `subnet-SUBNET` with `groups`, a
/// public IPv4 address when `public`, and an IPv6 address when `ipv6`.
pub fn interface(
    name: &str,
    subnet_name: &str,
    public: bool,
    ipv6: bool,
    groups: &[&str],
) -> Interface {
    Interface {
        id: InterfaceId::parse(&format!("eni-{name}")).expect("eni"),
        subnet_id: subnet(subnet_name),
        vpc_id: vpc(),
        owner: Owner::Instance {
            id: format!("i-{name}"),
            name: Some(name.to_owned()),
        },
        private_ipv4: vec!["10.0.1.10".parse().expect("address")],
        public_ipv4: if public {
            vec!["198.51.100.10".parse().expect("address")]
        } else {
            Vec::new()
        },
        ipv6: if ipv6 {
            vec!["2001:db8::10".parse().expect("address")]
        } else {
            Vec::new()
        },
        security_groups: groups.iter().map(|name| group_id(name)).collect(),
    }
}

/// A route table `rtb-NAME` for `subnets` (the main one when none), with
/// `(destination, to an internet gateway)` routes beside the VPC's local
/// one.
pub fn route_table(name: &str, subnets: &[&str], routes: &[(&str, bool)]) -> RouteTable {
    let mut all = vec![Route {
        destination: cidr("10.0.0.0/16"),
        to_internet_gateway: false,
    }];
    all.extend(routes.iter().map(|(destination, igw)| Route {
        destination: cidr(destination),
        to_internet_gateway: *igw,
    }));
    RouteTable {
        id: RouteTableId::parse(&format!("rtb-{name}")).expect("rtb"),
        vpc_id: vpc(),
        main: subnets.is_empty(),
        subnet_ids: subnets.iter().map(|name| subnet(name)).collect(),
        routes: all,
        list_routes: Vec::new(),
    }
}

/// Assets of `interfaces`, `groups` and `tables`.
pub fn assets(
    interfaces: Vec<Interface>,
    groups: Vec<SecurityGroup>,
    tables: Vec<RouteTable>,
) -> Assets {
    Assets {
        interfaces,
        security_groups: groups.into_iter().map(|g| (g.id.clone(), g)).collect(),
        route_tables: tables,
        prefix_lists: BTreeMap::new(),
    }
}

pub fn subnets(names: &[&str]) -> BTreeSet<SubnetId> {
    names.iter().map(|name| subnet(name)).collect()
}

pub fn anywhere() -> Source {
    Source::Cidr(cidr("0.0.0.0/0"))
}
