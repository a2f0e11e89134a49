//! Address sets: the internet, exceptions, the edges, private and public.

use nacl_drift_analysis::{AddressSet, Family, cidr_range};
use nacl_drift_model::Cidr;

fn cidr(text: &str) -> Cidr {
    Cidr::canonicalize(text).expect("valid CIDR")
}

fn set_of(family: Family, cidrs: &[&str]) -> AddressSet {
    AddressSet::new(family, cidrs.iter().map(|c| cidr_range(&cidr(c))).collect())
}

#[test]
fn the_internet_is_wider_than_a_slash_8_or_an_ipv6_slash_32() {
    let v4 = |cidrs: &[&str]| set_of(Family::V4, cidrs).is_internet();
    let v6 = |cidrs: &[&str]| set_of(Family::V6, cidrs).is_internet();
    assert!(v4(&["0.0.0.0/0"]));
    assert!(v4(&["2.0.0.0/7"]), "two /8s of public addresses");
    assert!(!v4(&["3.0.0.0/8"]), "one /8 is a named party");
    assert!(!v4(&["192.0.2.0/24"]), "an office range");
    assert!(!v4(&["10.0.0.0/8", "172.16.0.0/12"]), "private only");
    assert!(v4(&["8.0.0.0/8", "9.0.0.1/32"]), "just over a /8");
    assert!(v6(&["::/0"]));
    assert!(!v6(&["2001:db8::/32"]));
    assert!(v6(&["2001:db8::/31"]));
    assert!(!v6(&["fc00::/7"]), "unique local only");
}

fn texts(cidrs: &[Cidr]) -> Vec<String> {
    cidrs.iter().map(ToString::to_string).collect()
}

#[test]
fn everything_but_one_block_reads_as_an_exception() {
    let all = cidr_range(&cidr("0.0.0.0/0"));
    let hole = cidr_range(&cidr("10.0.0.0/8"));
    let set = AddressSet::new(Family::V4, vec![(all.0, hole.0 - 1), (hole.1 + 1, all.1)]);
    assert_eq!(set.to_string(), "0.0.0.0/0 except 10.0.0.0/8");
    assert_eq!(set.cidrs().len(), 8, "{:?}", texts(&set.cidrs()));
}

#[test]
fn a_few_blocks_read_as_themselves() {
    let set = set_of(Family::V4, &["10.0.0.2/32", "10.0.0.3/32", "192.0.2.0/24"]);
    assert_eq!(set.to_string(), "10.0.0.2/31, 192.0.2.0/24");
    assert_eq!(set_of(Family::V4, &["0.0.0.0/0"]).to_string(), "0.0.0.0/0");
    assert_eq!(set_of(Family::V6, &["::/0"]).to_string(), "::/0");
    assert_eq!(
        set_of(Family::V6, &["2001:db8::/32"]).to_string(),
        "2001:db8::/32"
    );
    let all_but = AddressSet::new(Family::V6, vec![(0, u128::MAX - 1)]);
    assert_eq!(
        all_but.to_string(),
        "::/0 except ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128"
    );
}

#[test]
fn single_addresses_at_the_edges() {
    let max = Family::V4.max();
    assert_eq!(
        AddressSet::new(Family::V4, vec![(max, max)]).to_string(),
        "255.255.255.255/32"
    );
    assert_eq!(
        AddressSet::new(Family::V4, vec![(0, 0)]).to_string(),
        "0.0.0.0/32"
    );
}

#[test]
fn private_and_public() {
    assert!(!set_of(Family::V4, &["10.1.0.0/16", "192.168.0.0/24"]).has_public());
    assert!(set_of(Family::V4, &["10.0.0.0/7"]).has_public());
    assert!(set_of(Family::V4, &["0.0.0.0/0"]).has_public());
    assert!(!set_of(Family::V6, &["fd00::/8"]).has_public());
    assert!(set_of(Family::V6, &["::/0"]).has_public());
}

#[test]
fn contains() {
    let set = set_of(Family::V4, &["10.0.0.0/8"]);
    let (start, end) = cidr_range(&cidr("10.0.0.0/8"));
    assert!(set.contains(start) && set.contains(end));
    assert!(!set.contains(end + 1) && !set.contains(start - 1));
}
