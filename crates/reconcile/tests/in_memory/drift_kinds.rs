//! Every kind of drift, found exactly once, with the right fields, as the
//! documented JSON has it.

use std::collections::BTreeSet;
use std::path::PathBuf;

use nacl_drift_diff::{Coverage, DriftKind, Report, coverage, diff};
use nacl_drift_fixtures::{baseline_of, fresh_vpc, live_of, open_vpc, three_tiers};
use nacl_drift_model::{AccountId, Baseline};
use nacl_drift_reconcile::Comparison;
use serde_json::{Value, json};

const ACCOUNT: &str = "111122223333";

fn files(baselines: &[&str]) -> Vec<(PathBuf, Baseline)> {
    baselines
        .iter()
        .enumerate()
        .map(|(n, text)| (PathBuf::from(format!("b{n}.yaml")), baseline_of(text)))
        .collect()
}

fn accounts() -> BTreeSet<AccountId> {
    BTreeSet::from([ACCOUNT.parse().expect("account")])
}

/// The report's JSON, with nothing assessed of any change.
fn json(report: &Report) -> Value {
    let comparison = Comparison::unassessed(
        accounts(),
        Vec::new(),
        Vec::new(),
        Vec::new(),
        report.clone(),
    );
    serde_json::to_value(comparison.json()).expect("report serialises")
}

/// The incidents nacl-drift exists for, plus housekeeping drift.
fn drifted_live() -> String {
    three_tiers()
        // Unauthorized DeleteNetworkAclEntry of the SSH deny.
        .replace(
            "  - {rule_number: 80, direction: ingress, action: deny, protocol: tcp, ports: 22, cidr: 0.0.0.0/0}\n",
            "",
        )
        // Malicious widening of an allow.
        .replace("ports: 5432, cidr: 10.0.16.0/20", "ports: 0-65535, cidr: 0.0.0.0/0")
        // An entry nobody reviewed.
        .replace(
            "  - {rule_number: 100, direction: egress, action: allow, protocol: tcp",
            "  - {rule_number: 90, direction: egress, action: allow, protocol: all, cidr: 0.0.0.0/0}\n  - {rule_number: 100, direction: egress, action: allow, protocol: tcp",
        )
        // A subnet moved onto the permissive default NACL.
        .replace("subnets: [subnet-0dba, subnet-0dbb]", "subnets: [subnet-0dba]")
        .replace("subnets: []\n  entries:\n  - {rule_number: 100, direction: ingress, action: allow, protocol: all", "subnets: [subnet-0dbb, subnet-0new]\n  entries:\n  - {rule_number: 100, direction: ingress, action: allow, protocol: all")
        .replace("tags: {Name: db-tier, Tier: db}", "tags: {Name: db-tier, Tier: database}")
        // A NACL deleted, another created.
        .replace("- id: acl-0old\n  is_default: false\n  tags: {}\n  subnets: []\n  entries: []\n", "- id: acl-0new\n  is_default: false\n  tags: {Name: rogue}\n  subnets: []\n  entries: []\n")
}

#[test]
fn an_unchanged_estate_is_in_sync() {
    let report = diff(
        &accounts(),
        &files(&[&three_tiers()]),
        &live_of(&three_tiers(), Some("us-east-1")),
    );
    assert_eq!(
        json(&report),
        json!({"in_sync": true, "severity": null, "changes": [], "effects": [], "skipped": [], "errors": []})
    );
}

#[test]
fn every_kind_is_reported_exactly_once_with_its_fields() {
    let report = diff(
        &accounts(),
        &files(&[&three_tiers()]),
        &live_of(&drifted_live(), Some("us-east-1")),
    );
    let severities: Vec<(&str, &str, &str, Option<bool>)> = report
        .changes
        .iter()
        .map(|c| {
            (
                c.kind().label(),
                c.network_acl_id.as_str(),
                c.severity.label(),
                c.effective,
            )
        })
        .collect();
    assert_eq!(
        severities,
        [
            ("entry deleted", "acl-0db", "critical", Some(true)),
            ("entry modified", "acl-0db", "critical", Some(true)),
            ("entry added", "acl-0db", "high", Some(true)),
            ("subnet moved", "acl-0db", "critical", Some(true)),
            ("tags changed", "acl-0db", "low", None),
            ("subnet moved", "acl-0default", "low", None),
            ("NACL added", "acl-0new", "low", None),
            ("NACL deleted", "acl-0old", "low", None),
        ]
    );
    assert_eq!(report.severity.map(|s| s.label()), Some("critical"));
    // The fields of each change; severities and effects are checked above and below.
    let mut report_json = json(&report);
    for change in report_json["changes"].as_array_mut().expect("changes") {
        let change = change.as_object_mut().expect("object");
        change.remove("severity");
        change.remove("effective");
    }
    report_json
        .as_object_mut()
        .expect("object")
        .remove("effects");
    report_json
        .as_object_mut()
        .expect("object")
        .remove("severity");
    let common = |kind: &str, acl: &str| json!({"kind": kind, "account": ACCOUNT, "region": "us-east-1", "vpc_id": "vpc-0prod", "network_acl_id": acl});
    let with = |mut value: Value, extra: Value| {
        value
            .as_object_mut()
            .expect("object")
            .extend(extra.as_object().expect("object").clone());
        value
    };
    let expected = json!({
        "in_sync": false,
        "skipped": [],
        "errors": [],
        "changes": [
            with(common("entry_deleted", "acl-0db"), json!({
                "direction": "ingress", "rule_number": 80,
                "baseline": {"rule_number": 80, "direction": "ingress", "action": "deny", "protocol": "tcp", "ports": 22, "cidr": "0.0.0.0/0"},
                "live": null})),
            with(common("entry_modified", "acl-0db"), json!({
                "direction": "ingress", "rule_number": 100,
                "baseline": {"rule_number": 100, "direction": "ingress", "action": "allow", "protocol": "tcp", "ports": 5432, "cidr": "10.0.16.0/20"},
                "live": {"rule_number": 100, "direction": "ingress", "action": "allow", "protocol": "tcp", "ports": "0-65535", "cidr": "0.0.0.0/0"}})),
            with(common("entry_added", "acl-0db"), json!({
                "direction": "egress", "rule_number": 90,
                "baseline": null,
                "live": {"rule_number": 90, "direction": "egress", "action": "allow", "protocol": "all", "cidr": "0.0.0.0/0"}})),
            with(common("association_changed", "acl-0db"), json!({
                "subnet_id": "subnet-0dbb", "live_network_acl_id": "acl-0default",
                "baseline": {"network_acl_id": "acl-0db"}, "live": {"network_acl_id": "acl-0default"}})),
            with(common("tags_changed", "acl-0db"), json!({
                "baseline": {"tags": {"Name": "db-tier", "Tier": "db"}},
                "live": {"tags": {"Name": "db-tier", "Tier": "database"}}})),
            with(common("association_changed", "acl-0default"), json!({
                "subnet_id": "subnet-0new", "live_network_acl_id": "acl-0default",
                "baseline": null, "live": {"network_acl_id": "acl-0default"}})),
            with(common("network_acl_added", "acl-0new"), json!({
                "baseline": null,
                "live": {"id": "acl-0new", "is_default": false, "tags": {"Name": "rogue"}, "subnets": [], "entries": []}})),
            with(common("network_acl_deleted", "acl-0old"), json!({
                "baseline": {"id": "acl-0old", "is_default": false, "tags": {}, "subnets": [], "entries": []},
                "live": null})),
        ]
    });
    assert_eq!(
        report_json,
        expected,
        "{}",
        serde_json::to_string_pretty(&report_json).unwrap_or_default()
    );
}

#[test]
fn content_is_compared_normalised() {
    // Protocol 6 is tcp; the model holds both the same way.
    let numbered = three_tiers().replace("protocol: tcp, ports: 22", "protocol: 6, ports: 22");
    let report = diff(
        &accounts(),
        &files(&[&three_tiers()]),
        &live_of(&numbered, Some("us-east-1")),
    );
    assert!(report.in_sync, "{report:?}");
}

#[test]
fn the_same_rule_number_in_the_other_direction_is_another_entry() {
    let moved = three_tiers().replace(
        "{rule_number: 80, direction: ingress",
        "{rule_number: 80, direction: egress",
    );
    let report = diff(
        &accounts(),
        &files(&[&three_tiers()]),
        &live_of(&moved, Some("us-east-1")),
    );
    let kinds: Vec<DriftKind> = report.changes.iter().map(|c| c.kind()).collect();
    assert_eq!(kinds, [DriftKind::EntryDeleted, DriftKind::EntryAdded]);
}

#[test]
fn baselines_of_other_accounts_are_skipped_never_deleted() {
    let other = three_tiers().replace("account: '111122223333'", "account: '999988887777'");
    let report = diff(
        &accounts(),
        &files(&[&three_tiers(), &other]),
        &live_of(&three_tiers(), Some("us-east-1")),
    );
    assert!(report.in_sync, "{report:?}");
    assert_eq!(
        json(&report)["skipped"],
        json!([{"path": "b1.yaml", "account": "999988887777", "reason": "the live state is of account 111122223333"}])
    );
}

#[test]
fn a_subnet_that_is_gone_is_reported() {
    let gone = three_tiers().replace("subnets: [subnet-0app]", "subnets: []");
    let report = diff(
        &accounts(),
        &files(&[&three_tiers()]),
        &live_of(&gone, Some("us-east-1")),
    );
    assert_eq!(
        json(&report)["changes"],
        json!([{"kind": "association_changed", "account": ACCOUNT, "region": "us-east-1", "vpc_id": "vpc-0prod",
                "network_acl_id": "acl-0app", "subnet_id": "subnet-0app",
                "baseline": {"network_acl_id": "acl-0app"}, "live": null, "severity": "low"}])
    );
}

#[test]
fn nacls_of_a_new_vpc_are_added_when_the_scope_covers_the_region() {
    let mut estate = live_of(&three_tiers(), Some("us-east-1"));
    estate.extend(live_of(&fresh_vpc(), Some("us-east-1")));
    let report = diff(&accounts(), &files(&[&three_tiers()]), &estate);
    let added: Vec<(&str, &str)> = report
        .changes
        .iter()
        .map(|c| (c.vpc_id.as_str(), c.network_acl_id.as_str()))
        .collect();
    assert_eq!(added, [("vpc-0new", "acl-0fresh")]);
    assert_eq!(report.changes[0].kind(), DriftKind::NetworkAclAdded);

    // Outside a VPC filter, the new VPC is not in scope.
    let filtered = three_tiers().replace(
        "  regions: [us-east-1]\n",
        "  regions: [us-east-1]\n  vpc_ids: [vpc-0prod]\n",
    );
    let report = diff(&accounts(), &files(&[&filtered]), &estate);
    assert!(report.in_sync, "{report:?}");
}

#[test]
fn a_new_vpcs_nacl_is_as_severe_as_what_it_exposes_to_its_subnets() {
    let mut estate = live_of(&three_tiers(), Some("us-east-1"));
    estate.extend(live_of(&open_vpc(), Some("us-east-1")));
    let report = diff(&accounts(), &files(&[&three_tiers()]), &estate);
    let severity = |acl: &str| {
        report
            .changes
            .iter()
            .find(|change| change.network_acl_id.as_str() == acl)
            .map(|change| change.severity.label())
    };
    assert_eq!(severity("acl-0fresh"), Some("critical"), "{report:?}");
    assert_eq!(severity("acl-0spare"), Some("low"), "no subnet uses it");
    assert_eq!(
        severity("acl-0private"),
        Some("medium"),
        "private sources only"
    );
}

#[test]
fn offline_nacls_of_an_unknown_vpc_are_skipped_for_want_of_a_region() {
    let mut estate = live_of(&three_tiers(), None);
    estate.extend(live_of(&fresh_vpc(), None));
    let report = diff(&accounts(), &files(&[&three_tiers()]), &estate);
    assert!(report.in_sync, "{report:?}");
    assert_eq!(report.skipped.len(), 1);
    assert_eq!(report.skipped[0].vpc_id.as_deref(), Some("vpc-0new"));
}

#[test]
fn offline_nacls_match_by_id_and_vpc() {
    let report = diff(
        &accounts(),
        &files(&[&three_tiers()]),
        &live_of(&drifted_live(), None),
    );
    let online = diff(
        &accounts(),
        &files(&[&three_tiers()]),
        &live_of(&drifted_live(), Some("us-east-1")),
    );
    assert_eq!(report, online);
}

#[test]
fn live_nacls_of_other_owners_are_ignored() {
    let mut estate = live_of(&three_tiers(), Some("us-east-1"));
    estate.extend(live_of(
        &fresh_vpc().replace("111122223333", "999988887777"),
        Some("us-east-1"),
    ));
    let report = diff(&accounts(), &files(&[&three_tiers()]), &estate);
    assert!(report.in_sync, "{report:?}");
}

#[test]
fn coverage_unions_the_scopes_of_every_snapshot() {
    let filtered = three_tiers().replace(
        "  regions: [us-east-1]\n",
        "  regions: [us-east-1, eu-west-1]\n  vpc_ids: [vpc-0prod]\n",
    );
    let other = fresh_vpc().replace(
        "  regions: [us-east-1]\n",
        "  regions: [us-east-1]\n  vpc_ids: [vpc-0new]\n",
    );
    let baselines = [baseline_of(&filtered), baseline_of(&other)];
    let covered = coverage(&baselines);
    assert_eq!(
        covered.get("us-east-1"),
        Some(&Coverage::Vpcs(BTreeSet::from([
            "vpc-0new".parse().expect("id"),
            "vpc-0prod".parse().expect("id")
        ])))
    );
    assert_eq!(
        covered.get("eu-west-1"),
        Some(&Coverage::Vpcs(BTreeSet::from(["vpc-0prod"
            .parse()
            .expect("id")])))
    );
    let unfiltered = [baseline_of(&three_tiers()), baseline_of(&other)];
    assert_eq!(
        coverage(&unfiltered).get("us-east-1"),
        Some(&Coverage::AllVpcs)
    );
}

#[test]
fn effects_name_the_exposure_and_its_rules() {
    let report = diff(
        &accounts(),
        &files(&[&three_tiers()]),
        &live_of(&drifted_live(), Some("us-east-1")),
    );
    let effects = json(&report)["effects"].clone();
    let ssh = effects
        .as_array()
        .expect("effects")
        .iter()
        .find(|e| {
            e["network_acl_id"] == "acl-0db"
                && e["ports"] == 22
                && e["live_network_acl_id"].is_null()
        })
        .expect("the SSH exposure");
    assert_eq!(
        ssh,
        &json!({
            "account": ACCOUNT, "region": "us-east-1", "vpc_id": "vpc-0prod", "network_acl_id": "acl-0db",
            "direction": "ingress", "effect": "newly_allowed", "protocol": "tcp", "ports": 22,
            "cidrs": ["0.0.0.0/0"], "severity": "critical", "baseline_rule": 80, "live_rule": 100,
            "summary": "ingress tcp 22 from 0.0.0.0/0: was denied by rule 80, now allowed by rule 100"
        })
    );
    let moved = effects
        .as_array()
        .expect("effects")
        .iter()
        .find(|e| e["live_network_acl_id"] == "acl-0default")
        .expect("the moved subnet's exposure");
    assert_eq!(moved["subnet_ids"], json!(["subnet-0dbb"]));
    assert_eq!(effects[0]["severity"], "critical", "most severe first");
}

#[test]
fn a_deletion_that_an_earlier_rule_shadows_is_no_effective_change() {
    let shadowing = three_tiers().replace(
        "  - {rule_number: 80, direction: ingress",
        "  - {rule_number: 70, direction: ingress, action: deny, protocol: all, cidr: 0.0.0.0/0}\n  - {rule_number: 80, direction: ingress",
    );
    let live_state = shadowing.replace(
        "  - {rule_number: 80, direction: ingress, action: deny, protocol: tcp, ports: 22, cidr: 0.0.0.0/0}\n",
        "",
    );
    let report = diff(
        &accounts(),
        &files(&[&shadowing]),
        &live_of(&live_state, Some("us-east-1")),
    );
    assert_eq!(report.changes.len(), 1);
    assert_eq!(report.changes[0].effective, Some(false));
    assert_eq!(report.changes[0].severity.label(), "low");
    assert!(report.effects.is_empty());
}
