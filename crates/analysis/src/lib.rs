//! Exact traffic analysis of network ACLs: what a change does to traffic.
//!
//! Pure functions over the model, with no AWS dependency. [`traffic_difference`] gives
//! the exact set of packets that one rule list denies and another allows
//! (exposure), and the reverse (disruption), as a few merged boxes with the
//! rules that decide them; an empty result means the change has no effect on
//! traffic. Each box has a [`Severity`]. [`lint`] checks one NACL on its own.
//!
//! Depends on: model; no AWS SDK, no I/O.

#![deny(missing_docs)]

mod addresses;
mod effect;
mod lint;
mod policy;
mod severity;

pub use addresses::{AddressSet, Family, INTERNET_PREFIX_V4, INTERNET_PREFIX_V6, cidr_range};
pub use effect::{Effect, EffectKind, Service};
pub use lint::{FindingKind, LintFinding, lint};
pub use policy::traffic_difference;
pub use severity::{SENSITIVE_PORTS, Severity, reaches_sensitive, sensitive_ports};
