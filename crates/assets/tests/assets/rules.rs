//! Each rule of exposure on its own, on the drill's incident: the SSH deny
//! of a NACL over a public subnet (`a`, routed to an internet gateway) and
//! a private one (`b`) deleted.

use std::collections::BTreeMap;

use nacl_drift_analysis::{Effect, EffectKind, Family};
use nacl_drift_assets::{EffectAssets, Sides, Why, assets_of};
use nacl_drift_model::{Action, Direction, Entry, EntryKey, PrefixListId, Protocol};

use crate::estate::*;

/// The newly allowed SSH of the incident, from IPv4 (or IPv6) sources.
fn ssh_from(family: Family) -> (Effect, BTreeMap<EntryKey, Entry>) {
    let (baseline, live) = ssh_deny_deleted();
    let effect = ingress_effects(&baseline, &live)
        .into_iter()
        .find(|effect| effect.kind == EffectKind::NewlyAllowed && effect.addresses.family == family)
        .expect("a newly allowed effect");
    (effect, live)
}

/// The same entries on both sides: for an inbound effect, only the live
/// entries count.
fn same(entries: &BTreeMap<EntryKey, Entry>) -> Sides<'_> {
    Sides {
        baseline: entries,
        live: entries,
    }
}

fn exposed_ids(found: &EffectAssets) -> Vec<String> {
    found
        .exposed
        .iter()
        .map(|exposed| exposed.interface.interface_id.to_string())
        .collect()
}

/// The estate: six instances, two of which SSH from the internet
/// now reaches.
#[test]
fn only_the_interfaces_a_packet_from_the_internet_reaches_are_listed() {
    let (effect, live) = ssh_from(Family::V4);
    let office = cidr("203.0.113.0/24");
    let estate = assets(
        vec![
            interface("open", "a", true, false, &["open"]),
            interface("office", "a", true, false, &["office"]),
            interface("https", "a", true, false, &["https"]),
            interface("nopublic", "a", false, false, &["open"]),
            interface("private", "b", true, false, &["open"]),
            interface("self", "a", true, false, &["self"]),
        ],
        vec![
            group("open", &[(tcp(22), anywhere())]),
            group(
                "office",
                &[(tcp(22), nacl_drift_assets::Source::Cidr(office))],
            ),
            group("https", &[(tcp(443), anywhere())]),
            group(
                "self",
                &[(tcp(22), nacl_drift_assets::Source::Group(group_id("self")))],
            ),
        ],
        vec![
            route_table("public", &["a"], &[("0.0.0.0/0", true)]),
            route_table("main", &[], &[]),
        ],
    );
    let found = assets_of(&effect, &subnets(&["a", "b"]), same(&live), &estate).expect("assets");
    assert_eq!(exposed_ids(&found), ["eni-open", "eni-office"]);
    let office_admission = &found.exposed[1].admitted_by[0];
    assert_eq!(office_admission.sources.to_string(), "203.0.113.0/24");
    assert_eq!(office_admission.rule, "tcp 22 from 203.0.113.0/24");
    assert_eq!(
        found.exposed[0].admitted_by[0].sources.to_string(),
        "0.0.0.0/0 except 10.0.0.0/8, 100.64.0.0/10, 172.16.0.0/12, 192.168.0.0/16",
        "the internet: never a private source"
    );
    assert!(found.not_exposed.is_empty(), "{found:?}");
    assert!(found.cut_off.is_empty());
}

/// NACLs are stateless: when the egress lets no reply out to an
/// ephemeral port, nothing is exposed, and the report says why.
#[test]
fn a_blocked_reply_exposes_nothing_and_says_so() {
    let (effect, mut live) = ssh_from(Family::V4);
    live.retain(|key, _| key.direction == Direction::Ingress);
    let (key, https_out) = entry(
        100,
        Direction::Egress,
        Action::Allow,
        Protocol::Tcp,
        Some((443, 443)),
        "0.0.0.0/0",
    );
    live.insert(key, https_out);
    let estate = assets(
        vec![interface("open", "a", true, false, &["open"])],
        vec![group("open", &[(tcp(22), anywhere())])],
        vec![route_table("public", &["a"], &[("0.0.0.0/0", true)])],
    );
    let found = assets_of(&effect, &subnets(&["a"]), same(&live), &estate).expect("assets");
    assert!(found.exposed.is_empty(), "{found:?}");
    assert!(
        matches!(found.not_exposed[0].why, Why::ReplyBlocked { .. }),
        "{found:?}"
    );

    // Replies to part of the ephemeral range are enough.
    let (key, some_ephemeral) = entry(
        110,
        Direction::Egress,
        Action::Allow,
        Protocol::Tcp,
        Some((32768, 60999)),
        "198.51.100.0/24",
    );
    live.insert(key, some_ephemeral);
    let found = assets_of(&effect, &subnets(&["a"]), same(&live), &estate).expect("assets");
    assert_eq!(exposed_ids(&found), ["eni-open"]);
    assert_eq!(
        found.exposed[0].admitted_by[0].sources.to_string(),
        "198.51.100.0/24"
    );
}

/// IPv6: an interface with an IPv6 address behind `::/0` to an internet
/// gateway is reached; behind an egress-only gateway, nothing comes in.
#[test]
fn ipv6_goes_through_an_internet_gateway_and_never_an_egress_only_one() {
    let (effect, live) = ssh_from(Family::V6);
    let groups = vec![group(
        "open6",
        &[(tcp(22), nacl_drift_assets::Source::Cidr(cidr("::/0")))],
    )];
    let through = |to_igw: bool| {
        let estate = assets(
            vec![
                interface("v6", "a", false, true, &["open6"]),
                interface("v4only", "a", true, false, &["open6"]),
            ],
            groups.clone(),
            vec![route_table("public", &["a"], &[("::/0", to_igw)])],
        );
        assets_of(&effect, &subnets(&["a"]), same(&live), &estate).expect("assets")
    };
    assert_eq!(exposed_ids(&through(true)), ["eni-v6"]);
    assert_eq!(
        exposed_ids(&through(false)),
        Vec::<String>::new(),
        "egress-only"
    );
}

/// The most specific route decides: a block routed to a VPN gateway
/// instead of the internet gateway never comes from the internet.
#[test]
fn a_more_specific_route_elsewhere_takes_its_sources_out() {
    let (effect, live) = ssh_from(Family::V4);
    let estate = assets(
        vec![
            interface("open", "a", true, false, &["open"]),
            interface("office", "a", true, false, &["office"]),
        ],
        vec![
            group("open", &[(tcp(22), anywhere())]),
            group(
                "office",
                &[(
                    tcp(22),
                    nacl_drift_assets::Source::Cidr(cidr("203.0.113.0/24")),
                )],
            ),
        ],
        vec![route_table(
            "public",
            &["a"],
            &[("0.0.0.0/0", true), ("203.0.113.0/24", false)],
        )],
    );
    let found = assets_of(&effect, &subnets(&["a"]), same(&live), &estate).expect("assets");
    assert_eq!(exposed_ids(&found), ["eni-open"]);
    assert!(
        found.exposed[0].admitted_by[0]
            .sources
            .to_string()
            .contains("203.0.113.0/24"),
        "taken out: {}",
        found.exposed[0].admitted_by[0].sources
    );
}

/// A prefix list counts by its entries when they were read, and is
/// reported, never guessed, when not.
#[test]
fn a_prefix_list_is_expanded_or_reported() {
    let (effect, live) = ssh_from(Family::V4);
    let list = PrefixListId::parse("pl-0office").expect("pl");
    let mut estate = assets(
        vec![interface("listed", "a", true, false, &["listed"])],
        vec![group(
            "listed",
            &[(tcp(22), nacl_drift_assets::Source::PrefixList(list.clone()))],
        )],
        vec![route_table("public", &["a"], &[("0.0.0.0/0", true)])],
    );
    let found = assets_of(&effect, &subnets(&["a"]), same(&live), &estate).expect("assets");
    assert!(found.exposed.is_empty());
    assert_eq!(
        found.not_exposed[0].why,
        Why::UnexpandedPrefixList {
            security_group_id: group_id("listed"),
            prefix_list_id: list.clone(),
        }
    );

    estate
        .prefix_lists
        .insert(list, vec![cidr("203.0.113.0/24"), cidr("10.9.0.0/16")]);
    let found = assets_of(&effect, &subnets(&["a"]), same(&live), &estate).expect("assets");
    assert_eq!(exposed_ids(&found), ["eni-listed"]);
    assert_eq!(
        found.exposed[0].admitted_by[0].sources.to_string(),
        "203.0.113.0/24"
    );
}

/// A newly denied flow cuts off the interfaces whose groups admitted it,
/// whatever their addresses and routes.
#[test]
fn a_newly_denied_flow_lists_the_interfaces_it_cuts_off() {
    // The deny added back: the baseline lacks it, live has it.
    let (with_deny, without_deny) = ssh_deny_deleted();
    let effect = ingress_effects(&without_deny, &with_deny)
        .into_iter()
        .find(|effect| {
            effect.kind == EffectKind::NewlyDenied && effect.addresses.family == Family::V4
        })
        .expect("a newly denied effect");
    let estate = assets(
        vec![
            interface("open", "a", true, false, &["open"]),
            interface("private", "b", false, false, &["self"]),
            interface("https", "a", true, false, &["https"]),
        ],
        vec![
            group("open", &[(tcp(22), anywhere())]),
            group(
                "self",
                &[(tcp(22), nacl_drift_assets::Source::Group(group_id("self")))],
            ),
            group("https", &[(tcp(443), anywhere())]),
        ],
        vec![route_table("main", &[], &[])],
    );
    let found =
        assets_of(&effect, &subnets(&["a", "b"]), same(&with_deny), &estate).expect("assets");
    let cut: Vec<String> = found
        .cut_off
        .iter()
        .map(|cut| cut.interface_id.to_string())
        .collect();
    assert_eq!(cut, ["eni-open", "eni-private"]);
    assert!(found.exposed.is_empty());
}

/// Ingress from private sources only, or egress that carries no reply (to
/// no ephemeral port), reaches no interface from the internet: no assets
/// at all.
#[test]
fn private_sources_and_egress_without_replies_have_no_assets() {
    let (effect, live) = ssh_from(Family::V4);
    let private = Effect {
        addresses: nacl_drift_analysis::AddressSet::of_cidr(&cidr("10.0.0.0/8")),
        ..effect.clone()
    };
    let egress = Effect {
        direction: Direction::Egress,
        ..effect
    };
    let estate = assets(Vec::new(), Vec::new(), Vec::new());
    assert_eq!(
        assets_of(&private, &subnets(&["a"]), same(&live), &estate),
        None
    );
    assert_eq!(
        assets_of(&egress, &subnets(&["a"]), same(&live), &estate),
        None
    );
}
