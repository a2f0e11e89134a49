//! The exact difference between what two rule lists let through.
//!
//! A NACL direction is an ordered rule list: the first rule (by number) that
//! matches a packet decides, and a packet no rule matches is denied. To
//! compare two lists exactly, the packet space is cut, per address family and
//! protocol class, into the cells that the rules' own boundaries make (address
//! ranges, port ranges, ICMP types and codes). Every packet of a cell meets
//! the same rules, so deciding one representative decides the cell. Cells
//! whose decision differs are then merged back into a few boxes.

use std::collections::{BTreeMap, BTreeSet};

use nacl_drift_model::{Action, Direction, Entry, EntryKey, Protocol, RuleNumber, Traffic};

use crate::addresses::{AddressSet, Family, cidr_range};
use crate::effect::{Effect, EffectKind, Service};

/// An inclusive range of one dimension: addresses, ports, ICMP types or codes.
type Span = (u128, u128);

/// A rule as the analysis sees it.
struct Rule {
    number: RuleNumber,
    allow: bool,
    family: Family,
    addresses: Span,
    traffic: Traffic,
}

fn rules(entries: &BTreeMap<EntryKey, Entry>, direction: Direction) -> Vec<Rule> {
    entries
        .iter()
        .filter(|(key, _)| key.direction == direction)
        .map(|(key, entry)| Rule {
            number: key.rule_number,
            allow: entry.action() == Action::Allow,
            family: Family::of(&entry.cidr()),
            addresses: cidr_range(&entry.cidr()),
            traffic: entry.traffic(),
        })
        .collect()
}

/// The protocol number a rule is limited to; `None` for "all".
fn rule_protocol(traffic: Traffic) -> Option<u8> {
    match traffic {
        Traffic::All => None,
        Traffic::Tcp(_) => Some(6),
        Traffic::Udp(_) => Some(17),
        Traffic::Icmp(_) => Some(1),
        Traffic::Icmpv6(_) => Some(58),
        Traffic::Other(n) => Some(n),
    }
}

/// What cuts a protocol's packets apart beyond their address.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Shape {
    Ports,
    TypeCode,
    Whole,
}

fn shape(protocol: u8) -> Shape {
    match protocol {
        6 | 17 => Shape::Ports,
        1 | 58 => Shape::TypeCode,
        _ => Shape::Whole,
    }
}

const ANY_PORT: Span = (0, 65535);
const ANY_ICMP: Span = (0, 255);

fn port_range(traffic: Traffic) -> Span {
    match traffic.ports() {
        Some(ports) => (u128::from(ports.from()), u128::from(ports.to())),
        None => ANY_PORT,
    }
}

fn icmp_range(value: Option<i16>) -> Span {
    match value {
        Some(v) if v >= 0 => (v as u128, v as u128),
        _ => ANY_ICMP,
    }
}

/// The elementary intervals of one dimension: where any rule starts or ends.
struct Axis {
    starts: Vec<u128>,
    max: u128,
}

impl Axis {
    fn new(ranges: impl Iterator<Item = Span>, max: u128) -> Self {
        let mut starts = vec![0];
        for (low, high) in ranges {
            starts.push(low);
            if high < max {
                starts.push(high + 1);
            }
        }
        starts.sort_unstable();
        starts.dedup();
        Axis { starts, max }
    }

    fn len(&self) -> usize {
        self.starts.len()
    }

    fn index(&self, value: u128) -> usize {
        self.starts.partition_point(|&start| start <= value) - 1
    }

    fn interval(&self, index: usize) -> Span {
        let end = self.starts.get(index + 1).map_or(self.max, |next| next - 1);
        (self.starts[index], end)
    }

    /// For each interval, the bit set of the rules whose range covers it.
    fn masks(&self, ranges: &[Span], words: usize) -> Vec<Vec<u64>> {
        let mut masks = vec![vec![0u64; words]; self.len()];
        for (bit, &(low, high)) in ranges.iter().enumerate() {
            for mask in &mut masks[self.index(low)..=self.index(high)] {
                mask[bit / 64] |= 1 << (bit % 64);
            }
        }
        masks
    }
}

/// The lowest set bit of `mask` in `from..to`.
fn first_set(mask: &[u64], from: usize, to: usize) -> Option<usize> {
    let mut word = from / 64;
    while word * 64 < to {
        let mut bits = mask[word];
        if word == from / 64 {
            bits &= u64::MAX << (from % 64);
        }
        if bits != 0 {
            let bit = word * 64 + bits.trailing_zeros() as usize;
            return (bit < to).then_some(bit);
        }
        word += 1;
    }
    None
}

/// The exact difference between what `baseline` and `live` let through in
/// `direction`, as merged boxes, sorted. Empty when the change has no
/// effect on traffic.
pub fn traffic_difference(
    direction: Direction,
    baseline: &BTreeMap<EntryKey, Entry>,
    live: &BTreeMap<EntryKey, Entry>,
) -> Vec<Effect> {
    let (baseline, live) = (rules(baseline, direction), rules(live, direction));
    let mut effects = Vec::new();
    for family in [Family::V4, Family::V6] {
        let baseline: Vec<&Rule> = baseline.iter().filter(|r| r.family == family).collect();
        let live: Vec<&Rule> = live.iter().filter(|r| r.family == family).collect();
        if baseline.is_empty() && live.is_empty() {
            continue;
        }
        effects.extend(compare_family(direction, family, &baseline, &live));
    }
    effects.sort();
    effects
}

/// A cell whose decision differs, found while walking one protocol class.
struct Differing {
    cell: [usize; 3],
    baseline: Option<usize>,
    live: Option<usize>,
}

fn compare_family(
    direction: Direction,
    family: Family,
    baseline: &[&Rule],
    live: &[&Rule],
) -> Vec<Effect> {
    let named: BTreeSet<u8> = baseline
        .iter()
        .chain(live)
        .filter_map(|rule| rule_protocol(rule.traffic))
        .collect();
    // Every protocol no rule names behaves alike: one stands for them all.
    let unnamed = (0..=255u8).find(|p| !named.contains(p));
    let classes = named.iter().map(|&p| Some(p)).chain(unnamed.map(|_| None));

    let mut effects = Vec::new();
    for class in classes {
        let protocol = class.or(unnamed).unwrap_or_default();
        let relevant = |rules: &[&Rule]| -> Vec<usize> {
            (0..rules.len())
                .filter(|&i| rule_protocol(rules[i].traffic).is_none_or(|p| p == protocol))
                .collect()
        };
        let (in_baseline, in_live) = (relevant(baseline), relevant(live));
        let all: Vec<&Rule> = in_baseline
            .iter()
            .map(|&i| baseline[i])
            .chain(in_live.iter().map(|&i| live[i]))
            .collect();
        let split = in_baseline.len();
        let words = all.len().div_ceil(64).max(1);
        let shape = shape(protocol);
        let address_ranges: Vec<Span> = all.iter().map(|r| r.addresses).collect();
        let (second, third): (Vec<Span>, Vec<Span>) = match shape {
            Shape::Ports => (
                all.iter().map(|r| port_range(r.traffic)).collect(),
                vec![ANY_ICMP; all.len()],
            ),
            Shape::TypeCode => all
                .iter()
                .map(|r| {
                    let icmp = r.traffic.icmp();
                    (
                        icmp_range(icmp.map(|i| i.icmp_type())),
                        icmp_range(icmp.map(|i| i.code())),
                    )
                })
                .unzip(),
            Shape::Whole => (vec![ANY_PORT; all.len()], vec![ANY_ICMP; all.len()]),
        };
        let axes = [
            Axis::new(address_ranges.iter().copied(), family.max()),
            match shape {
                Shape::Whole => Axis::new(std::iter::empty(), 0),
                Shape::Ports => Axis::new(second.iter().copied(), ANY_PORT.1),
                Shape::TypeCode => Axis::new(second.iter().copied(), ANY_ICMP.1),
            },
            match shape {
                Shape::TypeCode => Axis::new(third.iter().copied(), ANY_ICMP.1),
                _ => Axis::new(std::iter::empty(), 0),
            },
        ];
        let masks = [
            axes[0].masks(&address_ranges, words),
            if shape == Shape::Whole {
                axes[1].masks(&[], words)
            } else {
                axes[1].masks(&second, words)
            },
            if shape == Shape::TypeCode {
                axes[2].masks(&third, words)
            } else {
                axes[2].masks(&[], words)
            },
        ];
        // Dimensions a class does not have are one interval that every rule covers.
        let full = vec![u64::MAX; words];
        let mask_of = |axis: usize, index: usize| -> &[u64] {
            let uses_axis = match axis {
                1 => shape != Shape::Whole,
                2 => shape == Shape::TypeCode,
                _ => true,
            };
            if uses_axis {
                &masks[axis][index]
            } else {
                &full
            }
        };

        let mut differing = Vec::new();
        let mut cell_mask = vec![0u64; words];
        for a in 0..axes[0].len() {
            for b in 0..axes[1].len() {
                for c in 0..axes[2].len() {
                    for (w, word) in cell_mask.iter_mut().enumerate() {
                        *word = mask_of(0, a)[w] & mask_of(1, b)[w] & mask_of(2, c)[w];
                    }
                    let decided_baseline = first_set(&cell_mask, 0, split);
                    let decided_live = first_set(&cell_mask, split, all.len());
                    let allows = |bit: Option<usize>| bit.is_some_and(|bit| all[bit].allow);
                    if allows(decided_baseline) != allows(decided_live) {
                        differing.push(Differing {
                            cell: [a, b, c],
                            baseline: decided_baseline,
                            live: decided_live,
                        });
                    }
                }
            }
        }
        let service_of = |[_, b, c]: [usize; 3]| -> (u8, Span, Span) {
            (protocol, axes[1].interval(b), axes[2].interval(c))
        };
        effects.extend(merge(
            direction, family, class, &named, &differing, &all, &axes[0], service_of, shape,
        ));
    }
    merge_into_all(effects, &named, unnamed.is_some())
}

/// Merges the differing cells of one class into boxes: per (deciding rules),
/// the address ranges of each port (or type, code) interval, then the
/// intervals that share the same addresses.
#[allow(clippy::too_many_arguments)]
fn merge(
    direction: Direction,
    family: Family,
    class: Option<u8>,
    named: &BTreeSet<u8>,
    differing: &[Differing],
    rules: &[&Rule],
    addresses: &Axis,
    service_of: impl Fn([usize; 3]) -> (u8, Span, Span),
    shape: Shape,
) -> Vec<Effect> {
    type Deciders = (Option<usize>, Option<usize>);
    type CellsByService = BTreeMap<(usize, usize), Vec<Span>>;
    let mut by_deciders: BTreeMap<Deciders, CellsByService> = BTreeMap::new();
    for cell in differing {
        by_deciders
            .entry((cell.baseline, cell.live))
            .or_default()
            .entry((cell.cell[1], cell.cell[2]))
            .or_default()
            .push(addresses.interval(cell.cell[0]));
    }
    let mut effects = Vec::new();
    for ((baseline, live), cells) in by_deciders {
        // Port (or type, code) cells that share one address set, merged into ranges.
        let mut by_addresses: BTreeMap<AddressSet, Vec<[usize; 3]>> = BTreeMap::new();
        for ((b, c), ranges) in cells {
            by_addresses
                .entry(AddressSet::new(family, ranges))
                .or_default()
                .push([0, b, c]);
        }
        let allowed_now = live.is_some_and(|bit| rules[bit].allow);
        for (addresses, cells) in by_addresses {
            for service in services(class, named, shape, &cells, &service_of) {
                effects.push(Effect {
                    direction,
                    kind: if allowed_now {
                        EffectKind::NewlyAllowed
                    } else {
                        EffectKind::NewlyDenied
                    },
                    service,
                    addresses: addresses.clone(),
                    baseline_rule: baseline.map(|bit| rules[bit].number),
                    live_rule: live.map(|bit| rules[bit].number),
                });
            }
        }
    }
    effects
}

/// The services of a set of cells that share addresses and deciding rules:
/// adjacent ports merged into ranges; adjacent codes, then types, likewise.
fn services(
    class: Option<u8>,
    named: &BTreeSet<u8>,
    shape: Shape,
    cells: &[[usize; 3]],
    service_of: &impl Fn([usize; 3]) -> (u8, Span, Span),
) -> Vec<Service> {
    let Some(protocol) = class else {
        return vec![Service::Unnamed {
            named: named.iter().copied().collect(),
        }];
    };
    let named_protocol = Protocol::from_number(protocol);
    match shape {
        Shape::Whole => vec![Service::Protocol(named_protocol)],
        Shape::Ports => join_runs(cells.iter().map(|&cell| service_of(cell).1))
            .into_iter()
            .map(|(from, to)| Service::Ports {
                protocol: named_protocol,
                from: from as u16,
                to: to as u16,
            })
            .collect(),
        Shape::TypeCode => {
            let mut codes_by_type: BTreeMap<Span, Vec<Span>> = BTreeMap::new();
            for &cell in cells {
                let (_, types, codes) = service_of(cell);
                codes_by_type.entry(types).or_default().push(codes);
            }
            let mut types_by_codes: BTreeMap<Vec<Span>, Vec<Span>> = BTreeMap::new();
            for (types, codes) in codes_by_type {
                types_by_codes
                    .entry(join_runs(codes.into_iter()))
                    .or_default()
                    .push(types);
            }
            let mut services = Vec::new();
            for (codes, types) in types_by_codes {
                for types in join_runs(types.into_iter()) {
                    for &codes in &codes {
                        services.push(Service::Icmp {
                            protocol: named_protocol,
                            types: (types.0 as u8, types.1 as u8),
                            codes: (codes.0 as u8, codes.1 as u8),
                        });
                    }
                }
            }
            services
        }
    }
}

/// Adjacent or overlapping ranges joined.
fn join_runs(ranges: impl Iterator<Item = Span>) -> Vec<Span> {
    let mut ranges: Vec<Span> = ranges.collect();
    ranges.sort_unstable();
    let mut joined: Vec<Span> = Vec::new();
    for (low, high) in ranges {
        match joined.last_mut() {
            Some(last) if low <= last.1 + 1 => last.1 = last.1.max(high),
            _ => joined.push((low, high)),
        }
    }
    joined
}

/// Boxes that together cover every protocol in full, with the same
/// addresses and deciding rules, become one "all traffic" box.
fn merge_into_all(effects: Vec<Effect>, named: &BTreeSet<u8>, has_unnamed: bool) -> Vec<Effect> {
    let full = |service: &Service| {
        matches!(
            service,
            Service::Ports {
                from: 0,
                to: 65535,
                ..
            } | Service::Icmp {
                types: (0, 255),
                codes: (0, 255),
                ..
            } | Service::Protocol(_)
                | Service::Unnamed { .. }
        )
    };
    let classes = named.len() + usize::from(has_unnamed);
    type Key = (
        EffectKind,
        AddressSet,
        Option<RuleNumber>,
        Option<RuleNumber>,
    );
    let mut groups: BTreeMap<Key, Vec<Effect>> = BTreeMap::new();
    for effect in effects {
        let key = (
            effect.kind,
            effect.addresses.clone(),
            effect.baseline_rule,
            effect.live_rule,
        );
        groups.entry(key).or_default().push(effect);
    }
    let mut merged = Vec::new();
    for (_, group) in groups {
        let whole = group.iter().filter(|effect| full(&effect.service)).count();
        if whole == classes {
            let mut all = group[0].clone();
            all.service = Service::All;
            merged.push(all);
            merged.extend(group.into_iter().filter(|effect| !full(&effect.service)));
        } else {
            merged.extend(group);
        }
    }
    merged
}
