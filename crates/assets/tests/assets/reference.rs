//! A brute-force reference for exposure, written apart from the
//! implementation: random estates (NACL ingress before and after, NACL
//! egress, route tables, security groups, prefix lists, interfaces), then
//! every packet of a grid (source address, protocol, port) decided by
//! first-match over plain rule tuples. A packet exposes an interface when
//! the baseline NACL denied it and the live one allows it, its source is
//! public, the interface sits in the NACL's subnets and has a public
//! address, the most specific route to the source is an internet gateway,
//! a security group rule admits it by CIDR or expanded prefix list, and the
//! live egress lets a reply out to some ephemeral port. The grid holds
//! every boundary (each block's first and last address and their
//! neighbours, each port bound and its neighbours), so it is exact.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;

use nacl_drift_analysis::{Service, traffic_difference};
use nacl_drift_assets::{
    Assets, GroupRule, Interface, Owner, Route, RouteTable, SecurityGroup, Source, assets_of,
};
use nacl_drift_model::{
    Action, Cidr, Direction, Entry, EntryKey, InterfaceId, PortRange, PrefixListId, Protocol,
    RouteTableId, RuleNumber, SecurityGroupId, SubnetId, Traffic, VpcId,
};
use proptest::prelude::*;

/// The blocks every address of the tests comes from.
const BLOCKS: [&str; 12] = [
    "0.0.0.0/0",
    "0.0.0.0/1",
    "128.0.0.0/1",
    "10.0.0.0/8",
    "10.0.0.0/16",
    "198.51.100.0/24",
    "203.0.113.0/24",
    "203.0.113.0/25",
    "192.168.0.0/16",
    "100.64.0.0/10",
    "8.0.0.0/8",
    "172.16.0.0/12",
];
/// The private ranges, as the reference sees them.
const PRIVATE: [&str; 4] = [
    "10.0.0.0/8",
    "100.64.0.0/10",
    "172.16.0.0/12",
    "192.168.0.0/16",
];
/// Every port bound of the tests.
const PORTS: [u16; 11] = [
    0, 22, 80, 443, 1023, 1024, 32767, 32768, 60999, 61000, 65535,
];
/// tcp, udp, icmp, and a protocol no rule names.
const PROTOCOLS: [u8; 4] = [6, 17, 1, 50];

/// A rule as plain values: number, allow, protocol (None: all), ports, block.
type PlainRule = (u16, bool, Option<u8>, (u16, u16), usize);

fn range(block: &str) -> (u32, u32) {
    let (address, length) = block.split_once('/').expect("a block");
    let address = u32::from(address.parse::<Ipv4Addr>().expect("an address"));
    let length: u32 = length.parse().expect("a length");
    let size = if length == 0 {
        u32::MAX
    } else {
        (1u32 << (32 - length)) - 1
    };
    (address, address | size)
}

fn within(block: &str, address: u32) -> bool {
    let (low, high) = range(block);
    (low..=high).contains(&address)
}

/// First match over `rules` (sorted by number) for a packet; no match
/// denies.
fn allowed(rules: &[PlainRule], protocol: u8, port: u16, address: u32) -> bool {
    for &(_, allow, rule_protocol, (from, to), block) in rules {
        let protocol_matches = rule_protocol.is_none_or(|p| p == protocol);
        let port_matches =
            !matches!(protocol, 6 | 17) || rule_protocol.is_none() || (from..=to).contains(&port);
        if protocol_matches && port_matches && within(BLOCKS[block], address) {
            return allow;
        }
    }
    false
}

fn addresses() -> Vec<u32> {
    let mut all: Vec<u32> = BLOCKS
        .iter()
        .flat_map(|block| {
            let (low, high) = range(block);
            [low, high, low.wrapping_sub(1), high.wrapping_add(1)]
        })
        .collect();
    all.sort_unstable();
    all.dedup();
    all
}

fn ports() -> Vec<u16> {
    let mut all: Vec<u16> = PORTS
        .iter()
        .flat_map(|&port| [port, port.saturating_sub(1), port.saturating_add(1)])
        .collect();
    all.sort_unstable();
    all.dedup();
    all
}

fn rule_strategy(allow: f64) -> impl Strategy<Value = PlainRule> {
    (
        1u16..8,
        prop::bool::weighted(allow),
        prop_oneof![Just(None), Just(Some(6u8)), Just(Some(17u8))],
        (0..PORTS.len(), 0..PORTS.len()),
        0..BLOCKS.len(),
    )
        .prop_map(|(number, allow, protocol, (a, b), block)| {
            let (from, to) = (PORTS[a.min(b)], PORTS[a.max(b)]);
            (number * 10, allow, protocol, (from, to), block)
        })
}

/// Up to `most` rules, allows with odds `allow`, sorted by number; then,
/// with odds `open`, an allow of everything after them.
fn rules_strategy(most: usize, allow: f64, open: f64) -> impl Strategy<Value = Vec<PlainRule>> {
    (
        prop::collection::vec(rule_strategy(allow), 0..most),
        prop::bool::weighted(open),
    )
        .prop_map(|(mut rules, open)| {
            rules.sort_by_key(|rule| rule.0);
            rules.dedup_by_key(|rule| rule.0);
            if open {
                rules.push((100, true, None, (0, 65535), 0));
            }
            rules
        })
}

/// A group rule as plain values: protocol (None: all), ports, and the
/// source: a block, a prefix list (expanded to blocks, or not), or a group.
#[derive(Clone, Debug)]
enum PlainSource {
    Block(usize),
    List(Option<Vec<usize>>),
    Group,
}

type PlainGroupRule = (Option<u8>, (u16, u16), PlainSource);

fn group_rule_strategy() -> impl Strategy<Value = PlainGroupRule> {
    (
        prop_oneof![Just(None), Just(Some(6u8)), Just(Some(17u8))],
        (0..PORTS.len(), 0..PORTS.len()),
        prop_oneof![
            2 => Just(PlainSource::Block(0)),
            4 => (0..BLOCKS.len()).prop_map(PlainSource::Block),
            1 => prop::option::of(prop::collection::vec(0..BLOCKS.len(), 1..3)).prop_map(PlainSource::List),
            1 => Just(PlainSource::Group),
        ],
    )
        .prop_map(|(protocol, (a, b), source)| (protocol, (PORTS[a.min(b)], PORTS[a.max(b)]), source))
}

#[derive(Clone, Debug)]
struct PlainInterface {
    in_subnet_a: bool,
    public: bool,
    groups: Vec<usize>,
}

#[derive(Clone, Debug)]
struct PlainEstate {
    baseline: Vec<PlainRule>,
    live: Vec<PlainRule>,
    egress: Vec<PlainRule>,
    /// Routes of subnet a's table, then of the main table (subnet b's):
    /// (block, to an internet gateway), one route per block.
    routes: [Vec<(usize, bool)>; 2],
    groups: Vec<Vec<PlainGroupRule>>,
    interfaces: Vec<PlainInterface>,
    /// Whether subnet b is one of the NACL's too.
    nacl_has_b: bool,
}

/// Routes to some blocks, most often with the default route to an
/// internet gateway.
fn routes_strategy() -> impl Strategy<Value = Vec<(usize, bool)>> {
    (
        prop::bool::weighted(0.75),
        prop::collection::btree_map(1..BLOCKS.len(), prop::bool::weighted(0.3), 0..3),
    )
        .prop_map(|(default_to_internet, routes)| {
            let mut routes: Vec<(usize, bool)> = routes.into_iter().collect();
            if default_to_internet {
                routes.push((0, true));
            }
            routes
        })
}

fn estate_strategy() -> impl Strategy<Value = PlainEstate> {
    (
        rules_strategy(3, 0.5, 0.0),
        rules_strategy(5, 0.7, 0.3),
        rules_strategy(3, 0.5, 0.6),
        [routes_strategy(), routes_strategy()],
        prop::collection::vec(prop::collection::vec(group_rule_strategy(), 0..3), 3),
        prop::collection::vec(
            (
                prop::bool::weighted(0.7),
                prop::bool::weighted(0.8),
                prop::collection::vec(0..3usize, 1..3),
            )
                .prop_map(|(in_subnet_a, public, groups)| PlainInterface {
                    in_subnet_a,
                    public,
                    groups,
                }),
            1..5,
        ),
        any::<bool>(),
    )
        .prop_map(
            |(baseline, live, egress, routes, groups, interfaces, nacl_has_b)| PlainEstate {
                baseline,
                live,
                egress,
                routes,
                groups,
                interfaces,
                nacl_has_b,
            },
        )
}

fn cidr(index: usize) -> Cidr {
    Cidr::canonicalize(BLOCKS[index]).expect("a block")
}

fn entries(rules: &[PlainRule], direction: Direction) -> BTreeMap<EntryKey, Entry> {
    rules
        .iter()
        .map(|&(number, allow, protocol, (from, to), block)| {
            let (protocol, ports) = match protocol {
                None => (Protocol::All, None),
                Some(6) => (
                    Protocol::Tcp,
                    Some(PortRange::new(from.into(), to.into()).expect("ports")),
                ),
                Some(_) => (
                    Protocol::Udp,
                    Some(PortRange::new(from.into(), to.into()).expect("ports")),
                ),
            };
            let action = if allow { Action::Allow } else { Action::Deny };
            let traffic = Traffic::new(protocol, ports, None).expect("traffic");
            (
                EntryKey {
                    direction,
                    rule_number: RuleNumber::new(number.into()).expect("number"),
                },
                Entry::new(action, traffic, cidr(block)),
            )
        })
        .collect()
}

fn service_of(protocol: Option<u8>, (from, to): (u16, u16)) -> Service {
    match protocol {
        None => Service::All,
        Some(6) => Service::Ports {
            protocol: Protocol::Tcp,
            from,
            to,
        },
        Some(_) => Service::Ports {
            protocol: Protocol::Udp,
            from,
            to,
        },
    }
}

fn subnet(a: bool) -> SubnetId {
    SubnetId::parse(if a { "subnet-a" } else { "subnet-b" }).expect("subnet")
}

/// The implementation's view of `estate`.
fn assets(estate: &PlainEstate) -> Assets {
    let vpc = VpcId::parse("vpc-0a").expect("vpc");
    let group_id = |index: usize| SecurityGroupId::parse(&format!("sg-{index}")).expect("sg");
    let list_id =
        |group: usize, rule: usize| PrefixListId::parse(&format!("pl-{group}x{rule}")).expect("pl");
    let mut prefix_lists = BTreeMap::new();
    let security_groups = estate
        .groups
        .iter()
        .enumerate()
        .map(|(index, rules)| {
            let ingress = rules
                .iter()
                .enumerate()
                .map(|(position, (protocol, ports, source))| GroupRule {
                    service: service_of(*protocol, *ports),
                    source: match source {
                        PlainSource::Block(block) => Source::Cidr(cidr(*block)),
                        PlainSource::Group => Source::Group(group_id(index)),
                        PlainSource::List(blocks) => {
                            if let Some(blocks) = blocks {
                                prefix_lists.insert(
                                    list_id(index, position),
                                    blocks.iter().map(|&block| cidr(block)).collect(),
                                );
                            }
                            Source::PrefixList(list_id(index, position))
                        }
                    },
                })
                .collect();
            (
                group_id(index),
                SecurityGroup {
                    id: group_id(index),
                    name: format!("g{index}"),
                    ingress,
                },
            )
        })
        .collect();
    let route_tables = estate
        .routes
        .iter()
        .enumerate()
        .map(|(index, routes)| RouteTable {
            id: RouteTableId::parse(&format!("rtb-{index}")).expect("rtb"),
            vpc_id: vpc.clone(),
            main: index == 1,
            subnet_ids: if index == 0 {
                vec![subnet(true)]
            } else {
                Vec::new()
            },
            routes: routes
                .iter()
                .map(|&(block, to_internet_gateway)| Route {
                    destination: cidr(block),
                    to_internet_gateway,
                })
                .collect(),
        })
        .collect();
    let interfaces = estate
        .interfaces
        .iter()
        .enumerate()
        .map(|(index, plain)| Interface {
            id: InterfaceId::parse(&format!("eni-{index}")).expect("eni"),
            subnet_id: subnet(plain.in_subnet_a),
            vpc_id: vpc.clone(),
            owner: Owner::Instance {
                id: format!("i-{index}"),
                name: None,
            },
            private_ipv4: vec![Ipv4Addr::new(10, 0, 0, 10)],
            public_ipv4: if plain.public {
                vec![Ipv4Addr::new(198, 51, 100, 7)]
            } else {
                Vec::new()
            },
            ipv6: Vec::new(),
            security_groups: plain.groups.iter().map(|&group| group_id(group)).collect(),
        })
        .collect();
    Assets {
        interfaces,
        security_groups,
        route_tables,
        prefix_lists,
    }
}

/// Whether the reference says a packet exposes interface `index`.
fn reference_exposes(
    estate: &PlainEstate,
    index: usize,
    (protocol, port, address): (u8, u16, u32),
    reply_ports: &[u16],
) -> bool {
    let interface = &estate.interfaces[index];
    let newly_allowed = !allowed(&estate.baseline, protocol, port, address)
        && allowed(&estate.live, protocol, port, address);
    let public = !PRIVATE.iter().any(|block| within(block, address));
    let in_nacl = interface.in_subnet_a || estate.nacl_has_b;
    let table = &estate.routes[usize::from(!interface.in_subnet_a)];
    let to_internet = table
        .iter()
        .chain(&[(4usize, false)]) // the VPC's local route, 10.0.0.0/16
        .filter(|(block, _)| within(BLOCKS[*block], address))
        .max_by_key(|(block, _)| {
            BLOCKS[*block]
                .split_once('/')
                .expect("block")
                .1
                .parse::<u8>()
                .expect("len")
        })
        .is_some_and(|(_, igw)| *igw);
    let admitted = interface.groups.iter().any(|&group| {
        estate.groups[group]
            .iter()
            .any(|(rule_protocol, (from, to), source)| {
                let matches = rule_protocol.is_none_or(|p| p == protocol)
                    && (!matches!(protocol, 6 | 17)
                        || rule_protocol.is_none()
                        || (*from..=*to).contains(&port));
                matches
                    && match source {
                        PlainSource::Block(block) => within(BLOCKS[*block], address),
                        PlainSource::List(Some(blocks)) => {
                            blocks.iter().any(|&block| within(BLOCKS[block], address))
                        }
                        PlainSource::List(None) | PlainSource::Group => false,
                    }
            })
    });
    let replied = || {
        reply_ports
            .iter()
            .any(|&reply_port| allowed(&estate.egress, protocol, reply_port, address))
    };
    newly_allowed && public && in_nacl && interface.public && to_internet && admitted && replied()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn exposure_agrees_with_the_reference_on_every_packet(estate in estate_strategy()) {
        // The VPC's local route, in both tables.
        let mut estate = estate;
        for routes in &mut estate.routes {
            routes.retain(|(block, _)| *block != 4);
        }
        let baseline = entries(&estate.baseline, Direction::Ingress);
        let live = entries(&estate.live, Direction::Ingress);
        let mut live_entries = live.clone();
        live_entries.extend(entries(&estate.egress, Direction::Egress));
        let mut assets = assets(&estate);
        for table in &mut assets.route_tables {
            table.routes.push(Route { destination: cidr(4), to_internet_gateway: false });
        }
        let subnets = if estate.nacl_has_b {
            [subnet(true), subnet(false)].into_iter().collect()
        } else {
            [subnet(true)].into_iter().collect()
        };
        let found: Vec<_> = traffic_difference(Direction::Ingress, &baseline, &live)
            .iter()
            .filter_map(|effect| assets_of(effect, &subnets, &live_entries, &assets))
            .collect();
        let (addresses, ports) = (addresses(), ports());
        let reply_ports: Vec<u16> = ports.iter().copied().filter(|&port| port >= 1024).collect();
        for index in 0..estate.interfaces.len() {
            let id = format!("eni-{index}");
            for &protocol in &PROTOCOLS {
                let packet_ports = if matches!(protocol, 6 | 17) { ports.clone() } else { vec![0] };
                for &port in &packet_ports {
                    for &address in &addresses {
                        let expected =
                            reference_exposes(&estate, index, (protocol, port, address), &reply_ports);
                        let actual = found.iter().flat_map(|found| &found.exposed).any(|exposed| {
                            exposed.interface.interface_id.as_str() == id
                                && exposed.admitted_by.iter().any(|admission| {
                                    admission.service.matches(protocol, port, 0, 0)
                                        && admission.sources.contains(u128::from(address))
                                })
                        });
                        prop_assert_eq!(
                            actual, expected,
                            "{} protocol {} port {} from {}: {:?}", id, protocol, port, Ipv4Addr::from(address), found
                        );
                    }
                }
            }
        }
    }
}
