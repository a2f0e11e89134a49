//! What the analysis finds: boxes of traffic whose fate changed, each with
//! its protocols and ports (or ICMP types and codes), its addresses, and
//! the rules that decide it before and after.

use std::fmt;

use nacl_drift_model::{Direction, Protocol, RuleNumber};

use crate::addresses::AddressSet;

/// Whether traffic is newly let through, or newly stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EffectKind {
    /// Denied by the baseline, allowed now: exposure.
    NewlyAllowed,
    /// Allowed by the baseline, denied now: disruption.
    NewlyDenied,
}

/// The protocols and ports (or ICMP types and codes) of a box of traffic.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Service {
    /// Every protocol.
    All,
    /// tcp or udp, on an inclusive port range.
    Ports {
        /// tcp or udp.
        protocol: Protocol,
        /// The first port.
        from: u16,
        /// The last port.
        to: u16,
    },
    /// icmp or icmpv6, on inclusive type and code ranges.
    Icmp {
        /// icmp or icmpv6.
        protocol: Protocol,
        /// The first and last ICMP type.
        types: (u8, u8),
        /// The first and last ICMP code.
        codes: (u8, u8),
    },
    /// One whole protocol that has neither ports nor ICMP types.
    Protocol(Protocol),
    /// Every protocol that no rule names (only "all" rules reach them).
    Unnamed {
        /// The protocol numbers some rule names, sorted: not in this box.
        named: Vec<u8>,
    },
}

impl Service {
    /// Whether a packet of `protocol` to `port` (or of ICMP `icmp_type` and
    /// `code`) is part of this service.
    pub fn matches(&self, protocol: u8, port: u16, icmp_type: u8, code: u8) -> bool {
        match self {
            Service::All => true,
            Service::Ports {
                protocol: p,
                from,
                to,
            } => number(*p) == protocol && (*from..=*to).contains(&port),
            Service::Icmp {
                protocol: p,
                types,
                codes,
            } => {
                number(*p) == protocol
                    && (types.0..=types.1).contains(&icmp_type)
                    && (codes.0..=codes.1).contains(&code)
            }
            Service::Protocol(p) => number(*p) == protocol,
            Service::Unnamed { named } => !named.contains(&protocol),
        }
    }
}

impl Service {
    /// The packets of both services; `None` when they share none.
    pub fn intersection(&self, other: &Service) -> Option<Service> {
        let span = |a: (u8, u8), b: (u8, u8)| {
            (a.0 <= b.1 && b.0 <= a.1).then(|| (a.0.max(b.0), a.1.min(b.1)))
        };
        match (self, other) {
            (Service::All, service) | (service, Service::All) => Some(service.clone()),
            (Service::Unnamed { named: a }, Service::Unnamed { named: b }) => {
                let mut named: Vec<u8> = a.iter().chain(b).copied().collect();
                named.sort_unstable();
                named.dedup();
                (named.len() < 256).then_some(Service::Unnamed { named })
            }
            (Service::Unnamed { named }, service) | (service, Service::Unnamed { named }) => {
                service
                    .protocol()
                    .filter(|p| !named.contains(p))
                    .map(|_| service.clone())
            }
            (
                Service::Ports {
                    protocol: p,
                    from: a,
                    to: b,
                },
                Service::Ports {
                    protocol: q,
                    from: c,
                    to: d,
                },
            ) => (p == q && a <= d && c <= b).then(|| Service::Ports {
                protocol: *p,
                from: *a.max(c),
                to: *b.min(d),
            }),
            (
                Service::Icmp {
                    protocol: p,
                    types: t1,
                    codes: c1,
                },
                Service::Icmp {
                    protocol: q,
                    types: t2,
                    codes: c2,
                },
            ) if p == q => Some(Service::Icmp {
                protocol: *p,
                types: span(*t1, *t2)?,
                codes: span(*c1, *c2)?,
            }),
            (a, b) => (a.protocol().is_some() && a.protocol() == b.protocol()).then(|| a.clone()),
        }
    }

    /// The protocol number of a single-protocol service.
    pub fn protocol(&self) -> Option<u8> {
        match self {
            Service::Ports { protocol, .. }
            | Service::Icmp { protocol, .. }
            | Service::Protocol(protocol) => Some(number(*protocol)),
            Service::All | Service::Unnamed { .. } => None,
        }
    }
}

impl fmt::Display for Service {
    /// `tcp 22`, `udp 1024-65535`, `icmp type 3 code 4`, `all traffic`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let range = |(low, high): (u8, u8)| match (low, high) {
            (0, 255) => "any".to_owned(),
            (l, h) if l == h => l.to_string(),
            (l, h) => format!("{l}-{h}"),
        };
        match self {
            Service::All => f.write_str("all traffic"),
            Service::Ports {
                protocol,
                from: 0,
                to: 65535,
            } => write!(f, "{protocol} all ports"),
            Service::Ports { protocol, from, to } if from == to => write!(f, "{protocol} {from}"),
            Service::Ports { protocol, from, to } => write!(f, "{protocol} {from}-{to}"),
            Service::Icmp {
                protocol,
                types: (0, 255),
                codes: (0, 255),
            } => write!(f, "{protocol} any type"),
            Service::Icmp {
                protocol,
                types,
                codes,
            } => {
                write!(
                    f,
                    "{protocol} type {} code {}",
                    range(*types),
                    range(*codes)
                )
            }
            Service::Protocol(protocol) => write!(f, "protocol {protocol}"),
            Service::Unnamed { named } if named.is_empty() => f.write_str("all traffic"),
            Service::Unnamed { named } => {
                let named: Vec<String> = named
                    .iter()
                    .map(|&p| Protocol::from_number(p).to_string())
                    .collect();
                write!(f, "all protocols but {}", named.join(", "))
            }
        }
    }
}

fn number(protocol: Protocol) -> u8 {
    match protocol {
        Protocol::Tcp => 6,
        Protocol::Udp => 17,
        Protocol::Icmp => 1,
        Protocol::Icmpv6 => 58,
        Protocol::Number(n) => n,
        // "All" is never the protocol of one class.
        Protocol::All => 0,
    }
}

/// One box of traffic whose fate changed, and the rules that decide it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Effect {
    /// Ingress or egress.
    pub direction: Direction,
    /// Newly allowed (exposure) or newly denied (disruption).
    pub kind: EffectKind,
    /// The protocols and ports, or ICMP types and codes.
    pub service: Service,
    /// The remote addresses: sources for ingress, destinations for egress.
    pub addresses: AddressSet,
    /// The baseline's deciding rule; `None` is the final implicit deny.
    pub baseline_rule: Option<RuleNumber>,
    /// The live deciding rule; `None` is the final implicit deny.
    pub live_rule: Option<RuleNumber>,
}

impl Effect {
    /// The packets in both boxes, with this box's kind and rules; `None`
    /// when they share none.
    pub fn intersection(&self, other: &Effect) -> Option<Effect> {
        if self.direction != other.direction {
            return None;
        }
        Some(Effect {
            service: self.service.intersection(&other.service)?,
            addresses: self.addresses.intersection(&other.addresses)?,
            ..self.clone()
        })
    }

    /// The traffic alone: `ingress tcp 22 from 0.0.0.0/0 except 10.0.0.0/16`.
    pub fn traffic(&self) -> String {
        let preposition = match self.direction {
            Direction::Ingress => "from",
            Direction::Egress => "to",
        };
        format!(
            "{} {} {preposition} {}",
            self.direction, self.service, self.addresses
        )
    }
}

impl fmt::Display for Effect {
    /// `ingress tcp 22 from 0.0.0.0/0 except 10.0.0.0/16: was denied by rule
    /// 80, now allowed by rule 100`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let rule = |number: Option<RuleNumber>| match number {
            Some(number) => format!("rule {number}"),
            None => "the default deny".to_owned(),
        };
        let (was, now) = match self.kind {
            EffectKind::NewlyAllowed => ("denied", "allowed"),
            EffectKind::NewlyDenied => ("allowed", "denied"),
        };
        write!(
            f,
            "{}: was {was} by {}, now {now} by {}",
            self.traffic(),
            rule(self.baseline_rule),
            rule(self.live_rule)
        )
    }
}
