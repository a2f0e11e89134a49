//! For one traffic effect of one NACL: the interfaces it newly exposes
//! (with the security group rule that admits the flow and the effective
//! source), those it would expose but for a blocked reply or an unexpanded
//! prefix list, or those it cuts off.

use std::collections::{BTreeMap, BTreeSet};

use nacl_drift_analysis::{AddressSet, Effect, EffectKind, Family, Service, traffic_difference};
use nacl_drift_model::{
    Cidr, Direction, Entry, EntryKey, InterfaceId, PrefixListId, Protocol, RouteTableId,
    SecurityGroupId, SubnetId,
};
use serde::{Serialize, Serializer};

use crate::{Assets, GroupRule, Interface, Owner, RouteTable, Source};

/// The ports a client's reply goes back to: the ephemeral range of every
/// common system (Linux's 32768-60999, Windows' 49152-65535, NAT and
/// load balancers' 1024-65535) lies within it.
pub const EPHEMERAL_PORTS: (u16, u16) = (1024, 65535);

/// The interfaces behind one traffic effect.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct EffectAssets {
    /// Newly reachable from the effect's public sources.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub exposed: Vec<Exposed>,
    /// Would be reachable, but are not, or cannot be told: why.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub not_exposed: Vec<NotExposed>,
    /// Losing traffic they were admitted before (a newly denied effect).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cut_off: Vec<Reached>,
    /// The effect newly denies traffic: it can cut off, never expose.
    #[serde(skip)]
    pub denies: bool,
}

impl EffectAssets {
    /// The interfaces it cannot tell about, with why.
    pub fn unknown(&self) -> impl Iterator<Item = &NotExposed> {
        self.not_exposed.iter().filter(|not| not.why.is_unknown())
    }
}

/// An interface, and what it belongs to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Reached {
    /// The interface.
    pub interface_id: InterfaceId,
    /// What it belongs to.
    pub owner: Owner,
    /// Its private IPv4 addresses.
    pub private_ipv4: Vec<std::net::Ipv4Addr>,
    /// Its public IPv4 addresses.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub public_ipv4: Vec<std::net::Ipv4Addr>,
    /// Its IPv6 addresses.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ipv6: Vec<std::net::Ipv6Addr>,
}

/// An interface the effect newly exposes, and the rules that admit it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Exposed {
    /// The interface.
    #[serde(flatten)]
    pub interface: Reached,
    /// Each security group rule that admits some of the flow, with what of
    /// it gets through.
    pub admitted_by: Vec<Admission>,
}

/// A security group rule that admits part of an exposing flow.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Admission {
    /// The group.
    pub security_group_id: SecurityGroupId,
    /// The rule, in words: `tcp 22 from 203.0.113.0/24`.
    pub rule: String,
    /// The protocols and ports that reach the interface.
    #[serde(serialize_with = "in_words")]
    pub service: Service,
    /// The effective source: the effect's sources that the route table
    /// sends to the internet gateway, the rule admits, and the NACL lets
    /// the reply go back to.
    #[serde(serialize_with = "as_cidrs")]
    pub sources: AddressSet,
}

/// An interface that the effect would expose, and why it does not (or why
/// that cannot be told).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NotExposed {
    /// The interface.
    #[serde(flatten)]
    pub interface: Reached,
    /// Why.
    pub why: Why,
}

/// Why a rule that admits an exposing flow does not expose its interface.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum Why {
    /// The NACL's egress blocks the reply (NACLs are stateless), so no
    /// connection completes.
    ReplyBlocked {
        /// The group whose rule admits the flow.
        security_group_id: SecurityGroupId,
        /// The rule.
        rule: String,
    },
    /// The rule's source is a managed prefix list whose entries were not
    /// read: it may admit the flow. Never guessed.
    UnexpandedPrefixList {
        /// The group.
        security_group_id: SecurityGroupId,
        /// The list.
        prefix_list_id: PrefixListId,
    },
    /// A security group of the interface was not read (an export lacks
    /// it, or it belongs to another account, as in a shared VPC): it may
    /// admit the flow.
    UnknownSecurityGroup {
        /// The group.
        security_group_id: SecurityGroupId,
    },
    /// A rule of a security group of the interface could not be read: it
    /// may admit the flow.
    UnreadableRule {
        /// The group.
        security_group_id: SecurityGroupId,
        /// The rule, as described.
        rule: String,
    },
    /// No route table of the interface's subnet (nor a main one of its
    /// VPC) was read: the flow may be routed from the internet.
    UnknownRouteTable,
    /// The interface has no security group (a Network Load Balancer's):
    /// its listeners decide what reaches it, and they are not read.
    NoSecurityGroup,
    /// A route of the interface's route table goes to a managed prefix
    /// list whose entries were not read: it may route the flow elsewhere.
    UnexpandedRoutePrefixList {
        /// The route table.
        route_table_id: RouteTableId,
        /// The list.
        prefix_list_id: PrefixListId,
    },
}

impl Why {
    /// Whether this says "cannot tell" rather than "no".
    pub fn is_unknown(&self) -> bool {
        !matches!(self, Why::ReplyBlocked { .. })
    }

    /// In a few words: `security group sg-0a1b not read`.
    pub fn in_words(&self) -> String {
        match self {
            Why::ReplyBlocked {
                security_group_id,
                rule,
            } => format!("{security_group_id} admits {rule}, but the NACL blocks the reply"),
            Why::UnexpandedPrefixList {
                security_group_id,
                prefix_list_id,
            } => format!("prefix list {prefix_list_id} of {security_group_id} not read"),
            Why::UnknownSecurityGroup { security_group_id } => {
                format!("security group {security_group_id} not read")
            }
            Why::UnreadableRule {
                security_group_id,
                rule,
            } => format!("a rule of {security_group_id} could not be read: {rule}"),
            Why::UnknownRouteTable => "no route table read".to_owned(),
            Why::UnexpandedRoutePrefixList {
                route_table_id,
                prefix_list_id,
            } => format!(
                "route table {route_table_id} routes prefix list {prefix_list_id}, not read"
            ),
            Why::NoSecurityGroup => "no security group: its listeners decide".to_owned(),
        }
    }
}

fn in_words<S: Serializer>(service: &Service, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(service)
}

/// `{"cidrs": [...], "except_cidrs": [...]}`, as the report writes an
/// effect's addresses.
fn as_cidrs<S: Serializer>(addresses: &AddressSet, serializer: S) -> Result<S::Ok, S::Error> {
    #[derive(Serialize)]
    struct Cidrs {
        cidrs: Vec<Cidr>,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        except_cidrs: Vec<Cidr>,
    }
    let (cidrs, except_cidrs) = addresses.summary();
    Cidrs {
        cidrs,
        except_cidrs,
    }
    .serialize(serializer)
}

/// The entries of a NACL on both sides of a drift: the baseline's (for a
/// moved subnet, the NACL it left) and the live ones (the NACL it is on).
#[derive(Clone, Copy, Debug)]
pub struct Sides<'a> {
    /// As the baseline has them.
    pub baseline: &'a BTreeMap<EntryKey, Entry>,
    /// As they are live.
    pub live: &'a BTreeMap<EntryKey, Entry>,
}

/// The interfaces behind `effect`, an effect of a NACL whose entries are
/// `sides` and whose subnets (live, and on it in the baseline too: a
/// subnet that moved in is judged by its own move) are `subnets`; `None`
/// for an effect that reaches no interface by its nature: a newly allowed
/// flow to or from private addresses only.
pub fn assets_of(
    effect: &Effect,
    subnets: &BTreeSet<SubnetId>,
    sides: Sides<'_>,
    assets: &Assets,
) -> Option<EffectAssets> {
    let behind: Vec<&Interface> = assets
        .interfaces
        .iter()
        .filter(|interface| subnets.contains(&interface.subnet_id))
        .collect();
    assets_behind(effect, &behind, sides, assets)
}

/// The same for the interfaces `behind` the NACL (those of its subnets,
/// found once with [`Assets::by_subnet`] for many effects).
pub fn assets_behind(
    effect: &Effect,
    behind: &[&Interface],
    sides: Sides<'_>,
    assets: &Assets,
) -> Option<EffectAssets> {
    match (effect.kind, effect.direction) {
        (EffectKind::NewlyAllowed, _) if !effect.addresses.has_public() => None,
        (EffectKind::NewlyAllowed, Direction::Ingress) => {
            let opening = Opening::inbound(effect, sides.live);
            Some(exposure(effect, behind, &opening, assets))
        }
        (EffectKind::NewlyAllowed, Direction::Egress) => {
            let opening = Opening::replies(effect, sides)?;
            Some(exposure(effect, behind, &opening, assets))
        }
        (EffectKind::NewlyDenied, Direction::Ingress) => Some(EffectAssets {
            cut_off: behind
                .iter()
                .filter(|interface| admits_any(interface, effect, assets))
                .map(|interface| reached(interface))
                .collect(),
            denies: true,
            ..EffectAssets::default()
        }),
        (EffectKind::NewlyDenied, Direction::Egress) => Some(EffectAssets {
            cut_off: behind.iter().map(|interface| reached(interface)).collect(),
            denies: true,
            ..EffectAssets::default()
        }),
    }
}

/// What a newly allowed effect opens, for a security group rule to admit.
enum Opening<'a> {
    /// Newly allowed inbound flows: the NACL's live egress must let their
    /// replies out (`replies`, the boxes it allows).
    Inbound {
        effect: &'a Effect,
        replies: Vec<Effect>,
    },
    /// Newly allowed replies (`effect`, outbound): the inbound flows that
    /// the ingress allowed on both sides (`admitted`, boxes), whose replies
    /// the baseline's egress let out to no ephemeral port (`before`, the
    /// boxes it allowed), now reach the interface. An egress allow to the
    /// ephemeral ports does that.
    Replies {
        effect: &'a Effect,
        forward: Service,
        admitted: Vec<Effect>,
        before: Vec<Effect>,
        atoms: Vec<Service>,
    },
}

impl<'a> Opening<'a> {
    fn inbound(effect: &'a Effect, live: &BTreeMap<EntryKey, Entry>) -> Self {
        Opening::Inbound {
            effect,
            replies: allowed(Direction::Egress, live, effect.addresses.family),
        }
    }

    /// `None` when the outbound box carries no reply (tcp or udp to no
    /// ephemeral port).
    fn replies(effect: &'a Effect, sides: Sides<'_>) -> Option<Self> {
        let family = effect.addresses.family;
        let live_in = allowed(Direction::Ingress, sides.live, family);
        let baseline_in = allowed(Direction::Ingress, sides.baseline, family);
        let admitted: Vec<Effect> = live_in
            .iter()
            .flat_map(|live| {
                baseline_in
                    .iter()
                    .filter_map(|base| live.intersection(base))
            })
            .collect();
        let before = allowed(Direction::Egress, sides.baseline, family);
        let atoms = protocol_atoms(
            admitted
                .iter()
                .chain(&before)
                .map(|found| &found.service)
                .chain([&effect.service]),
        );
        Some(Opening::Replies {
            effect,
            forward: forward_of(&effect.service)?,
            admitted,
            before,
            atoms,
        })
    }

    /// The part of a group rule's `service` this opening can admit.
    fn service(&self, service: &Service) -> Option<Service> {
        match self {
            Opening::Inbound { effect, .. } => effect.service.intersection(service),
            Opening::Replies { forward, .. } => forward.intersection(service),
        }
    }

    /// The flows of `service` (from [`Opening::service`]) from `sources`
    /// (which the route table and the rule admit) that newly reach the
    /// interface.
    fn through(&self, service: &Service, sources: &AddressSet) -> Vec<(Service, AddressSet)> {
        match self {
            Opening::Inbound { replies, .. } => replied(service, sources, replies),
            Opening::Replies {
                effect,
                admitted,
                before,
                atoms,
                ..
            } => {
                let Some(sources) = sources.intersection(&effect.addresses) else {
                    return Vec::new();
                };
                let mut through: Vec<(Service, AddressSet)> = Vec::new();
                for inbound in admitted {
                    let (Some(service), Some(sources)) = (
                        service.intersection(&inbound.service),
                        sources.intersection(&inbound.addresses),
                    ) else {
                        continue;
                    };
                    for atom in atoms {
                        let Some(piece) = service.intersection(atom) else {
                            continue;
                        };
                        // What the baseline's egress already answered.
                        let answered = replied(&piece, &sources, before)
                            .into_iter()
                            .filter(|(answered, _)| *answered == piece)
                            .fold(AddressSet::none(sources.family), |all, (_, more)| {
                                all.union(&more)
                            });
                        let newly = sources.without(&answered);
                        if newly.is_empty() {
                            continue;
                        }
                        match through.iter_mut().find(|(known, _)| *known == piece) {
                            Some((_, known)) => *known = known.union(&newly),
                            None => through.push((piece, newly)),
                        }
                    }
                }
                through
            }
        }
    }
}

/// Every box of `family` that `entries` allow in `direction`.
fn allowed(
    direction: Direction,
    entries: &BTreeMap<EntryKey, Entry>,
    family: Family,
) -> Vec<Effect> {
    traffic_difference(direction, &BTreeMap::new(), entries)
        .into_iter()
        .filter(|found| found.addresses.family == family)
        .collect()
}

/// Services that cut every protocol into pieces no reply box splits: tcp,
/// udp, icmp and icmpv6 whole, each other protocol that `services` name,
/// and all the rest.
fn protocol_atoms<'s>(services: impl Iterator<Item = &'s Service>) -> Vec<Service> {
    let mut named: BTreeSet<u8> = BTreeSet::from([1, 6, 17, 58]);
    for service in services {
        match service {
            Service::Unnamed { named: more } => named.extend(more),
            single => named.extend(single.protocol()),
        }
    }
    let whole = |protocol| Service::Ports {
        protocol,
        from: 0,
        to: 65535,
    };
    let icmp = |protocol| Service::Icmp {
        protocol,
        types: (0, 255),
        codes: (0, 255),
    };
    let mut atoms = vec![
        whole(Protocol::Tcp),
        whole(Protocol::Udp),
        icmp(Protocol::Icmp),
        icmp(Protocol::Icmpv6),
    ];
    atoms.extend(
        named
            .iter()
            .filter(|number| ![1, 6, 17, 58].contains(*number))
            .map(|&number| Service::Protocol(Protocol::from_number(number))),
    );
    atoms.push(Service::Unnamed {
        named: named.into_iter().collect(),
    });
    atoms
}

fn reached(interface: &Interface) -> Reached {
    Reached {
        interface_id: interface.id.clone(),
        owner: interface.owner.clone(),
        private_ipv4: interface.private_ipv4.clone(),
        public_ipv4: interface.public_ipv4.clone(),
        ipv6: interface.ipv6.clone(),
    }
}

/// The newly allowed `effect` (inbound flows, or their replies), from or
/// to some public addresses, against the interfaces `behind` the NACL.
fn exposure(
    effect: &Effect,
    behind: &[&Interface],
    opening: &Opening<'_>,
    assets: &Assets,
) -> EffectAssets {
    let family = effect.addresses.family;
    let public = effect.addresses.public_addresses();
    let mut found = EffectAssets::default();
    for interface in behind {
        let addressed = match family {
            Family::V4 => !interface.public_ipv4.is_empty(),
            Family::V6 => !interface.ipv6.is_empty(),
        };
        if !addressed {
            continue;
        }
        let unknown = |why| NotExposed {
            interface: reached(interface),
            why,
        };
        let Some(table) = route_table_of(interface, &assets.route_tables) else {
            found.not_exposed.push(unknown(Why::UnknownRouteTable));
            continue;
        };
        let routed = match internet_sources(table, family, &assets.prefix_lists) {
            Ok(routed) => routed.intersection(&public),
            Err(list) => {
                found
                    .not_exposed
                    .push(unknown(Why::UnexpandedRoutePrefixList {
                        route_table_id: table.id.clone(),
                        prefix_list_id: list.clone(),
                    }));
                continue;
            }
        };
        let Some(routed) = routed else {
            continue;
        };
        if interface.security_groups.is_empty() {
            found.not_exposed.push(unknown(Why::NoSecurityGroup));
            continue;
        }
        let mut admissions = Vec::new();
        let mut why_not: Vec<Why> = interface
            .security_groups
            .iter()
            .filter(|id| !assets.security_groups.contains_key(*id))
            .map(|id| Why::UnknownSecurityGroup {
                security_group_id: id.clone(),
            })
            .chain(
                interface
                    .security_groups
                    .iter()
                    .filter_map(|id| assets.security_groups.get(id))
                    .flat_map(|group| {
                        group.unreadable.iter().map(|rule| Why::UnreadableRule {
                            security_group_id: group.id.clone(),
                            rule: rule.clone(),
                        })
                    }),
            )
            .collect();
        for (group, rule) in rules_of(interface, assets) {
            let Some(service) = opening.service(&rule.service) else {
                continue;
            };
            let admitted = match &rule.source {
                Source::Cidr(cidr) => routed.intersection(&AddressSet::of_cidr(cidr)),
                Source::Group(_) => None,
                Source::PrefixList(list) => match assets.prefix_lists.get(list) {
                    Some(cidrs) => cidrs
                        .iter()
                        .filter_map(|cidr| routed.intersection(&AddressSet::of_cidr(cidr)))
                        .reduce(|all, more| all.union(&more)),
                    None => {
                        why_not.push(Why::UnexpandedPrefixList {
                            security_group_id: group.clone(),
                            prefix_list_id: list.clone(),
                        });
                        continue;
                    }
                },
            };
            let Some(admitted) = admitted else { continue };
            let through = opening.through(&service, &admitted);
            if through.is_empty() && matches!(opening, Opening::Inbound { .. }) {
                why_not.push(Why::ReplyBlocked {
                    security_group_id: group.clone(),
                    rule: rule.to_string(),
                });
            }
            admissions.extend(through.into_iter().map(|(service, sources)| Admission {
                security_group_id: group.clone(),
                rule: rule.to_string(),
                service,
                sources,
            }));
        }
        if !admissions.is_empty() {
            found.exposed.push(Exposed {
                interface: reached(interface),
                admitted_by: admissions,
            });
        } else {
            found
                .not_exposed
                .extend(why_not.into_iter().map(|why| NotExposed {
                    interface: reached(interface),
                    why,
                }));
        }
    }
    found
}

/// The parts of the flow `service` from `sources` whose replies the
/// NACL's egress (`replies`, the boxes it allows) lets out: for tcp and
/// udp, to some ephemeral port; for any other protocol, at all.
fn replied(
    service: &Service,
    sources: &AddressSet,
    replies: &[Effect],
) -> Vec<(Service, AddressSet)> {
    let mut through: Vec<(Service, AddressSet)> = Vec::new();
    for reply in replies {
        let Some(forward) = forward_of(&reply.service) else {
            continue;
        };
        let (Some(service), Some(sources)) = (
            service.intersection(&forward),
            sources.intersection(&reply.addresses),
        ) else {
            continue;
        };
        match through.iter_mut().find(|(known, _)| *known == service) {
            Some((_, known)) => *known = known.union(&sources),
            None => through.push((service, sources)),
        }
    }
    through
}

/// The inbound flows whose reply the outbound box `reply` lets out: for a
/// tcp or udp box that allows some ephemeral port, every port of that
/// protocol; for any other box, its protocols. `None`: no reply fits it.
fn forward_of(reply: &Service) -> Option<Service> {
    match reply {
        Service::Ports { protocol, from, to } => {
            let (low, high) = EPHEMERAL_PORTS;
            (*from <= high && low <= *to).then_some(Service::Ports {
                protocol: *protocol,
                from: 0,
                to: 65535,
            })
        }
        Service::Icmp { protocol, .. } => Some(Service::Icmp {
            protocol: *protocol,
            types: (0, 255),
            codes: (0, 255),
        }),
        other => Some(other.clone()),
    }
}

/// The route table of `interface`'s subnet: its explicit association, else
/// its VPC's main table.
fn route_table_of<'a>(interface: &Interface, tables: &'a [RouteTable]) -> Option<&'a RouteTable> {
    tables
        .iter()
        .find(|table| table.subnet_ids.contains(&interface.subnet_id))
        .or_else(|| {
            tables
                .iter()
                .find(|table| table.main && table.vpc_id == interface.vpc_id)
        })
}

/// The addresses of `family` whose most specific route in `table` goes to
/// an internet gateway: the sources whose packets can come in from the
/// internet and whose replies go back out there. A route to a managed
/// prefix list counts as one route per entry of the list (`lists`); at the
/// same prefix, a route to a CIDR wins (the VPC guide's route priority).
/// `Err`: a list whose entries were not read.
pub(crate) fn internet_sources<'t>(
    table: &'t RouteTable,
    family: Family,
    lists: &BTreeMap<PrefixListId, Vec<Cidr>>,
) -> Result<AddressSet, &'t PrefixListId> {
    let mut routes: Vec<(&Cidr, bool, bool)> = table
        .routes
        .iter()
        .map(|route| (&route.destination, route.to_internet_gateway, false))
        .collect();
    for route in &table.list_routes {
        let entries = lists.get(&route.prefix_list).ok_or(&route.prefix_list)?;
        routes.extend(
            entries
                .iter()
                .map(|entry| (entry, route.to_internet_gateway, true)),
        );
    }
    routes.retain(|(destination, ..)| Family::of(destination) == family);
    routes.sort_by_key(|(destination, _, from_list)| {
        (std::cmp::Reverse(prefix_len(destination)), *from_list)
    });
    let mut unrouted = AddressSet::new(family, vec![(0, family.max())]);
    let mut internet = AddressSet::none(family);
    for (destination, to_internet_gateway, _) in routes {
        let Some(covered) = unrouted.intersection(&AddressSet::of_cidr(destination)) else {
            continue;
        };
        unrouted = unrouted.without(&covered);
        if to_internet_gateway {
            internet = internet.union(&covered);
        }
    }
    Ok(internet)
}

fn prefix_len(cidr: &Cidr) -> u8 {
    match cidr {
        Cidr::V4(net) => net.prefix_len(),
        Cidr::V6(net) => net.prefix_len(),
    }
}

/// Every inbound rule of `interface`'s security groups, with its group.
fn rules_of<'a>(
    interface: &'a Interface,
    assets: &'a Assets,
) -> impl Iterator<Item = (&'a SecurityGroupId, &'a GroupRule)> {
    interface
        .security_groups
        .iter()
        .filter_map(|id| assets.security_groups.get(id))
        .flat_map(|group| group.ingress.iter().map(move |rule| (&group.id, rule)))
}

/// Whether a security group of `interface` admits some of `effect`'s
/// traffic: from one of its addresses by CIDR or prefix list, or, when it
/// holds private addresses, from a group's members.
fn admits_any(interface: &Interface, effect: &Effect, assets: &Assets) -> bool {
    let private = !effect
        .addresses
        .without(&effect.addresses.public_addresses())
        .is_empty();
    rules_of(interface, assets).any(|(_, rule)| {
        effect.service.intersection(&rule.service).is_some()
            && match &rule.source {
                Source::Cidr(cidr) => effect
                    .addresses
                    .intersection(&AddressSet::of_cidr(cidr))
                    .is_some(),
                Source::Group(_) => private,
                Source::PrefixList(list) => assets.prefix_lists.get(list).is_none_or(|cidrs| {
                    cidrs.iter().any(|cidr| {
                        effect
                            .addresses
                            .intersection(&AddressSet::of_cidr(cidr))
                            .is_some()
                    })
                }),
            }
    })
}
