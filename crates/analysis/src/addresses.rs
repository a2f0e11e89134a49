//! Sets of IPv4 or IPv6 addresses as sorted ranges, written back as a few
//! CIDRs: "0.0.0.0/0 except 10.0.0.0/8" rather than 24 blocks.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

use ipnet::{Ipv4Net, Ipv4Subnets, Ipv6Net, Ipv6Subnets};
use nacl_drift_model::Cidr;

/// A public IPv4 source wider than a /8 is the internet: see
/// [`AddressSet::is_internet`].
pub const INTERNET_PREFIX_V4: u32 = 8;

/// A public IPv6 source wider than a /32 is the internet.
pub const INTERNET_PREFIX_V6: u32 = 32;

/// An address family. IPv4 rules never match IPv6 traffic, and the reverse.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Family {
    /// IPv4.
    V4,
    /// IPv6.
    V6,
}

impl Family {
    /// The family of a CIDR block.
    pub fn of(cidr: &Cidr) -> Family {
        match cidr {
            Cidr::V4(_) => Family::V4,
            Cidr::V6(_) => Family::V6,
        }
    }

    /// The highest address, as a number.
    pub fn max(self) -> u128 {
        match self {
            Family::V4 => u128::from(u32::MAX),
            Family::V6 => u128::MAX,
        }
    }

    fn bits(self) -> u32 {
        match self {
            Family::V4 => 32,
            Family::V6 => 128,
        }
    }

    /// The private ranges: 10/8, 172.16/12, 192.168/16 and 100.64/10 (shared
    /// address space) for IPv4; fc00::/7 (unique local) for IPv6.
    fn private(self) -> &'static [&'static str] {
        match self {
            Family::V4 => &[
                "10.0.0.0/8",
                "100.64.0.0/10",
                "172.16.0.0/12",
                "192.168.0.0/16",
            ],
            Family::V6 => &["fc00::/7"],
        }
    }
}

/// The inclusive range of addresses of a CIDR block.
pub fn cidr_range(cidr: &Cidr) -> (u128, u128) {
    match cidr {
        Cidr::V4(net) => (
            u128::from(u32::from(net.network())),
            u128::from(u32::from(net.broadcast())),
        ),
        Cidr::V6(net) => (u128::from(net.network()), u128::from(net.broadcast())),
    }
}

/// A set of addresses of one family: sorted, disjoint, non-adjacent ranges.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AddressSet {
    /// IPv4 or IPv6: a set never mixes them.
    pub family: Family,
    ranges: Vec<(u128, u128)>,
}

impl AddressSet {
    /// The set of `ranges`, which may overlap or touch, in any order.
    pub fn new(family: Family, mut ranges: Vec<(u128, u128)>) -> Self {
        ranges.sort_unstable();
        let mut merged: Vec<(u128, u128)> = Vec::with_capacity(ranges.len());
        for (start, end) in ranges {
            match merged.last_mut() {
                Some(last) if last.1 == u128::MAX || start <= last.1 + 1 => {
                    last.1 = last.1.max(end)
                }
                _ => merged.push((start, end)),
            }
        }
        AddressSet {
            family,
            ranges: merged,
        }
    }

    /// The inclusive ranges, sorted and disjoint.
    pub fn ranges(&self) -> &[(u128, u128)] {
        &self.ranges
    }

    /// Whether the set holds no address.
    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    /// Whether `address` is in the set.
    pub fn contains(&self, address: u128) -> bool {
        self.ranges
            .binary_search_by(|&(start, end)| {
                if end < address {
                    std::cmp::Ordering::Less
                } else if start > address {
                    std::cmp::Ordering::Greater
                } else {
                    std::cmp::Ordering::Equal
                }
            })
            .is_ok()
    }

    /// The addresses in both sets; `None` when they share none.
    pub fn intersection(&self, other: &AddressSet) -> Option<AddressSet> {
        if self.family != other.family {
            return None;
        }
        let shared: Vec<(u128, u128)> = self
            .ranges
            .iter()
            .flat_map(|&(a, b)| {
                other
                    .ranges
                    .iter()
                    .filter(move |&&(c, d)| a <= d && c <= b)
                    .map(move |&(c, d)| (a.max(c), b.min(d)))
            })
            .collect();
        (!shared.is_empty()).then(|| AddressSet::new(self.family, shared))
    }

    /// The addresses of `cidr`.
    pub fn of_cidr(cidr: &Cidr) -> AddressSet {
        AddressSet::new(Family::of(cidr), vec![cidr_range(cidr)])
    }

    /// No address of `family`.
    pub fn none(family: Family) -> AddressSet {
        AddressSet::new(family, Vec::new())
    }

    /// The addresses of this set that are not in `other` (of the same
    /// family; a set of the other family takes nothing out).
    pub fn without(&self, other: &AddressSet) -> AddressSet {
        if self.family != other.family {
            return self.clone();
        }
        AddressSet::new(self.family, difference(&self.ranges, &other.ranges))
    }

    /// The addresses of either set (of the same family; a set of the other
    /// family adds nothing).
    pub fn union(&self, other: &AddressSet) -> AddressSet {
        if self.family != other.family {
            return self.clone();
        }
        let ranges = self.ranges.iter().chain(&other.ranges).copied().collect();
        AddressSet::new(self.family, ranges)
    }

    /// The addresses of the set outside the private ranges.
    pub fn public_addresses(&self) -> AddressSet {
        AddressSet::new(self.family, self.public())
    }

    /// Whether any address of the set is outside the private ranges.
    pub fn has_public(&self) -> bool {
        !self.public().is_empty()
    }

    /// Whether the set's public addresses are "the internet": more of them
    /// than in a /8 for IPv4, or in a /32 for IPv6 (an ISP's or a large
    /// company's allocation). A narrower public source, such as the
    /// administrators' own office range, is a named party.
    pub fn is_internet(&self) -> bool {
        let (prefix, bits) = match self.family {
            Family::V4 => (INTERNET_PREFIX_V4, 32),
            Family::V6 => (INTERNET_PREFIX_V6, 128),
        };
        let narrow = 1u128 << (bits - prefix);
        let public = self.public().iter().fold(0u128, |count, (start, end)| {
            count.saturating_add(end - start).saturating_add(1)
        });
        public > narrow
    }

    /// The ranges outside the private ranges.
    fn public(&self) -> Vec<(u128, u128)> {
        let private: Vec<(u128, u128)> = self
            .family
            .private()
            .iter()
            .filter_map(|text| Cidr::canonicalize(text).ok())
            .map(|cidr| cidr_range(&cidr))
            .collect();
        difference(&self.ranges, &AddressSet::new(self.family, private).ranges)
    }

    /// Every CIDR block of the set, fewest first: the exact decomposition.
    pub fn cidrs(&self) -> Vec<Cidr> {
        self.ranges
            .iter()
            .flat_map(|&(start, end)| range_cidrs(self.family, start, end))
            .collect()
    }

    /// The set as the CIDRs to include and those to take out of them:
    /// whichever of "these blocks" and "this block except those" is shorter.
    pub fn summary(&self) -> (Vec<Cidr>, Vec<Cidr>) {
        let exact = self.cidrs();
        let (Some(&(low, _)), Some(&(_, high))) = (self.ranges.first(), self.ranges.last()) else {
            return (exact, Vec::new());
        };
        let cover = covering_cidr(self.family, low, high);
        let (cover_start, cover_end) = cidr_range(&cover);
        let holes: Vec<Cidr> = difference(&[(cover_start, cover_end)], &self.ranges)
            .into_iter()
            .flat_map(|(start, end)| range_cidrs(self.family, start, end))
            .collect();
        if exact.len() <= holes.len() + 1 {
            (exact, Vec::new())
        } else {
            (vec![cover], holes)
        }
    }
}

impl fmt::Display for AddressSet {
    /// `0.0.0.0/0 except 10.0.0.0/16`, `10.0.0.2/32, 10.0.0.3/32`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (include, except) = self.summary();
        let join = |cidrs: &[Cidr]| {
            cidrs
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        };
        f.write_str(&join(&include))?;
        if !except.is_empty() {
            write!(f, " except {}", join(&except))?;
        }
        Ok(())
    }
}

/// `a` minus `b`, both sorted and disjoint.
fn difference(a: &[(u128, u128)], b: &[(u128, u128)]) -> Vec<(u128, u128)> {
    let mut out = Vec::new();
    for &(start, end) in a {
        let mut cursor = Some(start);
        for &(b_start, b_end) in b {
            let Some(from) = cursor else { break };
            if b_end < from || b_start > end {
                continue;
            }
            if b_start > from {
                out.push((from, b_start - 1));
            }
            cursor = if b_end >= end { None } else { Some(b_end + 1) };
        }
        if let Some(from) = cursor {
            out.push((from, end));
        }
    }
    out
}

/// The largest aligned blocks that exactly tile `start..=end` (ipnet's
/// subnet iteration).
fn range_cidrs(family: Family, start: u128, end: u128) -> Vec<Cidr> {
    match family {
        // IPv4 ranges hold 32-bit addresses only.
        Family::V4 => Ipv4Subnets::new(Ipv4Addr::from(start as u32), Ipv4Addr::from(end as u32), 0)
            .map(Cidr::V4)
            .collect(),
        Family::V6 => Ipv6Subnets::new(Ipv6Addr::from(start), Ipv6Addr::from(end), 0)
            .map(Cidr::V6)
            .collect(),
    }
}

/// The smallest block that holds both `low` and `high`.
fn covering_cidr(family: Family, low: u128, high: u128) -> Cidr {
    let bits = family.bits();
    let differing = 128 - (low ^ high).leading_zeros();
    let prefix = bits.saturating_sub(differing);
    let host_bits = bits - prefix;
    let network = if host_bits >= 128 {
        0
    } else {
        low & !((1u128 << host_bits) - 1)
    };
    make_cidr(family, network, prefix as u8)
}

fn make_cidr(family: Family, network: u128, prefix: u8) -> Cidr {
    match family {
        // Lengths and addresses are within range by construction.
        Family::V4 => Cidr::V4(
            Ipv4Net::new(Ipv4Addr::from(network as u32), prefix)
                .expect("an IPv4 prefix is at most 32"),
        ),
        Family::V6 => Cidr::V6(
            Ipv6Net::new(Ipv6Addr::from(network), prefix).expect("an IPv6 prefix is at most 128"),
        ),
    }
}
