//! No window of extra exposure: every intermediate state of a NACL during a
//! restore lets through only what its state before or after lets through.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use nacl_drift_apply::{Plan, PlanOptions, Stage, exposure_windows, plan};
use nacl_drift_diff::diff;
use nacl_drift_model::{Baseline, Entry, EntryKey, LiveAcl, NetworkAclId, ObservedAcl};

/// A baseline of one NACL, `acl-1`, from flow-style YAML entry lines.
fn baseline(lines: &str) -> Baseline {
    let mut yaml = String::from(
        "schema_version: 1\naccount: '111122223333'\nregion: us-east-1\nvpc_id: vpc-1\n\
         scope: {regions: [us-east-1]}\nnetwork_acls:\n- id: acl-1\n  is_default: false\n  entries:\n",
    );
    for line in lines.lines().map(str::trim).filter(|l| !l.is_empty()) {
        yaml.push_str(&format!("  - {{{line}}}\n"));
    }
    Baseline::from_yaml(Path::new("t.yaml"), &yaml).expect("valid entries")
}

/// Live: HTTPS only. Baseline: SSH denied first, then everything allowed.
const BEFORE: &str = "rule_number: 100, direction: ingress, action: allow, protocol: tcp, ports: 443, cidr: 0.0.0.0/0";
const AFTER: &str = "
    rule_number: 10, direction: ingress, action: deny, protocol: tcp, ports: 22, cidr: 0.0.0.0/0
    rule_number: 100, direction: ingress, action: allow, protocol: all, cidr: 0.0.0.0/0
";

/// The restore plan, and the live entries it starts from.
fn restore() -> (Plan, HashMap<NetworkAclId, BTreeMap<EntryKey, Entry>>) {
    let live_acl = baseline(BEFORE).network_acls[0].clone();
    let live = vec![LiveAcl {
        region: Some("us-east-1".parse().expect("region")),
        observed: ObservedAcl {
            account: "111122223333".parse().expect("account"),
            vpc_id: "vpc-1".parse().expect("VPC id"),
            association_ids: BTreeMap::new(),
            acl: live_acl.clone(),
        },
    }];
    let accounts = [live[0].observed.account.clone()].into_iter().collect();
    let report = diff(&accounts, &[("t.yaml".into(), baseline(AFTER))], &live);
    let entries = HashMap::from([(live_acl.id, live_acl.entries)]);
    (
        plan(&report.unassessed_changes(), PlanOptions::default()),
        entries,
    )
}

#[test]
fn the_plan_closes_before_it_opens_and_leaves_no_window() {
    let (plan, live) = restore();
    let calls: Vec<(&str, Stage)> = plan
        .steps
        .iter()
        .map(|s| (s.operation().name(), s.stage))
        .collect();
    assert_eq!(
        calls,
        [
            ("CreateNetworkAclEntry", Stage::Close),
            ("ReplaceNetworkAclEntry", Stage::Open)
        ]
    );
    assert!(exposure_windows(&plan, &live).is_empty());
}

#[test]
fn opening_first_would_briefly_expose_ssh_and_is_caught() {
    let (mut plan, live) = restore();
    plan.steps.reverse();
    let windows: Vec<(usize, String)> = exposure_windows(&plan, &live)
        .iter()
        .map(|(step, effect)| (*step, effect.traffic()))
        .collect();
    // After the widening alone, SSH gets in: neither before nor after allows it.
    assert_eq!(windows, [(0, "ingress tcp 22 from 0.0.0.0/0".to_owned())]);
}
