//! `--assets` on the emulator (issue 24): a VPC with a public and a private
//! subnet and six instances (`tests/emulator/assets.py`); once the public
//! subnet's SSH deny is deleted, the report lists exactly the interfaces a
//! packet from the internet reaches on port 22.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::support::{Emulator, dir_arg, files_below, nacl_drift, run};

/// The seeded VPC, snapshotted, with its SSH deny (rule 80) deleted.
pub(crate) struct Exposed {
    pub(crate) emulator: Emulator,
    pub(crate) seeded: Value,
    pub(crate) work: tempfile::TempDir,
}

impl Exposed {
    pub(crate) fn seed() -> Self {
        let emulator = Emulator::start();
        let output = emulator.python(&[
            "tests/emulator/assets.py",
            "--endpoint-url",
            &emulator.endpoint,
            "seed",
        ]);
        let seeded: Value = serde_json::from_slice(&output.stdout).expect("assets.py prints JSON");
        let work = tempfile::tempdir().expect("temp dir");
        let exposed = Exposed {
            emulator,
            seeded,
            work,
        };
        let snapshot = exposed.nacl_drift(&["snapshot", "--region", "us-east-1"]);
        assert_eq!(snapshot.code, 0, "{snapshot:?}");
        exposed.emulator.python(&[
            "-c",
            &format!(
                "import boto3; boto3.client('ec2', region_name='us-east-1', endpoint_url='{}')\
                 .delete_network_acl_entry(NetworkAclId='{}', RuleNumber=80, Egress=False)",
                exposed.emulator.endpoint,
                exposed.seeded["network_acl"].as_str().expect("network_acl"),
            ),
        ]);
        exposed
    }

    /// nacl-drift `args` with the work folder's baselines, on the emulator.
    pub(crate) fn nacl_drift(&self, args: &[&str]) -> crate::support::Run {
        self.nacl_drift_at(&self.emulator.endpoint, args)
    }

    /// The same against `endpoint` (a proxy in front of the emulator).
    fn nacl_drift_at(&self, endpoint: &str, args: &[&str]) -> crate::support::Run {
        let baselines = self.work.path().join("baselines");
        let mut all = args.to_vec();
        all.extend([
            "--baseline-dir",
            dir_arg(&baselines),
            "--endpoint-url",
            endpoint,
        ]);
        run(
            nacl_drift()
                .current_dir(self.work.path())
                .env("AWS_REGION", "us-east-1"),
            &all,
        )
    }

    /// The AWS CLI's exports of the seeded estate (`tests/emulator/assets.py
    /// export`): their paths.
    fn export(&self) -> Vec<String> {
        let exports = self.work.path().join("exports");
        std::fs::create_dir_all(&exports).expect("mkdir");
        let written = self.emulator.python(&[
            "tests/emulator/assets.py",
            "--endpoint-url",
            &self.emulator.endpoint,
            "export",
            dir_arg(&exports),
        ]);
        let written: Value = serde_json::from_slice(&written.stdout).expect("JSON");
        written["paths"]
            .as_array()
            .expect("paths")
            .iter()
            .map(|path| path.as_str().expect("a path").to_owned())
            .collect()
    }

    pub(crate) fn instance(&self, name: &str, key: &str) -> String {
        self.seeded["instances"][name][key]
            .as_str()
            .unwrap_or_else(|| panic!("{name}: {}", self.seeded))
            .to_owned()
    }
}

#[test]
fn the_report_lists_exactly_the_interfaces_ssh_from_the_internet_reaches() {
    let exposed = Exposed::seed();
    let result = exposed.nacl_drift(&["diff", "--assets", "--format", "json"]);
    assert_eq!(result.code, 2, "{result:?}");
    let report: Value = serde_json::from_str(&result.stdout).expect("JSON");
    let effect = &report["effects"][0];
    assert_eq!(effect["ports"], 22, "{effect}");
    let reached: BTreeSet<String> = effect["assets"]["exposed"]
        .as_array()
        .unwrap_or_else(|| panic!("assets: {effect:#}"))
        .iter()
        .map(|interface| interface["interface_id"].as_str().expect("id").to_owned())
        .collect();
    let expected: BTreeSet<String> = ["open", "office"]
        .iter()
        .map(|name| exposed.instance(name, "interface_id"))
        .collect();
    assert_eq!(
        reached, expected,
        "not https, nopublic, private or self: {effect:#}"
    );
    let office = effect["assets"]["exposed"]
        .as_array()
        .expect("exposed")
        .iter()
        .find(|interface| interface["owner"]["name"] == "office")
        .expect("the office instance");
    assert_eq!(
        office["owner"]["id"],
        exposed.instance("office", "instance_id").as_str()
    );
    assert_eq!(
        office["admitted_by"][0]["sources"]["cidrs"],
        serde_json::json!(["203.0.113.0/24"]),
        "{office}"
    );
    assert_eq!(
        office["admitted_by"][0]["rule"],
        "tcp 22 from 203.0.113.0/24"
    );

    let table = exposed.nacl_drift(&["diff", "--assets"]);
    assert_eq!(table.code, 2, "{table:?}");
    let line = format!(
        "reaches 2 interfaces: {} (open), {} (office) from 203.0.113.0/24",
        exposed.instance("open", "instance_id"),
        exposed.instance("office", "instance_id")
    );
    assert!(table.stdout.contains(&line), "{line}\n{}", table.stdout);

    // SARIF and Security Hub findings say it too.
    let sarif = exposed.nacl_drift(&["diff", "--assets", "--format", "sarif"]);
    let sarif: Value = serde_json::from_str(&sarif.stdout).expect("SARIF");
    let message = sarif["runs"][0]["results"][0]["message"]["text"]
        .as_str()
        .unwrap_or_else(|| panic!("{sarif:#}"));
    assert!(message.contains("; it reaches 2 interfaces: "), "{message}");
    let asff = exposed.nacl_drift(&["diff", "--assets", "--format", "asff"]);
    let asff: Value = serde_json::from_str(&asff.stdout).expect("ASFF");
    let description = asff["Findings"][0]["Description"]
        .as_str()
        .unwrap_or_else(|| panic!("{asff:#}"));
    assert!(
        description.contains(" It reaches 2 interfaces: "),
        "{description}"
    );
}

/// Offline, from the AWS CLI's exports of the same account, the assets
/// are the same.
#[test]
fn the_exports_give_the_same_assets() {
    let exposed = Exposed::seed();
    let live = exposed.nacl_drift(&["diff", "--assets", "--format", "json"]);
    let paths = exposed.export();
    let mut args = vec!["diff", "--assets", "--format", "json"];
    for path in &paths {
        args.extend(["--live-file", path.as_str()]);
    }
    let offline = exposed.nacl_drift(&args);
    assert_eq!(offline.code, 2, "{offline:?}");
    let assets = |run: &crate::support::Run| {
        let report: Value = serde_json::from_str(&run.stdout).expect("JSON");
        report["effects"][0]["assets"].clone()
    };
    assert!(assets(&live)["exposed"].is_array(), "{live:?}");
    assert_eq!(assets(&offline), assets(&live));
}

/// `[assets] enabled = true` in the config file asks for them without the
/// flag.
#[test]
fn the_config_file_turns_assets_on() {
    let exposed = Exposed::seed();
    std::fs::write(
        exposed.work.path().join("nacl-drift.toml"),
        "[assets]\nenabled = true\n",
    )
    .expect("write the config");
    let result = exposed.nacl_drift(&["diff", "--format", "json"]);
    assert_eq!(result.code, 2, "{result:?}");
    let report: Value = serde_json::from_str(&result.stdout).expect("JSON");
    assert_eq!(
        report["effects"][0]["assets"]["exposed"]
            .as_array()
            .map(Vec::len),
        Some(2),
        "{report:#}"
    );
}

/// Bad input: `--assets` on exports without the interfaces' exports says
/// what it needs, exits 1 and changes nothing.
#[test]
fn assets_from_acl_exports_alone_are_refused() {
    let work = tempfile::tempdir().expect("temp dir");
    let export = work.path().join("acls.json");
    std::fs::write(&export, r#"{"NetworkAcls": []}"#).expect("write");
    let before = files_below(work.path());
    let result = run(
        nacl_drift().current_dir(work.path()),
        &[
            "diff",
            "--assets",
            "--live-file",
            dir_arg(&export),
            "--baseline-dir",
            dir_arg(work.path()),
        ],
    );
    assert_eq!(result.code, 1, "{result:?}");
    assert!(
        result.stderr.contains(
            "--assets with --live-file needs the exports of describe-network-interfaces, describe-security-groups and describe-route-tables too; none of the live files holds network interfaces"
        ),
        "{result:?}"
    );
    assert!(result.stdout.is_empty(), "{result:?}");
    assert_eq!(files_below(work.path()), before);
}

/// `--fail-on-exposed`: drift that reaches an interface fails (exit 2);
/// once no security group admits SSH from outside, the same drift reaches
/// none, and it passes (exit 0) while plain `diff` still reports it.
#[test]
fn fail_on_exposed_fails_only_when_an_interface_is_reached() {
    let exposed = Exposed::seed();
    let result = exposed.nacl_drift(&["diff", "--fail-on-exposed"]);
    assert_eq!(result.code, 2, "{result:?}");
    let critical = exposed.nacl_drift(&["diff", "--fail-on-exposed", "--fail-on", "critical"]);
    assert_eq!(critical.code, 2, "{critical:?}");

    exposed.emulator.python(&[
        "-c",
        &format!(
            "import boto3\n\
             ec2 = boto3.client('ec2', region_name='us-east-1', endpoint_url='{}')\n\
             for group in ec2.describe_security_groups()['SecurityGroups']:\n\
             \x20   for permission in group['IpPermissions']:\n\
             \x20       if permission.get('IpRanges'):\n\
             \x20           ec2.revoke_security_group_ingress(GroupId=group['GroupId'], IpPermissions=[permission])\n",
            exposed.emulator.endpoint
        ),
    ]);
    let result = exposed.nacl_drift(&["diff", "--fail-on-exposed"]);
    assert_eq!(result.code, 0, "{result:?}");
    assert!(result.stdout.contains("reaches none now"), "{result:?}");
    let plain = exposed.nacl_drift(&["diff"]);
    assert_eq!(plain.code, 2, "{plain:?}");
}

/// `--fail-on-exposed` never passes what it cannot tell: with the
/// security groups unread (a refused call, or an export left out) or the
/// route tables missing, the drift that reaches two interfaces exits 1,
/// "cannot tell", naming what is unknown; every format says "unknown".
#[test]
fn fail_on_exposed_cannot_tell_without_the_assets() {
    let exposed = Exposed::seed();
    let proxy = exposed
        .emulator
        .proxy(&["--deny-action", "DescribeSecurityGroups"]);
    let refused = exposed.nacl_drift_at(&proxy.endpoint, &["diff", "--fail-on-exposed"]);
    assert_eq!(refused.code, 1, "{refused:?}");
    assert!(
        refused
            .stderr
            .contains("error: --fail-on-exposed cannot tell whether the drift exposes anything: ")
            && refused.stderr.contains("its assets were not read (")
            && refused.stderr.contains("DescribeSecurityGroups"),
        "{refused:?}"
    );
    assert!(
        refused.stdout.contains("; assets unknown: not read"),
        "{refused:?}"
    );

    let paths = exposed.export();
    for (left_out, unknown) in [
        ("groups.json", "security group sg-"),
        ("routes.json", "no route table read"),
    ] {
        let mut args = vec!["diff", "--fail-on-exposed"];
        for path in paths.iter().filter(|path| !path.ends_with(left_out)) {
            args.extend(["--live-file", path.as_str()]);
        }
        let before = files_below(exposed.work.path());
        let result = exposed.nacl_drift(&args);
        assert_eq!(result.code, 1, "without {left_out}: {result:?}");
        assert!(
            result
                .stderr
                .contains("--fail-on-exposed cannot tell whether the drift exposes anything: ")
                && result.stderr.contains(unknown),
            "without {left_out}: {result:?}"
        );
        assert!(result.stdout.contains("(unknown: "), "{result:?}");
        assert_eq!(files_below(exposed.work.path()), before);

        args.extend(["--format", "json"]);
        let json = exposed.nacl_drift(&args);
        let report: Value = serde_json::from_str(&json.stdout).expect("JSON");
        let reasons: BTreeSet<&str> = report["effects"][0]["assets"]["not_exposed"]
            .as_array()
            .unwrap_or_else(|| panic!("without {left_out}: {report:#}"))
            .iter()
            .map(|not| not["why"]["reason"].as_str().expect("reason"))
            .collect();
        let expected = if left_out == "groups.json" {
            "unknown_security_group"
        } else {
            "unknown_route_table"
        };
        assert!(reasons.contains(expected), "{report:#}");
    }
}

/// Crafted security group rules (an inverted port range, a CIDR that is
/// none, a protocol EC2 does not know) are never dropped unsaid: each
/// leaves its interface unknown, and `--fail-on-exposed` cannot tell.
#[test]
fn crafted_group_rules_leave_the_gate_unable_to_tell() {
    let exposed = Exposed::seed();
    let paths = exposed.export();
    let groups_path = paths
        .iter()
        .find(|path| path.ends_with("groups.json"))
        .expect("groups.json");
    let groups: Value =
        serde_json::from_str(&std::fs::read_to_string(groups_path).expect("read")).expect("JSON");
    type Craft = fn(&mut Value);
    let crafts: [(&str, Craft); 3] = [
        ("inverted ports", |permission| {
            permission["FromPort"] = 22.into();
            permission["ToPort"] = 21.into();
        }),
        ("a CIDR that is none", |permission| {
            for range in permission["IpRanges"].as_array_mut().into_iter().flatten() {
                range["CidrIp"] = "0.0.0.0/33".into();
            }
        }),
        ("protocol 999", |permission| {
            permission["IpProtocol"] = "999".into();
        }),
    ];
    for (what, craft) in crafts {
        let mut crafted = groups.clone();
        for group in crafted["SecurityGroups"].as_array_mut().expect("groups") {
            for permission in group["IpPermissions"].as_array_mut().into_iter().flatten() {
                if !permission["IpRanges"].as_array().is_some_and(Vec::is_empty) {
                    craft(permission);
                }
            }
        }
        std::fs::write(groups_path, crafted.to_string()).expect("write");
        let mut args = vec!["diff", "--fail-on-exposed"];
        for path in &paths {
            args.extend(["--live-file", path.as_str()]);
        }
        let result = exposed.nacl_drift(&args);
        assert_eq!(result.code, 1, "{what}: {result:?}");
        assert!(
            result
                .stderr
                .contains("--fail-on-exposed cannot tell whether the drift exposes anything: ")
                && result.stderr.contains("could not be read: "),
            "{what}: {result:?}"
        );
    }
}

/// doctor `--assets` reads the assets for real in each region of the
/// baselines; a role without DescribeSecurityGroups fails with its fix,
/// and so does `diff --assets`, with a warning that names the call (its
/// drift is reported all the same).
#[test]
fn doctor_checks_the_reads_of_assets() {
    let exposed = Exposed::seed();
    let json = |run: &crate::support::Run| -> Value {
        serde_json::from_str(&run.stdout).unwrap_or_else(|_| panic!("{run:?}"))
    };
    let healthy = exposed.nacl_drift(&["doctor", "--assets", "--format", "json"]);
    let check = crate::doctor::check(&json(&healthy), "assets", Some("us-east-1"));
    assert_eq!(check["status"], "ok", "{check}");
    assert!(
        check["detail"]
            .as_str()
            .is_some_and(|detail| detail.starts_with("6 network interfaces, ")),
        "{check}"
    );

    let proxy = exposed
        .emulator
        .proxy(&["--deny-action", "DescribeSecurityGroups"]);
    let denied =
        exposed.nacl_drift_at(&proxy.endpoint, &["doctor", "--assets", "--format", "json"]);
    assert_eq!(denied.code, 1, "{denied:?}");
    let check = crate::doctor::check(&json(&denied), "assets", Some("us-east-1"));
    assert_eq!(check["status"], "fail", "{check}");
    assert!(
        check["detail"]
            .as_str()
            .is_some_and(|detail| detail.contains("DescribeSecurityGroups")),
        "{check}"
    );
    assert!(
        check["fix"]
            .as_str()
            .is_some_and(|fix| fix.contains("NaclDriftAssets")),
        "{check}"
    );

    let diff = exposed.nacl_drift_at(&proxy.endpoint, &["diff", "--assets", "--format", "json"]);
    assert_eq!(diff.code, 2, "the drift, reported: {diff:?}");
    assert!(
        diff.stderr
            .contains("no assets for 123456789012 in us-east-1: ")
            && diff.stderr.contains("DescribeSecurityGroups"),
        "{diff:?}"
    );
    assert!(
        json(&diff)["effects"][0].get("assets").is_none(),
        "no assets, not none"
    );
}

/// `apply --dry-run --assets` shows what the drift reaches before the plan
/// that closes it, and changes nothing.
#[test]
fn apply_dry_run_shows_what_the_drift_reaches() {
    let exposed = Exposed::seed();
    let result = exposed.nacl_drift(&["apply", "--dry-run", "--assets"]);
    assert_eq!(result.code, 2, "{result:?}");
    assert!(
        result.stdout.contains("The drift, and what it reaches:"),
        "{result:?}"
    );
    let reaches = result
        .stdout
        .find("reaches 2 interfaces: ")
        .unwrap_or_else(|| panic!("{result:?}"));
    let planned = result.stdout.find("Dry run: 1 call planned, none made.");
    assert!(
        planned.is_some_and(|planned| planned > reaches),
        "{result:?}"
    );
    let again = exposed.nacl_drift(&["diff", "--assets", "--format", "json"]);
    assert_eq!(again.code, 2, "nothing was restored: {again:?}");
}

/// The guard: `watch --once --assets` (report only) puts the assets on the
/// line's effects, and its alert says what the drift reaches.
#[test]
fn the_guard_says_what_the_drift_reaches() {
    let exposed = Exposed::seed();
    let topic = exposed.emulator.events(&["topic"]);
    let topic_arn = topic["topic_arn"].as_str().expect("topic_arn");
    let result = exposed.nacl_drift(&["watch", "--once", "--assets", "--sns-topic-arn", topic_arn]);
    assert_eq!(result.code, 2, "reported, not restored: {result:?}");
    let line: Value =
        serde_json::from_str(result.stdout.lines().next().expect("a line")).expect("JSON");
    assert_eq!(
        line["effects"][0]["assets"]["exposed"]
            .as_array()
            .map(Vec::len),
        Some(2),
        "{line:#}"
    );
    let drained = exposed
        .emulator
        .events(&["drain", topic["queue_url"].as_str().expect("queue_url")]);
    let body = drained["messages"][0]["Message"]
        .as_str()
        .unwrap_or_else(|| panic!("{drained}"));
    assert!(body.contains("    reaches 2 interfaces: "), "{body}");
}
