//! IPv4 and IPv6 CIDR blocks in the canonical form AWS stores.

use std::fmt;
use std::str::FromStr;

use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A canonical CIDR block: no host bits set, written as AWS writes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Cidr {
    /// An IPv4 block.
    V4(Ipv4Net),
    /// An IPv6 block.
    V6(Ipv6Net),
}

/// Why a string is not a canonical CIDR block.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CidrError {
    /// Not a CIDR block at all.
    #[error("`{0}` is not a CIDR block (expected e.g. 10.0.0.0/16 or 2001:db8::/56)")]
    Invalid(String),
    /// A block with host bits set, which AWS would store otherwise.
    #[error("`{given}` is not canonical: AWS stores it as `{canonical}`")]
    NotCanonical {
        /// The block as written.
        given: String,
        /// The block as AWS stores it.
        canonical: String,
    },
}

impl Cidr {
    /// Parses a CIDR and canonicalises it, as AWS does on create: host bits
    /// are cleared, so `10.0.0.7/24` becomes `10.0.0.0/24`.
    pub fn canonicalize(text: &str) -> Result<Self, CidrError> {
        let net: IpNet = text
            .trim()
            .parse()
            .map_err(|_| CidrError::Invalid(text.to_owned()))?;
        Ok(match net.trunc() {
            IpNet::V4(v4) => Cidr::V4(v4),
            IpNet::V6(v6) => Cidr::V6(v6),
        })
    }

    /// Whether this is an IPv6 block.
    pub fn is_ipv6(&self) -> bool {
        matches!(self, Cidr::V6(_))
    }
}

/// Parses a CIDR that must already be canonical, as baselines require.
impl FromStr for Cidr {
    type Err = CidrError;

    fn from_str(text: &str) -> Result<Self, CidrError> {
        let cidr = Cidr::canonicalize(text)?;
        if !cidr.is_written(text) {
            return Err(CidrError::NotCanonical {
                given: text.to_owned(),
                canonical: cidr.to_string(),
            });
        }
        Ok(cidr)
    }
}

impl Cidr {
    /// Whether `text` is exactly how this CIDR is written, told without
    /// writing it into a new string (a baseline holds thousands).
    fn is_written(&self, text: &str) -> bool {
        /// What is left of the text once each piece written matched it.
        struct Unmatched<'a>(&'a str);
        impl fmt::Write for Unmatched<'_> {
            fn write_str(&mut self, piece: &str) -> fmt::Result {
                self.0 = self.0.strip_prefix(piece).ok_or(fmt::Error)?;
                Ok(())
            }
        }
        let mut unmatched = Unmatched(text);
        fmt::Write::write_fmt(&mut unmatched, format_args!("{self}")).is_ok()
            && unmatched.0.is_empty()
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Cidr::V4(net) => net.fmt(f),
            Cidr::V6(net) => net.fmt(f),
        }
    }
}

impl Serialize for Cidr {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Cidr {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonicalize_clears_host_bits() {
        assert_eq!(
            Cidr::canonicalize("10.0.0.7/24").map(|c| c.to_string()),
            Ok("10.0.0.0/24".to_owned())
        );
        assert_eq!(
            Cidr::canonicalize("2001:DB8::1/56").map(|c| c.to_string()),
            Ok("2001:db8::/56".to_owned())
        );
    }

    #[test]
    fn strict_parse_takes_exactly_the_canonical_text() {
        for canonical in ["10.0.0.0/24", "0.0.0.0/0", "2001:db8::/32", "::/0"] {
            assert_eq!(
                canonical.parse::<Cidr>().map(|c| c.to_string()),
                Ok(canonical.to_owned())
            );
        }
        for (given, canonical) in [
            ("10.0.0.0/24 ", "10.0.0.0/24"),
            (" 10.0.0.0/24", "10.0.0.0/24"),
            ("10.0.00.0/24", "10.0.0.0/24"),
            ("2001:0db8::/32", "2001:db8::/32"),
        ] {
            match given.parse::<Cidr>() {
                Err(CidrError::NotCanonical {
                    canonical: said, ..
                }) => assert_eq!(said, canonical),
                Err(CidrError::Invalid(_)) => {}
                other => panic!("{given:?} was taken: {other:?}"),
            }
        }
    }

    #[test]
    fn strict_parse_rejects_non_canonical_text() {
        assert_eq!(
            "100.68.0.18/18".parse::<Cidr>(),
            Err(CidrError::NotCanonical {
                given: "100.68.0.18/18".to_owned(),
                canonical: "100.68.0.0/18".to_owned(),
            })
        );
        assert!(matches!(
            "2001:DB8::/32".parse::<Cidr>(),
            Err(CidrError::NotCanonical { .. })
        ));
        assert!(matches!(
            "10.0.0.0".parse::<Cidr>(),
            Err(CidrError::Invalid(_))
        ));
        assert!(matches!(
            "10.0.0.0/33".parse::<Cidr>(),
            Err(CidrError::Invalid(_))
        ));
        assert_eq!("::/0".parse::<Cidr>().map(|c| c.is_ipv6()), Ok(true));
        assert_eq!("0.0.0.0/0".parse::<Cidr>().map(|c| c.is_ipv6()), Ok(false));
    }
}
