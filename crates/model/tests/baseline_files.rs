//! Reading and writing baseline files: the format, and each way a file can
//! be invalid, with the message and line it reports.

use std::path::Path;

use nacl_drift_model::{Baseline, BaselineError};

const VALID: &str = r#"schema_version: 1
account: '123456789012'
region: us-east-1
vpc_id: vpc-0a1b2c3d
scope:
  regions:
  - us-east-1
network_acls:
- id: acl-0123
  is_default: false
  tags:
    Name: db-tier
  subnets:
  - subnet-01
  entries:
  - rule_number: 100
    direction: ingress
    action: deny
    protocol: tcp
    ports: 22
    cidr: 0.0.0.0/0
  - rule_number: 110
    direction: ingress
    action: allow
    protocol: icmp
    icmp:
      type: 8
      code: -1
    cidr: 10.0.0.0/8
  - rule_number: 120
    direction: ingress
    action: allow
    protocol: icmpv6
    icmp:
      type: -1
      code: -1
    ipv6_cidr: 2001:db8::/56
  - rule_number: 100
    direction: egress
    action: allow
    protocol: all
    cidr: 0.0.0.0/0
  - rule_number: 110
    direction: egress
    action: allow
    protocol: 47
    ipv6_cidr: ::/0
"#;

fn parse(text: &str) -> Result<Baseline, BaselineError> {
    Baseline::from_yaml(Path::new("b.yaml"), text)
}

/// The error a file with `from` replaced by `to` gives, as displayed.
fn error_after_replacing(from: &str, to: &str) -> String {
    assert!(VALID.contains(from), "fixture lacks {from:?}");
    match parse(&VALID.replacen(from, to, 1)) {
        Ok(_) => panic!("replacing {from:?} with {to:?} should be invalid"),
        Err(error) => error.to_string(),
    }
}

#[test]
fn a_valid_file_round_trips_byte_for_byte() {
    let baseline = parse(VALID).expect("valid baseline");
    let written = baseline.to_yaml();
    assert!(written.starts_with("# nacl-drift baseline"));
    let body: String = written
        .lines()
        .filter(|line| !line.starts_with('#'))
        .map(|line| format!("{line}\n"))
        .collect();
    assert_eq!(body, VALID);
    assert_eq!(parse(&written).expect("reparse"), baseline);
}

#[test]
fn entries_are_written_ingress_first_then_by_rule_number() {
    let shuffled = VALID.replacen(
        "- rule_number: 100\n    direction: ingress",
        "- rule_number: 130\n    direction: ingress",
        1,
    );
    let written = parse(&shuffled).expect("valid").to_yaml();
    let order: Vec<&str> = written
        .lines()
        .filter(|l| l.contains("rule_number") || l.contains("direction"))
        .collect();
    assert_eq!(
        order,
        [
            "  - rule_number: 110",
            "    direction: ingress",
            "  - rule_number: 120",
            "    direction: ingress",
            "  - rule_number: 130",
            "    direction: ingress",
            "  - rule_number: 100",
            "    direction: egress",
            "  - rule_number: 110",
            "    direction: egress",
        ]
    );
}

#[test]
fn unknown_schema_version() {
    assert_eq!(
        error_after_replacing("schema_version: 1", "schema_version: 2"),
        "b.yaml:1:1: unsupported schema_version 2: this nacl-drift reads version 1"
    );
}

#[test]
fn missing_schema_version() {
    let error = error_after_replacing("schema_version: 1\n", "");
    assert!(error.contains("missing field `schema_version`"), "{error}");
}

#[test]
fn malformed_yaml() {
    let error = error_after_replacing("schema_version: 1", "schema_version: [1");
    assert!(error.starts_with("b.yaml:"), "{error}");
    assert!(error.contains("did not find expected"), "{error}");
}

#[test]
fn unknown_field() {
    let error = error_after_replacing("    action: deny", "    acton: deny");
    assert!(
        error.starts_with("b.yaml:18:5: network_acls[0].entries[0]: unknown field `acton`"),
        "{error}"
    );
}

#[test]
fn rule_number_out_of_range() {
    assert_eq!(
        error_after_replacing(
            "rule_number: 110\n    direction: egress",
            "rule_number: 32767\n    direction: egress"
        ),
        "b.yaml:43:5: network_acls[0].entries[4]: rule number 32767 is outside 1..=32766 \
         (32767 and 32768 are AWS's read-only catch-all denies, which baselines leave out)"
    );
    let error = error_after_replacing("rule_number: 100", "rule_number: 0");
    assert!(
        error.starts_with("b.yaml:16:5: network_acls[0].entries[0]: rule number 0 is outside"),
        "{error}"
    );
}

#[test]
fn invalid_cidr() {
    assert_eq!(
        error_after_replacing("cidr: 10.0.0.0/8", "cidr: 10.0.0.0/33"),
        "b.yaml:22:5: network_acls[0].entries[1]: `10.0.0.0/33` is not a CIDR block (expected e.g. 10.0.0.0/16 or 2001:db8::/56)"
    );
}

#[test]
fn non_canonical_cidr() {
    assert_eq!(
        error_after_replacing("cidr: 10.0.0.0/8", "cidr: 10.1.2.3/8"),
        "b.yaml:22:5: network_acls[0].entries[1]: `10.1.2.3/8` is not canonical: AWS stores it as `10.0.0.0/8`"
    );
    let error = error_after_replacing("ipv6_cidr: 2001:db8::/56", "ipv6_cidr: 2001:DB8::/56");
    assert!(
        error.contains("is not canonical: AWS stores it as `2001:db8::/56`"),
        "{error}"
    );
}

#[test]
fn both_cidrs_or_neither() {
    assert_eq!(
        error_after_replacing(
            "    cidr: 10.0.0.0/8",
            "    cidr: 10.0.0.0/8\n    ipv6_cidr: ::/0"
        ),
        "b.yaml:22:5: network_acls[0].entries[1]: entry has both `cidr` and `ipv6_cidr`: an entry has exactly one"
    );
    assert_eq!(
        error_after_replacing("    cidr: 10.0.0.0/8\n", ""),
        "b.yaml:22:5: network_acls[0].entries[1]: entry has neither `cidr` nor `ipv6_cidr`: an entry has exactly one"
    );
    let error = error_after_replacing("    cidr: 10.0.0.0/8", "    cidr: 2001:db8::/32");
    assert!(
        error.ends_with("`cidr` holds the IPv6 block 2001:db8::/32: put it under `ipv6_cidr`"),
        "{error}"
    );
}

#[test]
fn ports_on_a_protocol_without_ports() {
    assert_eq!(
        error_after_replacing("    protocol: all\n", "    protocol: all\n    ports: 80\n"),
        "b.yaml:38:5: network_acls[0].entries[3]: protocol all has no ports: remove `ports` (only tcp and udp have ports)"
    );
    let error = error_after_replacing("    protocol: 47\n", "    protocol: 47\n    ports: 1-2\n");
    assert!(
        error.ends_with("protocol 47 has no ports: remove `ports` (only tcp and udp have ports)"),
        "{error}"
    );
}

#[test]
fn tcp_without_ports_and_bad_port_ranges() {
    let error = error_after_replacing("    ports: 22\n", "");
    assert!(
        error.ends_with("protocol tcp needs `ports` (a port like 443, or \"0-65535\" for all)"),
        "{error}"
    );
    let error = error_after_replacing("ports: 22", "ports: 443-80");
    assert!(
        error.ends_with("port range 443-80 is invalid: ports are 0-65535, low to high"),
        "{error}"
    );
}

#[test]
fn icmp_fields_on_other_protocols_and_icmpv6_without_them() {
    let error = error_after_replacing(
        "    ports: 22\n",
        "    ports: 22\n    icmp:\n      type: 0\n      code: 0\n",
    );
    assert!(
        error.ends_with(
            "protocol tcp has no ICMP type/code: remove `icmp` (only icmp and icmpv6 have one)"
        ),
        "{error}"
    );
    let error = error_after_replacing("    icmp:\n      type: -1\n      code: -1\n", "");
    assert!(
        error.ends_with(
            "an icmpv6 entry with an IPv6 CIDR needs `icmp` (type and code; -1 means any)"
        ),
        "{error}"
    );
}

#[test]
fn duplicate_direction_and_rule_number() {
    assert_eq!(
        error_after_replacing(
            "rule_number: 110\n    direction: ingress",
            "rule_number: 100\n    direction: ingress"
        ),
        "b.yaml:16:3: network_acls[0].entries: duplicate ingress rule 100: each (direction, rule number) appears once"
    );
    // The same number in the other direction is another entry.
    assert!(
        parse(&VALID.replacen(
            "rule_number: 110\n    direction: egress",
            "rule_number: 120\n    direction: egress",
            1
        ))
        .is_ok()
    );
}

#[test]
fn unknown_protocol() {
    let error = error_after_replacing("protocol: 47", "protocol: gre");
    assert!(
        error.ends_with(
            "unknown protocol `gre`: expected tcp, udp, icmp, icmpv6, all, or a number 0-255"
        ),
        "{error}"
    );
}

#[test]
fn identifiers_and_uniqueness() {
    assert_eq!(
        error_after_replacing("account: '123456789012'", "account: '1234'"),
        "b.yaml:2:10: account: \"1234\" is not an AWS account id: expected exactly 12 digits"
    );
    // Ids that would become paths, or that no AWS id looks like.
    for (from, to, expected) in [
        (
            "account: '123456789012'",
            "account: ../pwned",
            "b.yaml:2:10: account: \"../pwned\" is not an AWS account id: expected exactly 12 digits",
        ),
        (
            "region: us-east-1",
            "region: ../../pwned",
            "b.yaml:3:9: region: \"../../pwned\" is not an AWS region: expected a region name like us-east-1 (lowercase letters, digits and dashes)",
        ),
        (
            "vpc_id: vpc-0a1b2c3d",
            "vpc_id: vpc-1/../../../pwned",
            "b.yaml:4:9: vpc_id: \"vpc-1/../../../pwned\" is not a VPC id: expected vpc- followed by lowercase letters and digits",
        ),
        (
            "  - us-east-1",
            "  - us-east-1/..",
            "b.yaml:7:5: scope.regions[0]: \"us-east-1/..\" is not an AWS region: expected a region name like us-east-1 (lowercase letters, digits and dashes)",
        ),
        (
            "- id: acl-0123",
            "- id: ../acl-0123",
            "b.yaml:9:7: network_acls[0].id: \"../acl-0123\" is not a network ACL id: expected acl- followed by lowercase letters and digits",
        ),
        (
            "  - subnet-01",
            "  - subnet-01/x",
            "b.yaml:14:5: network_acls[0].subnets[0]: \"subnet-01/x\" is not a subnet id: expected subnet- followed by lowercase letters and digits",
        ),
    ] {
        assert_eq!(error_after_replacing(from, to), expected, "{to}");
    }
    let twice = VALID.replacen(
        "network_acls:\n",
        "network_acls:\n- id: acl-0123\n  is_default: true\n",
        1,
    );
    assert_eq!(
        parse(&twice).map(|_| ()).map_err(|e| e.to_string()),
        Err("b.yaml: network ACL acl-0123 appears twice".to_owned())
    );
    let error = error_after_replacing("region: us-east-1", "region: eu-west-1");
    assert_eq!(
        error,
        "b.yaml: scope.regions does not include this file's region `eu-west-1`"
    );
}
