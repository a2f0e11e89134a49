//! The analysis against brute force: for random rule lists (IPv4 and IPv6)
//! and random packets, a packet is in a box of the difference exactly when
//! first-match evaluation of each list decides it differently, and the box
//! names the rules that decide it.

use std::collections::BTreeMap;

use nacl_drift_analysis::{Effect, EffectKind, Family, Service, cidr_range, traffic_difference};
use nacl_drift_model::{
    Action, Cidr, Direction, Entry, EntryKey, IcmpTypeCode, PortRange, Protocol, RuleNumber,
    Traffic,
};
use proptest::prelude::*;

#[derive(Clone, Copy, Debug)]
struct Packet {
    family: Family,
    address: u128,
    protocol: u8,
    port: u16,
    icmp_type: u8,
    code: u8,
}

/// First match, written as plainly as possible: the oracle.
fn decide(
    entries: &BTreeMap<EntryKey, Entry>,
    direction: Direction,
    packet: &Packet,
) -> (bool, Option<RuleNumber>) {
    for (key, entry) in entries {
        if key.direction == direction && matches(entry, packet) {
            return (entry.action() == Action::Allow, Some(key.rule_number));
        }
    }
    (false, None)
}

fn matches(entry: &Entry, packet: &Packet) -> bool {
    let (low, high) = cidr_range(&entry.cidr());
    if Family::of(&entry.cidr()) != packet.family || packet.address < low || packet.address > high {
        return false;
    }
    let icmp = |protocol: u8, tc: IcmpTypeCode| {
        packet.protocol == protocol
            && (tc.icmp_type() == -1 || tc.icmp_type() == i16::from(packet.icmp_type))
            && (tc.code() == -1 || tc.code() == i16::from(packet.code))
    };
    match entry.traffic() {
        Traffic::All => true,
        Traffic::Tcp(ports) => {
            packet.protocol == 6 && (ports.from()..=ports.to()).contains(&packet.port)
        }
        Traffic::Udp(ports) => {
            packet.protocol == 17 && (ports.from()..=ports.to()).contains(&packet.port)
        }
        Traffic::Icmp(tc) => icmp(1, tc),
        Traffic::Icmpv6(tc) => icmp(58, tc),
        Traffic::Other(n) => packet.protocol == n,
    }
}

fn contains(effect: &Effect, packet: &Packet) -> bool {
    effect.addresses.family == packet.family
        && effect.addresses.contains(packet.address)
        && effect
            .service
            .matches(packet.protocol, packet.port, packet.icmp_type, packet.code)
}

/// Checks one packet against the analysis; returns a description of any mismatch.
fn check(
    direction: Direction,
    baseline: &BTreeMap<EntryKey, Entry>,
    live: &BTreeMap<EntryKey, Entry>,
    effects: &[Effect],
    packet: &Packet,
) -> Result<(), String> {
    let (was, was_rule) = decide(baseline, direction, packet);
    let (now, now_rule) = decide(live, direction, packet);
    let holding: Vec<&Effect> = effects.iter().filter(|e| contains(e, packet)).collect();
    let expected = match (was, now) {
        (false, true) => Some(EffectKind::NewlyAllowed),
        (true, false) => Some(EffectKind::NewlyDenied),
        _ => None,
    };
    match (expected, holding.as_slice()) {
        (None, []) => Ok(()),
        (Some(kind), [effect])
            if effect.kind == kind
                && effect.baseline_rule == was_rule
                && effect.live_rule == now_rule =>
        {
            Ok(())
        }
        _ => Err(format!(
            "{packet:?}: baseline {was} by {was_rule:?}, live {now} by {now_rule:?}, boxes {:?}",
            holding.iter().map(ToString::to_string).collect::<Vec<_>>()
        )),
    }
}

const V4_BLOCKS: [&str; 8] = [
    "0.0.0.0/0",
    "0.0.0.0/1",
    "10.0.0.0/8",
    "10.1.0.0/16",
    "10.1.2.0/24",
    "10.1.2.3/32",
    "192.168.0.0/16",
    "255.255.255.255/32",
];
const V6_BLOCKS: [&str; 5] = [
    "::/0",
    "2001:db8::/32",
    "2001:db8::/64",
    "fc00::/7",
    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128",
];
const PORTS: [u16; 9] = [0, 1, 21, 22, 23, 443, 1024, 65534, 65535];
const ICMP: [i64; 5] = [-1, 0, 3, 8, 255];

fn cidr_strategy() -> impl Strategy<Value = Cidr> {
    prop_oneof![
        proptest::sample::select(&V4_BLOCKS[..]),
        proptest::sample::select(&V6_BLOCKS[..]),
    ]
    .prop_map(|text| Cidr::canonicalize(text).expect("valid block"))
}

fn ports_strategy() -> impl Strategy<Value = PortRange> {
    (
        proptest::sample::select(&PORTS[..]),
        proptest::sample::select(&PORTS[..]),
    )
        .prop_map(|(a, b)| {
            PortRange::new(i64::from(a.min(b)), i64::from(a.max(b))).expect("valid range")
        })
}

fn icmp_strategy() -> impl Strategy<Value = IcmpTypeCode> {
    (
        proptest::sample::select(&ICMP[..]),
        proptest::sample::select(&ICMP[..]),
    )
        .prop_map(|(t, c)| IcmpTypeCode::new(t, c).expect("valid ICMP"))
}

fn traffic_strategy() -> impl Strategy<Value = Traffic> {
    prop_oneof![
        Just(Traffic::All),
        ports_strategy().prop_map(Traffic::Tcp),
        ports_strategy().prop_map(Traffic::Udp),
        icmp_strategy().prop_map(Traffic::Icmp),
        icmp_strategy().prop_map(Traffic::Icmpv6),
        proptest::sample::select(&[47u8, 50][..]).prop_map(Traffic::Other),
    ]
}

fn entries_strategy() -> impl Strategy<Value = BTreeMap<EntryKey, Entry>> {
    proptest::collection::vec(
        (
            1i64..=40,
            any::<bool>(),
            any::<bool>(),
            traffic_strategy(),
            cidr_strategy(),
        ),
        0..14,
    )
    .prop_map(|rules| {
        rules
            .into_iter()
            .filter_map(|(number, egress, allow, traffic, cidr)| {
                let key = EntryKey {
                    direction: Direction::from_egress(egress),
                    rule_number: RuleNumber::new(number).ok()?,
                };
                let action = if allow { Action::Allow } else { Action::Deny };
                Some((key, Entry::new(action, traffic, cidr)))
            })
            .collect()
    })
}

/// Addresses at and around the edges of every block, and a few others.
fn interesting_addresses(family: Family) -> Vec<u128> {
    let blocks: &[&str] = match family {
        Family::V4 => &V4_BLOCKS,
        Family::V6 => &V6_BLOCKS,
    };
    let mut addresses = vec![0, 1, family.max(), family.max() - 1, 0x0a01_0203];
    for block in blocks {
        let (low, high) = cidr_range(&Cidr::canonicalize(block).expect("valid"));
        addresses.extend([
            low,
            high,
            low.saturating_sub(1),
            high.saturating_add(1).min(family.max()),
        ]);
    }
    addresses
}

fn packets() -> Vec<Packet> {
    let mut packets = Vec::new();
    for family in [Family::V4, Family::V6] {
        for address in interesting_addresses(family) {
            for protocol in [1u8, 6, 17, 47, 50, 58, 99] {
                let (ports, types): (&[u16], &[u8]) = match protocol {
                    6 | 17 => (&[0, 21, 22, 23, 443, 1023, 1024, 65535], &[0]),
                    1 | 58 => (&[0], &[0, 3, 8, 128, 255]),
                    _ => (&[0], &[0]),
                };
                for &port in ports {
                    for &icmp_type in types {
                        for code in [0u8, 4, 255] {
                            packets.push(Packet {
                                family,
                                address,
                                protocol,
                                port,
                                icmp_type,
                                code,
                            });
                            if protocol != 1 && protocol != 58 {
                                break;
                            }
                        }
                    }
                }
            }
        }
    }
    packets
}

/// Every packet of one protocol: all of tcp, all of icmp, all of 50.
fn whole_protocol(number: u8) -> Service {
    match Protocol::from_number(number) {
        protocol @ (Protocol::Tcp | Protocol::Udp) => Service::Ports {
            protocol,
            from: 0,
            to: 65535,
        },
        protocol @ (Protocol::Icmp | Protocol::Icmpv6) => Service::Icmp {
            protocol,
            types: (0, 255),
            codes: (0, 255),
        },
        protocol => Service::Protocol(protocol),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// A box's severity follows from the packets in it, not from its shape:
    /// it is the worst of the boxes one gets by cutting it per protocol.
    #[test]
    fn a_box_is_rated_by_the_packets_in_it(
        baseline in entries_strategy(),
        live in entries_strategy(),
    ) {
        for direction in [Direction::Ingress, Direction::Egress] {
            for effect in traffic_difference(direction, &baseline, &live) {
                let per_protocol = (0..=255u8)
                    .filter_map(|number| {
                        let service = effect.service.intersection(&whole_protocol(number))?;
                        Some(Effect { service, ..effect.clone() }.severity())
                    })
                    .max();
                prop_assert_eq!(Some(effect.severity()), per_protocol, "{}", effect);
            }
        }
    }

    #[test]
    fn the_difference_agrees_with_first_match_on_every_packet(
        baseline in entries_strategy(),
        live in entries_strategy(),
    ) {
        let packets = packets();
        for direction in [Direction::Ingress, Direction::Egress] {
            let effects = traffic_difference(direction, &baseline, &live);
            for packet in &packets {
                if let Err(mismatch) = check(direction, &baseline, &live, &effects, packet) {
                    prop_assert!(false, "{direction}: {mismatch}");
                }
            }
        }
    }

    #[test]
    fn an_intersection_holds_exactly_the_packets_of_both_boxes(
        base in entries_strategy(),
        one in entries_strategy(),
        two in entries_strategy(),
    ) {
        let packets = packets();
        for direction in [Direction::Ingress, Direction::Egress] {
            let first = traffic_difference(direction, &base, &one);
            let second = traffic_difference(direction, &base, &two);
            for a in &first {
                for b in &second {
                    let both = a.intersection(b);
                    for packet in &packets {
                        let expected = contains(a, packet) && contains(b, packet);
                        let found = both.as_ref().is_some_and(|both| contains(both, packet));
                        prop_assert_eq!(found, expected, "{} and {}: {:?}", a, b, packet);
                    }
                }
            }
        }
    }

    #[test]
    fn a_list_compared_with_itself_has_no_effect(entries in entries_strategy()) {
        for direction in [Direction::Ingress, Direction::Egress] {
            prop_assert!(traffic_difference(direction, &entries, &entries).is_empty());
        }
    }

    #[test]
    fn the_result_does_not_depend_on_the_order_entries_arrive_in(
        baseline in entries_strategy(),
        live in entries_strategy(),
    ) {
        let reversed = |entries: &BTreeMap<EntryKey, Entry>| -> BTreeMap<EntryKey, Entry> {
            entries.iter().rev().map(|(k, e)| (*k, *e)).collect()
        };
        for direction in [Direction::Ingress, Direction::Egress] {
            prop_assert_eq!(
                traffic_difference(direction, &baseline, &live),
                traffic_difference(direction, &reversed(&baseline), &reversed(&live))
            );
        }
    }
}
