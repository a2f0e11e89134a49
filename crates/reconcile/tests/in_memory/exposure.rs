//! A brute-force reference for exposure through the whole comparison,
//! written apart from the implementation: random estates of two NACLs (A
//! and B, each with ingress and egress before and after), a subnet `a` on A
//! and a subnet `b` on A or B before and after (a move), route tables with
//! routes to CIDRs and to managed prefix lists (read or not), security
//! groups (or none, as a Network Load Balancer's interface has), prefix
//! lists and interfaces. Then every packet of a grid (source address,
//! protocol, port) is decided by first-match over plain rule tuples.
//!
//! A packet exposes an interface when it reaches it now and did not before.
//! It reaches it, on one side, when the NACL its subnet is on (then, or
//! now) allows it in and lets a reply out to some ephemeral port, its
//! source is public, the interface has a public address, the most specific
//! route to the source is an internet gateway (a route to a CIDR winning
//! over a prefix list's entry of the same prefix), and a security group
//! rule admits it by CIDR or expanded prefix list. The grid holds every
//! boundary (each block's first and last address and their neighbours,
//! each port bound and its neighbours), so it is exact. An interface whose
//! route table routes an unread prefix list, or that has no security
//! group, must be reported unknown, never exposed.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;

use nacl_drift_assets::{
    Assets, GroupRule, Interface, ListRoute, Owner, Route, RouteTable, SecurityGroup, Source, Why,
};
use nacl_drift_config::{Config, today};
use nacl_drift_model::{
    AccountId, Cidr, InterfaceId, PrefixListId, RouteTableId, SecurityGroupId, SubnetId, VpcId,
};
use nacl_drift_reconcile::{Baselines, Completeness, Enrichers, ExportedAssets, Exports, compare};
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
/// The VPC's local route.
const LOCAL: usize = 4;
/// Every port bound of the tests.
const PORTS: [u16; 11] = [
    0, 22, 80, 443, 1023, 1024, 32767, 32768, 60999, 61000, 65535,
];
/// tcp, udp, icmp, and a protocol no rule names.
const PROTOCOLS: [u8; 4] = [6, 17, 1, 50];
const ACCOUNT: &str = "111122223333";

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

fn prefix(block: usize) -> u8 {
    BLOCKS[block]
        .split_once('/')
        .expect("a block")
        .1
        .parse()
        .expect("a length")
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

/// A NACL's four rule lists: ingress and egress, before and after. The
/// egress after is, with odds one in two, the egress before with an allow
/// of the ephemeral ports to anywhere ahead of it: a reply path opened.
#[derive(Clone, Debug)]
struct PlainNacl {
    ingress: [Vec<PlainRule>; 2],
    egress: [Vec<PlainRule>; 2],
}

fn nacl_strategy() -> impl Strategy<Value = PlainNacl> {
    (
        rules_strategy(3, 0.5, 0.3),
        rules_strategy(5, 0.7, 0.3),
        rules_strategy(3, 0.4, 0.3),
        rules_strategy(3, 0.5, 0.6),
        prop_oneof![Just(None), Just(Some(6u8)), Just(Some(17u8))],
        any::<bool>(),
    )
        .prop_map(
            |(ingress_before, ingress_after, egress_before, egress_after, protocol, opened)| {
                let egress_after = if opened {
                    let mut opened = vec![(5, true, protocol, (1024, 65535), 0)];
                    opened.extend(egress_before.iter().filter(|rule| rule.0 != 5));
                    opened
                } else {
                    egress_after
                };
                PlainNacl {
                    ingress: [ingress_before, ingress_after],
                    egress: [egress_before, egress_after],
                }
            },
        )
}

/// A group rule's source: a block, a prefix list (expanded to blocks, or
/// not), or a group.
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
    /// Empty: no security group at all.
    groups: Vec<usize>,
}

/// A route table: routes to CIDRs (block, to an internet gateway), one per
/// block, and at most one route to a prefix list (its entries, `None` when
/// unread, and whether it goes to an internet gateway).
#[derive(Clone, Debug)]
struct PlainTable {
    routes: Vec<(usize, bool)>,
    list: Option<(Option<Vec<usize>>, bool)>,
}

#[derive(Clone, Debug)]
struct PlainEstate {
    /// A, then B.
    nacls: [PlainNacl; 2],
    /// Whether subnet b is on B, before and after (else on A); subnet a is
    /// on A throughout.
    b_on_b: [bool; 2],
    /// Subnet a's table, then the main table (subnet b's).
    tables: [PlainTable; 2],
    groups: Vec<Vec<PlainGroupRule>>,
    interfaces: Vec<PlainInterface>,
}

fn table_strategy() -> impl Strategy<Value = PlainTable> {
    (
        prop::bool::weighted(0.85),
        prop::collection::btree_map(1..BLOCKS.len(), prop::bool::weighted(0.3), 0..3),
        prop::option::weighted(
            0.35,
            (
                prop::option::weighted(0.85, prop::collection::vec(0..BLOCKS.len(), 1..3)),
                any::<bool>(),
            ),
        ),
    )
        .prop_map(|(default_to_internet, routes, list)| {
            let mut routes: Vec<(usize, bool)> = routes
                .into_iter()
                .filter(|(block, _)| *block != LOCAL)
                .collect();
            if default_to_internet {
                routes.push((0, true));
            }
            routes.push((LOCAL, false));
            PlainTable { routes, list }
        })
}

fn estate_strategy() -> impl Strategy<Value = PlainEstate> {
    (
        [nacl_strategy(), nacl_strategy()],
        [any::<bool>(), any::<bool>()],
        [table_strategy(), table_strategy()],
        prop::collection::vec(prop::collection::vec(group_rule_strategy(), 1..3), 3),
        prop::collection::vec(
            (
                prop::bool::weighted(0.6),
                prop::bool::weighted(0.85),
                prop::collection::vec(0..3usize, 1..3),
                prop::bool::weighted(0.1),
            )
                .prop_map(|(in_subnet_a, public, groups, no_group)| PlainInterface {
                    in_subnet_a,
                    public,
                    groups: if no_group { Vec::new() } else { groups },
                }),
            1..5,
        ),
    )
        .prop_map(|(nacls, b_on_b, tables, groups, interfaces)| PlainEstate {
            nacls,
            b_on_b,
            tables,
            groups,
            interfaces,
        })
}

fn cidr(index: usize) -> Cidr {
    Cidr::canonicalize(BLOCKS[index]).expect("a block")
}

fn subnet(a: bool) -> SubnetId {
    SubnetId::parse(if a { "subnet-a" } else { "subnet-b" }).expect("subnet")
}

fn acl_id(index: usize) -> &'static str {
    ["acl-0a", "acl-0b"][index]
}

/// One side (0: before, 1: after) of the estate as a baseline's YAML: both
/// NACLs, their rules, and the subnets on each.
fn side_yaml(estate: &PlainEstate, side: usize) -> String {
    let mut yaml = format!(
        "schema_version: 1\naccount: '{ACCOUNT}'\nregion: us-east-1\nvpc_id: vpc-0a\n\
         scope: {{regions: [us-east-1]}}\nnetwork_acls:\n"
    );
    for (index, nacl) in estate.nacls.iter().enumerate() {
        let mut subnets = Vec::new();
        if index == 0 {
            subnets.push("subnet-a");
        }
        if estate.b_on_b[side] == (index == 1) {
            subnets.push("subnet-b");
        }
        yaml.push_str(&format!(
            "- id: {}\n  is_default: {}\n  subnets: [{}]\n  entries:\n",
            acl_id(index),
            index == 0,
            subnets.join(", ")
        ));
        for (direction, rules) in [
            ("ingress", &nacl.ingress[side]),
            ("egress", &nacl.egress[side]),
        ] {
            for &(number, allow, protocol, (from, to), block) in rules {
                let action = if allow { "allow" } else { "deny" };
                let ports = if from == to {
                    from.to_string()
                } else {
                    format!("{from}-{to}")
                };
                let traffic = match protocol {
                    None => "protocol: all".to_owned(),
                    Some(6) => format!("protocol: tcp, ports: {ports}"),
                    Some(_) => format!("protocol: udp, ports: {ports}"),
                };
                yaml.push_str(&format!(
                    "  - {{rule_number: {number}, direction: {direction}, action: {action}, {traffic}, cidr: {}}}\n",
                    BLOCKS[block]
                ));
            }
        }
    }
    yaml
}

fn service_of(protocol: Option<u8>, (from, to): (u16, u16)) -> nacl_drift_analysis::Service {
    use nacl_drift_analysis::Service;
    use nacl_drift_model::Protocol;
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

/// The implementation's view of the estate's assets.
fn assets(estate: &PlainEstate) -> Assets {
    let vpc = VpcId::parse("vpc-0a").expect("vpc");
    let group_id = |index: usize| SecurityGroupId::parse(&format!("sg-{index}")).expect("sg");
    let list_id = |name: String| PrefixListId::parse(&format!("pl-{name}")).expect("pl");
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
                            let id = list_id(format!("{index}x{position}"));
                            if let Some(blocks) = blocks {
                                prefix_lists.insert(
                                    id.clone(),
                                    blocks.iter().map(|&block| cidr(block)).collect(),
                                );
                            }
                            Source::PrefixList(id)
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
                    unreadable: Vec::new(),
                },
            )
        })
        .collect();
    let route_tables = estate
        .tables
        .iter()
        .enumerate()
        .map(|(index, table)| {
            let list_routes = table
                .list
                .iter()
                .map(|(entries, to_internet_gateway)| {
                    let id = list_id(format!("route{index}"));
                    if let Some(entries) = entries {
                        prefix_lists.insert(
                            id.clone(),
                            entries.iter().map(|&block| cidr(block)).collect(),
                        );
                    }
                    ListRoute {
                        prefix_list: id,
                        to_internet_gateway: *to_internet_gateway,
                    }
                })
                .collect();
            RouteTable {
                id: RouteTableId::parse(&format!("rtb-{index}")).expect("rtb"),
                vpc_id: vpc.clone(),
                main: index == 1,
                subnet_ids: if index == 0 {
                    vec![subnet(true)]
                } else {
                    Vec::new()
                },
                routes: table
                    .routes
                    .iter()
                    .map(|&(block, to_internet_gateway)| Route {
                        destination: cidr(block),
                        to_internet_gateway,
                    })
                    .collect(),
                list_routes,
            }
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

/// Whether the table routes `address` to an internet gateway: the longest
/// prefix among its routes and its list's entries, a CIDR route first at
/// the same prefix. `None`: its list was not read.
fn to_internet(table: &PlainTable, address: u32) -> Option<bool> {
    let mut routes: Vec<(usize, bool, bool)> = table
        .routes
        .iter()
        .map(|&(block, igw)| (block, igw, false))
        .collect();
    if let Some((entries, igw)) = &table.list {
        routes.extend(entries.as_ref()?.iter().map(|&block| (block, *igw, true)));
    }
    Some(
        routes
            .into_iter()
            .filter(|(block, ..)| within(BLOCKS[*block], address))
            .min_by_key(|&(block, _, from_list)| (std::cmp::Reverse(prefix(block)), from_list))
            .is_some_and(|(_, igw, _)| igw),
    )
}

/// Whether a packet reaches interface `index` on `side` (0: before, 1:
/// after), by the reference's own reading of the rules.
fn reaches(
    estate: &PlainEstate,
    index: usize,
    side: usize,
    (protocol, port, address): (u8, u16, u32),
    reply_ports: &[u16],
) -> bool {
    let interface = &estate.interfaces[index];
    let on_b = !interface.in_subnet_a && estate.b_on_b[side];
    let nacl = &estate.nacls[usize::from(on_b)];
    let table = &estate.tables[usize::from(!interface.in_subnet_a)];
    let public = !PRIVATE.iter().any(|block| within(block, address));
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
            .any(|&reply_port| allowed(&nacl.egress[side], protocol, reply_port, address))
    };
    allowed(&nacl.ingress[side], protocol, port, address)
        && public
        && interface.public
        && to_internet(table, address) == Some(true)
        && admitted
        && replied()
}

/// Compares the estate's two sides as `diff --assets` does, from exports.
fn exposure_of(estate: &PlainEstate) -> nacl_drift_reconcile::Comparison {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join(format!("{ACCOUNT}/us-east-1/vpc-0a.yaml"));
    std::fs::create_dir_all(file.parent().expect("parent")).expect("mkdir");
    std::fs::write(&file, side_yaml(estate, 0)).expect("write the baseline");
    let baselines = Baselines::read(dir.path(), None).expect("baselines");
    let live = nacl_drift_fixtures::live_of(&side_yaml(estate, 1), None)
        .into_iter()
        .map(|acl| acl.observed)
        .collect();
    let account = AccountId::parse(ACCOUNT).expect("account");
    let exported = ExportedAssets(BTreeMap::from([(account, assets(estate))]));
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime")
        .block_on(async {
            let source = Exports {
                acls: live,
                completeness: Completeness::ExportedRegions,
            };
            let mut comparison = compare(baselines, source).await.expect("compares");
            let config = Config::none();
            let with = Enrichers {
                assets: Some(&exported),
                ..Enrichers::judging(&config, today())
            };
            comparison.assess(&with).await.expect("assessed");
            comparison
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn exposure_agrees_with_the_reference_on_every_packet(estate in estate_strategy()) {
        let comparison = exposure_of(&estate);
        let found: Vec<_> = comparison.effects.iter().filter_map(|e| e.assets.as_ref()).collect();
        let (addresses, ports) = (addresses(), ports());
        let reply_ports: Vec<u16> = ports.iter().copied().filter(|&port| port >= 1024).collect();
        for (index, interface) in estate.interfaces.iter().enumerate() {
            let id = format!("eni-{index}");
            let table = &estate.tables[usize::from(!interface.in_subnet_a)];
            let unread_route = matches!(table.list, Some((None, _)));
            let exposed_at_all = found.iter().flat_map(|found| &found.exposed)
                .any(|exposed| exposed.interface.interface_id.as_str() == id);
            if unread_route || interface.groups.is_empty() {
                // Cannot be told: never exposed, and said to be unknown
                // wherever an effect could have exposed it.
                prop_assert!(!exposed_at_all, "{} is unknown, never exposed: {:?}", id, found);
                for not in found.iter().flat_map(|found| &found.not_exposed)
                    .filter(|not| not.interface.interface_id.as_str() == id)
                {
                    let expected = unread_route
                        && matches!(not.why, Why::UnexpandedRoutePrefixList { .. })
                        || !unread_route && not.why == Why::NoSecurityGroup;
                    prop_assert!(expected, "{}: {:?}", id, not.why);
                }
                continue;
            }
            for &protocol in &PROTOCOLS {
                let packet_ports = if matches!(protocol, 6 | 17) { ports.clone() } else { vec![0] };
                for &port in &packet_ports {
                    for &address in &addresses {
                        let packet = (protocol, port, address);
                        let expected = reaches(&estate, index, 1, packet, &reply_ports)
                            && !reaches(&estate, index, 0, packet, &reply_ports);
                        let actual = found.iter().flat_map(|found| &found.exposed).any(|exposed| {
                            exposed.interface.interface_id.as_str() == id
                                && exposed.admitted_by.iter().any(|admission| {
                                    admission.service.matches(protocol, port, 0, 0)
                                        && admission.sources.contains(u128::from(address))
                                })
                        });
                        prop_assert_eq!(
                            actual, expected,
                            "{} protocol {} port {} from {}: {:?}\n{}", id, protocol, port,
                            Ipv4Addr::from(address), comparison.effects, side_yaml(&estate, 1)
                        );
                    }
                }
            }
        }
    }
}
