//! How bad a change is for the traffic it lets through or stops.

use nacl_drift_model::Direction;
use serde::Serialize;

use crate::effect::{Effect, EffectKind, Service};

/// Ordered: `Low < Medium < High < Critical`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Tags only, or no effective change on traffic.
    #[default]
    Low,
    /// Traffic newly denied (a service is disrupted), or newly allowed only
    /// between private addresses.
    Medium,
    /// Traffic newly allowed from (or, egress, to) a non-private address;
    /// inbound from a narrow public source (no wider than a /8 or an IPv6
    /// /32) even to an administrative or database port.
    High,
    /// Inbound traffic newly allowed from the internet (public sources
    /// wider than a /8, or an IPv6 /32) to all ports, or to an
    /// administrative or database port.
    Critical,
}

impl Severity {
    /// The severity as reports write it: `critical`, `high`, `medium`, `low`.
    pub fn label(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl std::str::FromStr for Severity {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        match text.to_ascii_lowercase().as_str() {
            "low" => Ok(Severity::Low),
            "medium" => Ok(Severity::Medium),
            "high" => Ok(Severity::High),
            "critical" => Ok(Severity::Critical),
            _ => Err(format!(
                "`{text}` is not a severity: expected critical, high, medium or low"
            )),
        }
    }
}

/// Ports whose exposure to the internet is critical: remote administration
/// (SSH, Telnet, RDP, VNC, Docker), databases and caches, file sharing.
pub const SENSITIVE_PORTS: [u16; 20] = [
    22, 23, 3389, 5900, 3306, 5432, 1433, 1521, 6379, 9200, 11211, 27017, 2375, 2376, 5984, 9042,
    2049, 445, 135, 139,
];

impl Effect {
    /// How bad this box of traffic is: see [`Severity`]. It follows from the
    /// packets in the box, whatever the box's shape.
    pub fn severity(&self) -> Severity {
        match (self.kind, self.direction) {
            (EffectKind::NewlyDenied, _) => Severity::Medium,
            (EffectKind::NewlyAllowed, _) if !self.addresses.has_public() => Severity::Medium,
            (EffectKind::NewlyAllowed, Direction::Ingress)
                if reaches_sensitive(&self.service) && self.addresses.is_internet() =>
            {
                Severity::Critical
            }
            (EffectKind::NewlyAllowed, _) => Severity::High,
        }
    }
}

/// The IANA numbers of the protocols that have ports: tcp and udp.
const PORT_PROTOCOLS: [u8; 2] = [6, 17];

/// The tcp or udp ports of `protocol` that a service holds, as one range;
/// `None` when it holds none. Read from the packets, whatever the shape of
/// the service: "every protocol but icmp" holds every tcp port.
fn port_span(service: &Service, protocol: u8) -> Option<(u16, u16)> {
    match service {
        Service::Ports { from, to, .. } => service
            .matches(protocol, *from, 0, 0)
            .then_some((*from, *to)),
        _ => service.matches(protocol, 0, 0, 0).then_some((0, 65535)),
    }
}

/// The sensitive ports a service reaches over tcp or udp, in the order of
/// [`SENSITIVE_PORTS`].
pub fn sensitive_ports(service: &Service) -> Vec<u16> {
    let spans: Vec<(u16, u16)> = PORT_PROTOCOLS
        .iter()
        .filter_map(|&protocol| port_span(service, protocol))
        .collect();
    SENSITIVE_PORTS
        .iter()
        .copied()
        .filter(|port| spans.iter().any(|(from, to)| (from..=to).contains(&port)))
        .collect()
}

/// Whether the service holds every port of tcp or udp, or a sensitive one.
pub fn reaches_sensitive(service: &Service) -> bool {
    PORT_PROTOCOLS.iter().any(|&protocol| {
        port_span(service, protocol).is_some_and(|(from, to)| {
            (from == 0 && to == 65535)
                || SENSITIVE_PORTS
                    .iter()
                    .any(|port| (from..=to).contains(port))
        })
    })
}
