//! How bad a change is for the traffic it lets through or stops.

use nacl_drift_model::Direction;
use serde::Serialize;

use crate::policy::{Effect, EffectKind, Service};

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
    /// Traffic newly allowed from (or, egress, to) a non-private address.
    High,
    /// Inbound traffic newly allowed from a non-private source to all ports,
    /// or to an administrative or database port.
    Critical,
}

impl Severity {
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
    pub fn severity(&self) -> Severity {
        match (self.kind, self.direction) {
            (EffectKind::NewlyDenied, _) => Severity::Medium,
            (EffectKind::NewlyAllowed, _) if !self.addresses.has_public() => Severity::Medium,
            (EffectKind::NewlyAllowed, Direction::Ingress) if reaches_sensitive(&self.service) => {
                Severity::Critical
            }
            (EffectKind::NewlyAllowed, _) => Severity::High,
        }
    }
}

/// The sensitive ports a service reaches, in the order of [`SENSITIVE_PORTS`].
pub fn sensitive_ports(service: &Service) -> Vec<u16> {
    match service {
        Service::All => SENSITIVE_PORTS.to_vec(),
        Service::Ports { from, to, .. } => SENSITIVE_PORTS
            .iter()
            .copied()
            .filter(|port| (from..=to).contains(&port))
            .collect(),
        _ => Vec::new(),
    }
}

/// Whether the service is every port, or includes a sensitive one.
pub fn reaches_sensitive(service: &Service) -> bool {
    match service {
        Service::All => true,
        Service::Ports { from, to, .. } => {
            (*from == 0 && *to == 65535)
                || SENSITIVE_PORTS
                    .iter()
                    .any(|port| (from..=to).contains(&port))
        }
        _ => false,
    }
}
