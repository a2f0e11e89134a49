//! The edges of the packet space, and the cases people read reports for.

use std::collections::BTreeMap;
use std::path::Path;

use nacl_drift_analysis::{Severity, traffic_difference};
use nacl_drift_model::{Baseline, Direction, Entry, EntryKey};

/// Entries from one flow-style YAML entry per line.
fn entries(lines: &str) -> BTreeMap<EntryKey, Entry> {
    let mut yaml = String::from(
        "schema_version: 1\naccount: '111122223333'\nregion: us-east-1\nvpc_id: vpc-1\n\
         scope: {regions: [us-east-1]}\nnetwork_acls:\n- id: acl-1\n  is_default: false\n  entries:\n",
    );
    for line in lines.lines().map(str::trim).filter(|l| !l.is_empty()) {
        yaml.push_str(&format!("  - {{{line}}}\n"));
    }
    let baseline = Baseline::from_yaml(Path::new("t.yaml"), &yaml).expect("valid entries");
    baseline.network_acls[0].entries.clone()
}

/// The difference, as sentences with severities.
fn report(direction: Direction, baseline: &str, live: &str) -> Vec<String> {
    traffic_difference(direction, &entries(baseline), &entries(live))
        .iter()
        .map(|effect| format!("[{}] {effect}", effect.severity().label()))
        .collect()
}

const DB_TIER: &str = "
    rule_number: 70, direction: ingress, action: allow, protocol: tcp, ports: 22, cidr: 10.0.0.0/16
    rule_number: 80, direction: ingress, action: deny, protocol: tcp, ports: 22, cidr: 0.0.0.0/0
    rule_number: 90, direction: ingress, action: deny, protocol: tcp, ports: 22, ipv6_cidr: '::/0'
    rule_number: 100, direction: ingress, action: allow, protocol: tcp, ports: 5432, cidr: 10.0.16.0/20
    rule_number: 110, direction: ingress, action: allow, protocol: tcp, ports: 1024-65535, cidr: 0.0.0.0/0
";

#[test]
fn the_drill_exposes_ssh_on_the_database_tier_from_the_internet() {
    let live = DB_TIER
        .replace("    rule_number: 80, direction: ingress, action: deny, protocol: tcp, ports: 22, cidr: 0.0.0.0/0\n", "")
        .replace("ports: 5432, cidr: 10.0.16.0/20", "ports: 0-65535, cidr: 0.0.0.0/0");
    assert_eq!(
        report(Direction::Ingress, DB_TIER, &live),
        [
            "[high] ingress tcp 0-21 from 0.0.0.0/0: was denied by the default deny, now allowed by rule 100",
            "[critical] ingress tcp 22 from 0.0.0.0/0 except 10.0.0.0/16: was denied by rule 80, now allowed by rule 100",
            "[critical] ingress tcp 23-1023 from 0.0.0.0/0: was denied by the default deny, now allowed by rule 100",
        ]
    );
}

#[test]
fn deleting_the_deny_alone_changes_nothing_when_nothing_else_allows_ssh() {
    let live = DB_TIER.replace(
        "    rule_number: 80, direction: ingress, action: deny, protocol: tcp, ports: 22, cidr: 0.0.0.0/0\n",
        "",
    );
    assert!(report(Direction::Ingress, DB_TIER, &live).is_empty());
}

#[test]
fn a_deleted_dns_allow_is_disruption() {
    let app = "rule_number: 120, direction: egress, action: allow, protocol: udp, ports: 53, cidr: 10.0.0.2/32";
    assert_eq!(
        report(Direction::Egress, app, ""),
        [
            "[medium] egress udp 53 to 10.0.0.2/32: was allowed by rule 120, now denied by the default deny"
        ]
    );
    assert!(
        report(Direction::Ingress, app, "").is_empty(),
        "the other direction is untouched"
    );
}

#[test]
fn a_deletion_an_earlier_rule_shadows_has_no_effect() {
    let baseline = "
        rule_number: 100, direction: ingress, action: allow, protocol: tcp, ports: 443, cidr: 0.0.0.0/0
        rule_number: 110, direction: ingress, action: allow, protocol: tcp, ports: 443, cidr: 10.0.0.0/8
        rule_number: 120, direction: ingress, action: deny, protocol: tcp, ports: 400-500, cidr: 0.0.0.0/0
    ";
    let live = "
        rule_number: 100, direction: ingress, action: allow, protocol: tcp, ports: 443, cidr: 0.0.0.0/0
        rule_number: 120, direction: ingress, action: deny, protocol: tcp, ports: 400-500, cidr: 0.0.0.0/0
    ";
    assert!(report(Direction::Ingress, baseline, live).is_empty());
}

#[test]
fn renumbering_an_equivalent_rule_has_no_effect() {
    let baseline =
        "rule_number: 100, direction: ingress, action: allow, protocol: all, cidr: 10.0.0.0/8";
    let live =
        "rule_number: 105, direction: ingress, action: allow, protocol: all, cidr: 10.0.0.0/8";
    assert!(report(Direction::Ingress, baseline, live).is_empty());
}

#[test]
fn ports_0_and_65535() {
    let zero = "rule_number: 1, direction: ingress, action: allow, protocol: tcp, ports: 0, cidr: 192.168.0.0/16";
    assert_eq!(
        report(Direction::Ingress, "", zero),
        [
            "[medium] ingress tcp 0 from 192.168.0.0/16: was denied by the default deny, now allowed by rule 1"
        ]
    );
    let top = "rule_number: 1, direction: ingress, action: allow, protocol: udp, ports: 65535, cidr: 0.0.0.0/0";
    assert_eq!(
        report(Direction::Ingress, "", top),
        [
            "[high] ingress udp 65535 from 0.0.0.0/0: was denied by the default deny, now allowed by rule 1"
        ]
    );
}

#[test]
fn icmp_any_against_one_type() {
    let any = "rule_number: 10, direction: ingress, action: allow, protocol: icmp, icmp: {type: -1, code: -1}, cidr: 10.0.0.0/8";
    let echo = "rule_number: 10, direction: ingress, action: allow, protocol: icmp, icmp: {type: 8, code: -1}, cidr: 10.0.0.0/8";
    assert_eq!(
        report(Direction::Ingress, any, echo),
        [
            "[medium] ingress icmp type 0-7 code any from 10.0.0.0/8: was allowed by rule 10, now denied by the default deny",
            "[medium] ingress icmp type 9-255 code any from 10.0.0.0/8: was allowed by rule 10, now denied by the default deny",
        ]
    );
    // No type/code given on an IPv4 icmp entry means any.
    let unspecified =
        "rule_number: 10, direction: ingress, action: allow, protocol: icmp, cidr: 10.0.0.0/8";
    assert!(report(Direction::Ingress, any, unspecified).is_empty());
}

#[test]
fn protocol_all_against_tcp() {
    let all = "rule_number: 10, direction: egress, action: allow, protocol: all, cidr: 0.0.0.0/0";
    let tcp = "rule_number: 10, direction: egress, action: allow, protocol: tcp, ports: 0-65535, cidr: 0.0.0.0/0";
    assert_eq!(
        report(Direction::Egress, all, tcp),
        [
            "[medium] egress all protocols but tcp to 0.0.0.0/0: was allowed by rule 10, now denied by the default deny"
        ]
    );
    assert_eq!(
        report(Direction::Ingress, "", &all.replace("egress", "ingress")),
        [
            "[critical] ingress all traffic from 0.0.0.0/0: was denied by the default deny, now allowed by rule 10"
        ]
    );
}

#[test]
fn whole_protocols_merge_into_all_traffic() {
    let baseline = "
        rule_number: 10, direction: ingress, action: deny, protocol: tcp, ports: 0-65535, cidr: 0.0.0.0/0
        rule_number: 20, direction: ingress, action: deny, protocol: 50, cidr: 0.0.0.0/0
    ";
    let live = "rule_number: 5, direction: ingress, action: allow, protocol: all, cidr: 0.0.0.0/0";
    let all = report(Direction::Ingress, baseline, live);
    assert!(
        all.iter()
            .any(|line| line.contains("tcp all ports from 0.0.0.0/0: was denied by rule 10")),
        "{all:?}"
    );
    assert!(
        all.iter()
            .any(|line| line.contains("protocol 50 from 0.0.0.0/0: was denied by rule 20")),
        "{all:?}"
    );
    assert!(
        all.iter().any(|line| line
            .contains("all protocols but tcp, 50 from 0.0.0.0/0: was denied by the default deny")),
        "{all:?}"
    );
}

#[test]
fn the_address_edges() {
    let host =
        "rule_number: 1, direction: ingress, action: allow, protocol: all, cidr: 203.0.113.7/32";
    assert_eq!(
        report(Direction::Ingress, "", host),
        [
            // One public host is a named party, not the internet: high.
            "[high] ingress all traffic from 203.0.113.7/32: was denied by the default deny, now allowed by rule 1"
        ]
    );
    let v6_host = "rule_number: 1, direction: ingress, action: deny, protocol: all, ipv6_cidr: '2001:db8::1/128'";
    let v6_all =
        "rule_number: 2, direction: ingress, action: allow, protocol: all, ipv6_cidr: '::/0'";
    assert_eq!(
        report(Direction::Ingress, &format!("{v6_host}\n{v6_all}"), v6_all),
        [
            "[high] ingress all traffic from 2001:db8::1/128: was denied by rule 1, now allowed by rule 2"
        ]
    );
    // IPv4 rules never match IPv6 traffic.
    let v4_all =
        "rule_number: 3, direction: ingress, action: allow, protocol: all, cidr: 0.0.0.0/0";
    assert_eq!(
        report(Direction::Ingress, v6_all, v4_all),
        [
            "[critical] ingress all traffic from 0.0.0.0/0: was denied by the default deny, now allowed by rule 3",
            "[medium] ingress all traffic from ::/0: was allowed by rule 2, now denied by the default deny",
        ]
    );
}

#[test]
fn severities() {
    let private_ssh = "rule_number: 1, direction: ingress, action: allow, protocol: tcp, ports: 22, cidr: 10.0.0.0/8";
    assert_eq!(
        traffic_difference(Direction::Ingress, &entries(""), &entries(private_ssh))[0].severity(),
        Severity::Medium
    );
    let public_web = "rule_number: 1, direction: ingress, action: allow, protocol: tcp, ports: 443, cidr: 0.0.0.0/0";
    assert_eq!(
        traffic_difference(Direction::Ingress, &entries(""), &entries(public_web))[0].severity(),
        Severity::High
    );
    let public_redis = public_web.replace("443", "6379");
    assert_eq!(
        traffic_difference(Direction::Ingress, &entries(""), &entries(&public_redis))[0].severity(),
        Severity::Critical
    );
    let egress = "rule_number: 1, direction: egress, action: allow, protocol: tcp, ports: 22, cidr: 0.0.0.0/0";
    assert_eq!(
        traffic_difference(Direction::Egress, &entries(""), &entries(egress))[0].severity(),
        Severity::High
    );
    let cgnat =
        "rule_number: 1, direction: ingress, action: allow, protocol: all, cidr: 100.64.0.0/10";
    assert_eq!(
        traffic_difference(Direction::Ingress, &entries(""), &entries(cgnat))[0].severity(),
        Severity::Medium
    );
    assert!(Severity::Low < Severity::Medium && Severity::High < Severity::Critical);
}

fn findings(lines: &str) -> Vec<String> {
    nacl_drift_analysis::lint(&entries(lines))
        .iter()
        .map(|f| format!("[{}] {}", f.severity.label(), f.message))
        .collect()
}

#[test]
fn lint_finds_each_kind() {
    let acl = "
        rule_number: 50, direction: ingress, action: allow, protocol: tcp, ports: 443, cidr: 0.0.0.0/0
        rule_number: 60, direction: ingress, action: allow, protocol: tcp, ports: 443, cidr: 10.0.0.0/8
        rule_number: 70, direction: ingress, action: deny, protocol: tcp, ports: 22, cidr: 0.0.0.0/0
        rule_number: 80, direction: ingress, action: allow, protocol: all, ipv6_cidr: '::/0'
        rule_number: 100, direction: egress, action: allow, protocol: all, cidr: 0.0.0.0/0
        rule_number: 110, direction: egress, action: deny, protocol: tcp, ports: 25, cidr: 0.0.0.0/0
    ";
    assert_eq!(
        findings(acl),
        [
            "[critical] ingress all traffic from ::/0 is allowed by rule 80 (every port)",
            "[high] egress rule 100 allows all traffic to 0.0.0.0/0 ahead of deny rules 110, which it makes useless",
            "[medium] ingress rule 70 (deny tcp 22 from 0.0.0.0/0) has no IPv6 twin, and this NACL allows IPv6 traffic",
            "[medium] egress rule 110 (deny tcp 25 to 0.0.0.0/0) is never reached: earlier rules decide all of its traffic",
            "[low] ingress rule 60 (allow tcp 443 from 10.0.0.0/8) is never reached: earlier rules decide all of its traffic",
        ]
    );
}

#[test]
fn lint_finds_database_ports_inside_an_ephemeral_range() {
    // AWS's return-traffic rule: one medium finding that names what it also
    // opens, rather than a critical exposure per box of ports.
    assert_eq!(
        findings(DB_TIER),
        [
            "[medium] ingress rule 110 (allow tcp 1024-65535 from 0.0.0.0/0) lets return traffic in from the internet, and with it any connection to 1433, 1521, 2049, 2375, 2376, 3306, 3389, 5432, 5900, 5984, 6379, 9042, 9200, 11211, 27017: the security groups must guard these database and administration ports",
        ]
    );
}

#[test]
fn lint_is_quiet_on_a_tidy_nacl() {
    let web = "
        rule_number: 100, direction: ingress, action: allow, protocol: tcp, ports: 443, cidr: 0.0.0.0/0
        rule_number: 110, direction: ingress, action: allow, protocol: tcp, ports: 443, ipv6_cidr: '::/0'
        rule_number: 120, direction: ingress, action: deny, protocol: tcp, ports: 22, cidr: 0.0.0.0/0
        rule_number: 130, direction: ingress, action: deny, protocol: tcp, ports: 22, ipv6_cidr: '::/0'
        rule_number: 100, direction: egress, action: allow, protocol: tcp, ports: 1024-65535, cidr: 10.0.0.0/8
    ";
    assert_eq!(findings(web), Vec::<String>::new());
}

/// "All protocols but tcp" still holds every udp port: memcached on 11211
/// from the internet is critical, whatever shape the box has.
#[test]
fn a_box_of_every_unnamed_protocol_is_critical_when_it_holds_udp() {
    let baseline = "rule_number: 100, direction: ingress, action: allow, protocol: tcp, ports: 0-65535, cidr: 0.0.0.0/0";
    let live = format!(
        "{baseline}\nrule_number: 200, direction: ingress, action: allow, protocol: all, cidr: 0.0.0.0/0"
    );
    assert_eq!(
        report(Direction::Ingress, baseline, &live),
        [
            "[critical] ingress all protocols but tcp from 0.0.0.0/0: was denied by the default deny, now allowed by rule 200"
        ]
    );
    // Giving udp a box of its own (an unrelated deny) rated it right before.
    let with_udp_rule = format!(
        "rule_number: 50, direction: ingress, action: deny, protocol: udp, ports: 5000, cidr: 10.9.9.9/32\n{live}"
    );
    let rated: Vec<String> = report(Direction::Ingress, baseline, &with_udp_rule);
    assert!(
        rated
            .iter()
            .any(|line| line.starts_with("[critical] ingress udp")),
        "{rated:?}"
    );

    // Without tcp or udp in it, the same shape is only high.
    let icmp_and_more =
        "rule_number: 100, direction: ingress, action: allow, protocol: all, cidr: 0.0.0.0/0";
    let only_ports = "
        rule_number: 10, direction: ingress, action: deny, protocol: tcp, ports: 0-65535, cidr: 0.0.0.0/0
        rule_number: 20, direction: ingress, action: deny, protocol: udp, ports: 0-65535, cidr: 0.0.0.0/0
    ";
    let shape = format!("{only_ports}\n{icmp_and_more}");
    assert_eq!(
        report(Direction::Ingress, only_ports, &shape),
        [
            "[high] ingress all protocols but tcp, udp from 0.0.0.0/0: was denied by the default deny, now allowed by rule 100"
        ]
    );
}

#[test]
fn lint_finds_udp_open_behind_a_tcp_deny() {
    let acl = "
        rule_number: 90, direction: ingress, action: deny, protocol: tcp, ports: 0-65535, cidr: 0.0.0.0/0
        rule_number: 100, direction: ingress, action: allow, protocol: all, cidr: 0.0.0.0/0
    ";
    let found = findings(acl);
    assert!(
        found.contains(
            &"[critical] ingress all protocols but tcp from 0.0.0.0/0 is allowed by rule 100 (reaching 22, 23, 135, 139, 445, and 15 more)"
                .to_owned()
        ),
        "{found:?}"
    );
}

/// `missing_ipv6_deny` only for a deny of the internet: a deny of one
/// attacker's IPv4 range has no IPv6 twin to miss.
#[test]
fn only_a_deny_of_the_internet_misses_its_ipv6_twin() {
    let findings = |lines: &str| -> Vec<(String, Option<u16>)> {
        nacl_drift_analysis::lint(&entries(lines))
            .into_iter()
            .filter(|finding| finding.kind == nacl_drift_analysis::FindingKind::MissingIpv6Deny)
            .map(|finding| {
                (
                    finding.direction.to_string(),
                    finding.rule_number.map(|n| n.get()),
                )
            })
            .collect()
    };
    let allows_ipv6 = "rule_number: 200, direction: ingress, action: allow, protocol: tcp, ports: 443, ipv6_cidr: '::/0'";
    let attacker = format!(
        "rule_number: 50, direction: ingress, action: deny, protocol: all, cidr: 198.51.100.0/24\n{allows_ipv6}"
    );
    assert_eq!(findings(&attacker), []);
    let partner = format!(
        "rule_number: 50, direction: ingress, action: deny, protocol: all, cidr: 3.0.0.0/8\n{allows_ipv6}"
    );
    assert_eq!(findings(&partner), [], "one /8 is a named party");
    let internet = format!(
        "rule_number: 80, direction: ingress, action: deny, protocol: tcp, ports: 22, cidr: 0.0.0.0/0\n{allows_ipv6}"
    );
    assert_eq!(findings(&internet), [("ingress".to_owned(), Some(80))]);
    let twinned = format!(
        "{internet}\nrule_number: 90, direction: ingress, action: deny, protocol: tcp, ports: 22, ipv6_cidr: '::/0'"
    );
    assert_eq!(findings(&twinned), []);
}
