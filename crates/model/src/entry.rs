//! NACL entries: the key that identifies one, and the content it holds.

use std::fmt;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::cidr::Cidr;

/// Which traffic an entry applies to. Each direction has its own rule numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Traffic into the subnet.
    Ingress,
    /// Traffic out of the subnet.
    Egress,
}

impl Direction {
    /// The value of EC2's `Egress` flag for this direction.
    pub fn is_egress(self) -> bool {
        self == Direction::Egress
    }

    /// The direction of EC2's `Egress` flag.
    pub fn from_egress(egress: bool) -> Self {
        if egress {
            Direction::Egress
        } else {
            Direction::Ingress
        }
    }
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Direction::Ingress => "ingress",
            Direction::Egress => "egress",
        })
    }
}

/// What an entry does with the traffic it matches.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    /// Lets the traffic through.
    Allow,
    /// Stops the traffic.
    Deny,
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Action::Allow => "allow",
            Action::Deny => "deny",
        })
    }
}

/// A user rule number, `1..=32766`. 32767 (IPv4) and 32768 (IPv6) are AWS's
/// read-only catch-all denies and are never baseline entries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct RuleNumber(u16);

impl RuleNumber {
    /// The highest user rule number.
    pub const MAX: u16 = 32766;

    /// A rule number, when it is one a baseline may hold.
    pub fn new(number: i64) -> Result<Self, EntryError> {
        match u16::try_from(number) {
            Ok(n @ 1..=Self::MAX) => Ok(RuleNumber(n)),
            _ => Err(EntryError::RuleNumberOutOfRange(number)),
        }
    }

    /// Whether `number` is one of AWS's catch-all deny rules (32767, 32768).
    pub fn is_catch_all(number: i64) -> bool {
        number == 32767 || number == 32768
    }

    /// The number.
    pub fn get(self) -> u16 {
        self.0
    }
}

impl fmt::Display for RuleNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl<'de> Deserialize<'de> for RuleNumber {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        RuleNumber::new(i64::deserialize(deserializer)?).map_err(de::Error::custom)
    }
}

/// Identifies an entry within its NACL: ingress and egress number separately.
/// Orders ingress before egress, then by rule number, as baselines list them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EntryKey {
    /// Ingress or egress.
    pub direction: Direction,
    /// The rule number, within the direction.
    pub rule_number: RuleNumber,
}

impl fmt::Display for EntryKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} rule {}", self.direction, self.rule_number)
    }
}

/// An IP protocol, named where it has a common name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Protocol {
    /// Every protocol (EC2's `-1`).
    All,
    /// tcp (6).
    Tcp,
    /// udp (17).
    Udp,
    /// icmp (1).
    Icmp,
    /// icmpv6 (58).
    Icmpv6,
    /// Any other IANA protocol number.
    Number(u8),
}

impl Protocol {
    /// Maps an IANA number to its named variant where there is one.
    pub fn from_number(number: u8) -> Self {
        match number {
            6 => Protocol::Tcp,
            17 => Protocol::Udp,
            1 => Protocol::Icmp,
            58 => Protocol::Icmpv6,
            n => Protocol::Number(n),
        }
    }

    /// Parses EC2's protocol string: `-1` for all, else an IANA number.
    /// Names are accepted too, since baselines use them.
    pub fn parse(text: &str) -> Result<Self, EntryError> {
        match text.trim().to_ascii_lowercase().as_str() {
            "-1" | "all" => Ok(Protocol::All),
            "tcp" => Ok(Protocol::Tcp),
            "udp" => Ok(Protocol::Udp),
            "icmp" => Ok(Protocol::Icmp),
            "icmpv6" => Ok(Protocol::Icmpv6),
            other => other
                .parse::<u8>()
                .map(Protocol::from_number)
                .map_err(|_| EntryError::UnknownProtocol(text.to_owned())),
        }
    }

    /// The protocol as EC2's API writes it: `-1` or an IANA number.
    pub fn api_code(self) -> String {
        match self {
            Protocol::All => "-1".to_owned(),
            Protocol::Tcp => "6".to_owned(),
            Protocol::Udp => "17".to_owned(),
            Protocol::Icmp => "1".to_owned(),
            Protocol::Icmpv6 => "58".to_owned(),
            Protocol::Number(n) => n.to_string(),
        }
    }

    /// Whether the protocol has ports: tcp and udp.
    pub fn has_ports(self) -> bool {
        matches!(self, Protocol::Tcp | Protocol::Udp)
    }

    /// Whether the protocol has an ICMP type and code: icmp and icmpv6.
    pub fn has_icmp_type_code(self) -> bool {
        matches!(self, Protocol::Icmp | Protocol::Icmpv6)
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Protocol::All => f.write_str("all"),
            Protocol::Tcp => f.write_str("tcp"),
            Protocol::Udp => f.write_str("udp"),
            Protocol::Icmp => f.write_str("icmp"),
            Protocol::Icmpv6 => f.write_str("icmpv6"),
            Protocol::Number(n) => n.fmt(f),
        }
    }
}

impl Serialize for Protocol {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Protocol::Number(n) => serializer.serialize_u8(*n),
            named => serializer.collect_str(named),
        }
    }
}

impl<'de> Deserialize<'de> for Protocol {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ProtocolVisitor;
        impl Visitor<'_> for ProtocolVisitor {
            type Value = Protocol;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a protocol: tcp, udp, icmp, icmpv6, all, or a number 0-255")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Protocol, E> {
                Protocol::parse(&v.to_string()).map_err(E::custom)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Protocol, E> {
                Protocol::parse(&v.to_string()).map_err(E::custom)
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Protocol, E> {
                Protocol::parse(v).map_err(E::custom)
            }
        }
        deserializer.deserialize_any(ProtocolVisitor)
    }
}

/// An inclusive tcp/udp port range. Written as `22` or `"1024-65535"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PortRange {
    from: u16,
    to: u16,
}

impl PortRange {
    /// Every port, 0-65535.
    pub const ALL: PortRange = PortRange { from: 0, to: 65535 };

    /// The ports `from` to `to`, inclusive; an error unless 0 <= from <= to <= 65535.
    pub fn new(from: i64, to: i64) -> Result<Self, EntryError> {
        match (u16::try_from(from), u16::try_from(to)) {
            (Ok(f), Ok(t)) if f <= t => Ok(PortRange { from: f, to: t }),
            _ => Err(EntryError::BadPortRange { from, to }),
        }
    }

    /// The first port.
    pub fn from(self) -> u16 {
        self.from
    }

    /// The last port.
    pub fn to(self) -> u16 {
        self.to
    }

    fn parse(text: &str) -> Result<Self, EntryError> {
        let bad = || EntryError::BadPortText(text.to_owned());
        let number = |s: &str| s.trim().parse::<i64>().map_err(|_| bad());
        match text.split_once('-') {
            Some((from, to)) => PortRange::new(number(from)?, number(to)?),
            None => {
                let port = number(text)?;
                PortRange::new(port, port)
            }
        }
    }
}

impl fmt::Display for PortRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.from == self.to {
            write!(f, "{}", self.from)
        } else {
            write!(f, "{}-{}", self.from, self.to)
        }
    }
}

impl Serialize for PortRange {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if self.from == self.to {
            serializer.serialize_u16(self.from)
        } else {
            serializer.collect_str(self)
        }
    }
}

impl<'de> Deserialize<'de> for PortRange {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct PortsVisitor;
        impl Visitor<'_> for PortsVisitor {
            type Value = PortRange;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a port (22) or an inclusive port range (\"1024-65535\")")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<PortRange, E> {
                PortRange::new(v, v).map_err(E::custom)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<PortRange, E> {
                self.visit_i64(i64::try_from(v).unwrap_or(i64::MAX))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<PortRange, E> {
                PortRange::parse(v).map_err(E::custom)
            }
        }
        deserializer.deserialize_any(PortsVisitor)
    }
}

/// An ICMP or ICMPv6 type and code; -1 means any.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "IcmpRecord", into = "IcmpRecord")]
pub struct IcmpTypeCode {
    icmp_type: i16,
    code: i16,
}

impl IcmpTypeCode {
    /// Every type and code.
    pub const ANY: IcmpTypeCode = IcmpTypeCode {
        icmp_type: -1,
        code: -1,
    };

    /// A type and code, each -1 (any) or 0-255.
    pub fn new(icmp_type: i64, code: i64) -> Result<Self, EntryError> {
        let valid = |v: i64| (-1..=255).contains(&v);
        if valid(icmp_type) && valid(code) {
            // Both are within -1..=255, so they fit an i16.
            Ok(IcmpTypeCode {
                icmp_type: icmp_type as i16,
                code: code as i16,
            })
        } else {
            Err(EntryError::BadIcmp { icmp_type, code })
        }
    }

    /// The type; -1 is any.
    pub fn icmp_type(self) -> i16 {
        self.icmp_type
    }

    /// The code; -1 is any.
    pub fn code(self) -> i16 {
        self.code
    }
}

impl fmt::Display for IcmpTypeCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let part = |v: i16| {
            if v == -1 {
                "any".to_owned()
            } else {
                v.to_string()
            }
        };
        write!(f, "type {} code {}", part(self.icmp_type), part(self.code))
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct IcmpRecord {
    #[serde(rename = "type")]
    icmp_type: i64,
    code: i64,
}

impl TryFrom<IcmpRecord> for IcmpTypeCode {
    type Error = EntryError;
    fn try_from(record: IcmpRecord) -> Result<Self, EntryError> {
        IcmpTypeCode::new(record.icmp_type, record.code)
    }
}

impl From<IcmpTypeCode> for IcmpRecord {
    fn from(icmp: IcmpTypeCode) -> Self {
        IcmpRecord {
            icmp_type: icmp.icmp_type.into(),
            code: icmp.code.into(),
        }
    }
}

/// The protocol an entry matches, with the fields that protocol has: ports
/// for tcp and udp, type and code for icmp and icmpv6, nothing otherwise.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Traffic {
    /// Every protocol.
    All,
    /// tcp, on a port range.
    Tcp(PortRange),
    /// udp, on a port range.
    Udp(PortRange),
    /// Its type and code; [`IcmpTypeCode::ANY`] when none was given, which
    /// matches every type and code the same way.
    Icmp(IcmpTypeCode),
    /// icmpv6, with its type and code.
    Icmpv6(IcmpTypeCode),
    /// Another IANA protocol (never 1, 6, 17 or 58).
    Other(u8),
}

impl Traffic {
    /// Builds the traffic of an entry, refusing fields its protocol lacks.
    /// An ICMP entry without a type and code matches every type and code:
    /// it is [`IcmpTypeCode::ANY`], so there is one form of "any" to compare.
    pub fn new(
        protocol: Protocol,
        ports: Option<PortRange>,
        icmp: Option<IcmpTypeCode>,
    ) -> Result<Self, EntryError> {
        if ports.is_some() && !protocol.has_ports() {
            return Err(EntryError::PortsWithoutPortProtocol(protocol));
        }
        if icmp.is_some() && !protocol.has_icmp_type_code() {
            return Err(EntryError::IcmpWithoutIcmpProtocol(protocol));
        }
        let ports = || ports.ok_or(EntryError::MissingPorts(protocol));
        Ok(match protocol {
            Protocol::All => Traffic::All,
            Protocol::Tcp => Traffic::Tcp(ports()?),
            Protocol::Udp => Traffic::Udp(ports()?),
            Protocol::Icmp => Traffic::Icmp(icmp.unwrap_or(IcmpTypeCode::ANY)),
            Protocol::Icmpv6 => Traffic::Icmpv6(icmp.unwrap_or(IcmpTypeCode::ANY)),
            Protocol::Number(n) => Traffic::Other(n),
        })
    }

    /// The protocol alone.
    pub fn protocol(self) -> Protocol {
        match self {
            Traffic::All => Protocol::All,
            Traffic::Tcp(_) => Protocol::Tcp,
            Traffic::Udp(_) => Protocol::Udp,
            Traffic::Icmp(_) => Protocol::Icmp,
            Traffic::Icmpv6(_) => Protocol::Icmpv6,
            Traffic::Other(n) => Protocol::Number(n),
        }
    }

    /// The port range, for tcp and udp.
    pub fn ports(self) -> Option<PortRange> {
        match self {
            Traffic::Tcp(ports) | Traffic::Udp(ports) => Some(ports),
            _ => None,
        }
    }

    /// The ICMP type and code, for icmp and icmpv6.
    pub fn icmp(self) -> Option<IcmpTypeCode> {
        match self {
            Traffic::Icmp(icmp) | Traffic::Icmpv6(icmp) => Some(icmp),
            _ => None,
        }
    }
}

impl fmt::Display for Traffic {
    /// Reads like `tcp 22`, `udp 1024-65535`, `icmp type 8 code any`,
    /// `icmp` (every type and code), `all`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.protocol())?;
        if let Some(ports) = self.ports() {
            if ports == PortRange::ALL {
                f.write_str(" all ports")?;
            } else {
                write!(f, " {ports}")?;
            }
        }
        if let Some(icmp) = self.icmp().filter(|&icmp| icmp != IcmpTypeCode::ANY) {
            write!(f, " {icmp}")?;
        }
        Ok(())
    }
}

/// The content of a NACL entry, valid as a whole.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Entry {
    action: Action,
    traffic: Traffic,
    cidr: Cidr,
}

impl Entry {
    /// An entry of parts that are each valid already.
    pub fn new(action: Action, traffic: Traffic, cidr: Cidr) -> Self {
        Entry {
            action,
            traffic,
            cidr,
        }
    }

    /// Builds an entry from the fields a baseline or EC2 gives, checking
    /// them as AWS does: an icmpv6 entry on an IPv6 CIDR must name its ICMP
    /// type and code (-1 for any).
    pub fn from_fields(
        action: Action,
        protocol: Protocol,
        ports: Option<PortRange>,
        icmp: Option<IcmpTypeCode>,
        cidr: Cidr,
    ) -> Result<Self, EntryError> {
        if protocol == Protocol::Icmpv6 && icmp.is_none() && cidr.is_ipv6() {
            return Err(EntryError::Icmpv6NeedsTypeCode);
        }
        Ok(Entry::new(
            action,
            Traffic::new(protocol, ports, icmp)?,
            cidr,
        ))
    }

    /// Allow or deny.
    pub fn action(&self) -> Action {
        self.action
    }

    /// The protocol, with its ports or ICMP type and code.
    pub fn traffic(&self) -> Traffic {
        self.traffic
    }

    /// The remote addresses: sources for ingress, destinations for egress.
    pub fn cidr(&self) -> Cidr {
        self.cidr
    }

    /// The entry as a sentence: `deny tcp 22 from 0.0.0.0/0`.
    pub fn describe(&self, direction: Direction) -> String {
        let preposition = match direction {
            Direction::Ingress => "from",
            Direction::Egress => "to",
        };
        format!(
            "{} {} {preposition} {}",
            self.action, self.traffic, self.cidr
        )
    }
}

/// Why an entry, or a part of one, is invalid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EntryError {
    /// A rule number outside 1..=32766.
    #[error(
        "rule number {0} is outside 1..=32766 (32767 and 32768 are AWS's read-only catch-all denies, which baselines leave out)"
    )]
    RuleNumberOutOfRange(i64),
    /// A protocol that is neither a known name nor a number.
    #[error("unknown protocol `{0}`: expected tcp, udp, icmp, icmpv6, all, or a number 0-255")]
    UnknownProtocol(String),
    /// Ports outside 0-65535, or out of order.
    #[error("port range {from}-{to} is invalid: ports are 0-65535, low to high")]
    BadPortRange {
        /// The first port, as given.
        from: i64,
        /// The last port, as given.
        to: i64,
    },
    /// Text that is not a port or a port range.
    #[error("`{0}` is not a port or port range (expected 22 or \"1024-65535\")")]
    BadPortText(String),
    /// An ICMP type or code outside -1..=255.
    #[error("ICMP type {icmp_type} code {code} is invalid: each is -1 (any) or 0-255")]
    BadIcmp {
        /// The ICMP type, as given.
        icmp_type: i64,
        /// The ICMP code, as given.
        code: i64,
    },
    /// Ports on a protocol without ports.
    #[error("protocol {0} has no ports: remove `ports` (only tcp and udp have ports)")]
    PortsWithoutPortProtocol(Protocol),
    /// An ICMP type and code on a protocol without them.
    #[error("protocol {0} has no ICMP type/code: remove `icmp` (only icmp and icmpv6 have one)")]
    IcmpWithoutIcmpProtocol(Protocol),
    /// tcp or udp without ports.
    #[error("protocol {0} needs `ports` (a port like 443, or \"0-65535\" for all)")]
    MissingPorts(Protocol),
    /// icmpv6 on an IPv6 block without a type and code, which AWS refuses.
    #[error("an icmpv6 entry with an IPv6 CIDR needs `icmp` (type and code; -1 means any)")]
    Icmpv6NeedsTypeCode,
    /// Both `cidr` and `ipv6_cidr`.
    #[error("entry has both `cidr` and `ipv6_cidr`: an entry has exactly one")]
    BothCidrs,
    /// Neither `cidr` nor `ipv6_cidr`.
    #[error("entry has neither `cidr` nor `ipv6_cidr`: an entry has exactly one")]
    NoCidr,
    /// An IPv6 block under `cidr`.
    #[error("`cidr` holds the IPv6 block {0}: put it under `ipv6_cidr`")]
    Ipv6InCidr(Cidr),
    /// An IPv4 block under `ipv6_cidr`.
    #[error("`ipv6_cidr` holds the IPv4 block {0}: put it under `cidr`")]
    Ipv4InIpv6Cidr(Cidr),
}

/// One entry as a baseline file writes it: flat, in reading order. The
/// JSON report of `diff` uses the same shape.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntryRecord {
    rule_number: RuleNumber,
    direction: Direction,
    action: Action,
    protocol: Protocol,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ports: Option<PortRange>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    icmp: Option<IcmpTypeCode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    cidr: Option<Cidr>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ipv6_cidr: Option<Cidr>,
}

impl EntryRecord {
    /// The record of an entry, as baselines write it.
    pub fn new(key: &EntryKey, entry: &Entry) -> Self {
        let (cidr, ipv6_cidr) = match entry.cidr {
            Cidr::V4(_) => (Some(entry.cidr), None),
            Cidr::V6(_) => (None, Some(entry.cidr)),
        };
        EntryRecord {
            rule_number: key.rule_number,
            direction: key.direction,
            action: entry.action,
            protocol: entry.traffic.protocol(),
            ports: entry.traffic.ports(),
            icmp: entry.traffic.icmp(),
            cidr,
            ipv6_cidr,
        }
    }

    pub(crate) fn into_entry(self) -> Result<(EntryKey, Entry), EntryError> {
        let cidr = match (self.cidr, self.ipv6_cidr) {
            (Some(_), Some(_)) => return Err(EntryError::BothCidrs),
            (None, None) => return Err(EntryError::NoCidr),
            (Some(v6 @ Cidr::V6(_)), None) => return Err(EntryError::Ipv6InCidr(v6)),
            (None, Some(v4 @ Cidr::V4(_))) => return Err(EntryError::Ipv4InIpv6Cidr(v4)),
            (Some(cidr), None) | (None, Some(cidr)) => cidr,
        };
        let key = EntryKey {
            direction: self.direction,
            rule_number: self.rule_number,
        };
        let entry = Entry::from_fields(self.action, self.protocol, self.ports, self.icmp, cidr)?;
        Ok((key, entry))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protocols_parse_from_api_numbers_and_names() {
        assert_eq!(Protocol::parse("-1"), Ok(Protocol::All));
        assert_eq!(Protocol::parse("6"), Ok(Protocol::Tcp));
        assert_eq!(Protocol::parse("17"), Ok(Protocol::Udp));
        assert_eq!(Protocol::parse("1"), Ok(Protocol::Icmp));
        assert_eq!(Protocol::parse("58"), Ok(Protocol::Icmpv6));
        assert_eq!(Protocol::parse("47"), Ok(Protocol::Number(47)));
        assert_eq!(Protocol::parse("TCP"), Ok(Protocol::Tcp));
        assert!(Protocol::parse("256").is_err());
        assert!(Protocol::parse("gre").is_err());
        assert_eq!(Protocol::Number(47).api_code(), "47");
        assert_eq!(Protocol::All.api_code(), "-1");
    }

    #[test]
    fn rule_numbers_exclude_catch_alls() {
        assert!(RuleNumber::new(1).is_ok());
        assert!(RuleNumber::new(32766).is_ok());
        assert!(RuleNumber::new(0).is_err());
        assert!(RuleNumber::new(32767).is_err());
        assert!(RuleNumber::new(-5).is_err());
    }

    #[test]
    fn traffic_keeps_only_the_fields_its_protocol_has() {
        let ssh = PortRange::new(22, 22).ok();
        assert!(Traffic::new(Protocol::Tcp, ssh, None).is_ok());
        assert_eq!(
            Traffic::new(Protocol::Icmp, ssh, None),
            Err(EntryError::PortsWithoutPortProtocol(Protocol::Icmp))
        );
        assert_eq!(
            Traffic::new(Protocol::Tcp, None, None),
            Err(EntryError::MissingPorts(Protocol::Tcp))
        );
        assert_eq!(
            Traffic::new(Protocol::All, None, Some(IcmpTypeCode::ANY)),
            Err(EntryError::IcmpWithoutIcmpProtocol(Protocol::All))
        );
        assert!(PortRange::new(443, 80).is_err());
        assert!(PortRange::new(0, 65536).is_err());
        assert!(IcmpTypeCode::new(256, 0).is_err());
    }

    #[test]
    fn icmp_any_has_one_form() {
        let omitted = Traffic::new(Protocol::Icmp, None, None);
        let explicit = Traffic::new(Protocol::Icmp, None, Some(IcmpTypeCode::ANY));
        assert_eq!(omitted, explicit);
        assert_eq!(omitted, Ok(Traffic::Icmp(IcmpTypeCode::ANY)));
        let v6 = Cidr::canonicalize("::/0").expect("valid CIDR");
        assert_eq!(
            Entry::from_fields(Action::Allow, Protocol::Icmpv6, None, None, v6),
            Err(EntryError::Icmpv6NeedsTypeCode)
        );
    }

    #[test]
    fn entries_read_as_sentences() {
        let entry = Entry::new(
            Action::Deny,
            Traffic::Tcp(PortRange { from: 22, to: 22 }),
            Cidr::canonicalize("0.0.0.0/0").expect("valid CIDR"),
        );
        assert_eq!(
            entry.describe(Direction::Ingress),
            "deny tcp 22 from 0.0.0.0/0"
        );
        assert_eq!(
            entry.describe(Direction::Egress),
            "deny tcp 22 to 0.0.0.0/0"
        );
    }
}
