//! `nacl-drift.toml`: flag defaults, accepted findings that expire, and
//! monitor-only NACLs, through `lint`, `diff` and `apply`.

use std::fs;
use std::net::{Ipv4Addr, TcpListener};
use std::path::Path;

use serde_json::Value;

use crate::support::{Emulator, Run, copy_dir, files_below, nacl_drift, repo_root, run};

/// A project folder: `baselines/` holding `fixture`, and `config` as its
/// `nacl-drift.toml`.
fn project(fixture: &str, config: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    copy_dir(&repo_root().join(fixture), &dir.path().join("baselines"));
    fs::write(dir.path().join("nacl-drift.toml"), config).expect("write config");
    dir
}

/// Runs nacl-drift in `folder` (where it looks for its config).
fn in_folder(folder: &Path, args: &[&str]) -> Run {
    run(nacl_drift().current_dir(folder), args)
}

const EPHEMERAL_ACCEPTED: &str = r#"# The team's settings.
baseline_dir = "baselines"
fail_on = "medium"

[[accept]]
network_acl = "acl-0p*"
kind = "ephemeral_ports_open"
direction = "ingress"
reason = "Return traffic through the NAT gateway; the security groups guard 5432"
expires = EXPIRES
"#;

#[test]
fn an_accepted_lint_finding_counts_for_nothing_until_it_expires() {
    let dir = project(
        "tests/fixtures/aws-recommended",
        &EPHEMERAL_ACCEPTED.replace("EXPIRES", "2999-12-31"),
    );
    // Found from a folder below the config's, as rustfmt.toml is.
    let below = dir.path().join("baselines/111122223333");
    let table = in_folder(&below, &["lint"]);
    assert_eq!(table.code, 0, "{table:?}");
    assert_eq!(
        table.stdout,
        "No findings in 2 NACLs; 4 accepted.\n--show-accepted lists the accepted findings.\n"
    );

    let listed = in_folder(&below, &["lint", "--show-accepted"]);
    assert_eq!(listed.code, 0, "{listed:?}");
    assert!(
        listed
            .stdout
            .contains("medium, accepted until 2999-12-31: Return traffic through the NAT gateway"),
        "{listed:?}"
    );

    let json = in_folder(dir.path(), &["lint", "--format", "json"]);
    assert_eq!(json.code, 0, "{json:?}");
    let report: Value = serde_json::from_str(&json.stdout).expect("JSON");
    assert_eq!(report["severity"], Value::Null);
    let findings = report["findings"].as_array().expect("findings");
    assert_eq!(findings.len(), 4);
    for finding in findings {
        assert_eq!(finding["kind"], "ephemeral_ports_open");
        assert_eq!(finding["accepted"]["expires"], "2999-12-31");
        assert_eq!(
            finding["accepted"]["reason"],
            "Return traffic through the NAT gateway; the security groups guard 5432"
        );
    }

    // The day after it expires, the findings are back, and fail the run.
    fs::write(
        dir.path().join("nacl-drift.toml"),
        EPHEMERAL_ACCEPTED.replace("EXPIRES", "2020-01-31"),
    )
    .expect("write config");
    let expired = in_folder(dir.path(), &["lint"]);
    assert_eq!(expired.code, 2, "{expired:?}");
    assert!(
        expired.stderr.contains(
            "nacl-drift.toml:5: this exemption expired on 2020-01-31 (\"Return traffic through the NAT gateway; the security groups guard 5432\"): what it accepted is reported again"
        ),
        "{expired:?}"
    );
    assert!(
        expired
            .stdout
            .ends_with("4 findings in 2 NACLs: 4 medium\n"),
        "{expired:?}"
    );
}

#[test]
fn an_accepted_drift_counts_for_nothing_until_it_expires() {
    let config = |expires: &str| {
        format!(
            "baseline_dir = \"baselines\"\n\n[[accept]]\nnetwork_acl = \"acl-02db\"\nkind = \"entry_deleted\"\ndirection = \"ingress\"\nrule_number = 80\ncidr = \"0.0.0.0/0\"\nreason = \"INC-1234: the bastion moves to SSM\"\nexpires = {expires}\n"
        )
    };
    let dir = project("tests/fixtures/diff/baselines", &config("2999-12-31"));
    let live = repo_root().join("tests/fixtures/diff/live-us-east-1.json");
    let live = live.to_str().expect("utf-8 path");
    let diff = |args: &[&str]| {
        let mut all = vec!["diff", "--live-file", live];
        all.extend(args);
        in_folder(dir.path(), &all)
    };

    let json = diff(&["--format", "json"]);
    assert_eq!(json.code, 2, "other drift remains: {json:?}");
    let report: Value = serde_json::from_str(&json.stdout).expect("JSON");
    let accepted: Vec<&Value> = report["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .filter(|change| !change["accepted"].is_null())
        .collect();
    assert_eq!(accepted.len(), 1, "{report:#}");
    assert_eq!(accepted[0]["kind"], "entry_deleted");
    assert_eq!(accepted[0]["rule_number"], 80);
    assert_eq!(
        accepted[0]["accepted"]["reason"],
        "INC-1234: the bastion moves to SSM"
    );

    let table = diff(&[]);
    assert_eq!(table.code, 2);
    assert!(
        table.stdout.ends_with(
            "1 accepted change not shown (the config file accepts it): --show-accepted lists it.\n"
        ),
        "{table:?}"
    );
    assert!(!table.stdout.contains("ingress 80"), "{table:?}");
    assert!(
        diff(&["--show-accepted"])
            .stdout
            .contains("accepted until 2999-12-31: INC-1234")
    );

    // Accepting every change of the drill leaves nothing to fail on.
    fs::write(
        dir.path().join("nacl-drift.toml"),
        "[[accept]]\nnetwork_acl = \"acl-0*\"\nreason = \"Known, tracked in INC-1234\"\nexpires = 2999-12-31\n",
    )
    .expect("write config");
    let all = in_folder(
        dir.path(),
        &["diff", "--live-file", live, "--baseline-dir", "baselines"],
    );
    assert_eq!(all.code, 0, "{all:?}");
    assert_eq!(
        all.stdout,
        "No drift but what the config file accepts: 4 accepted changes; --show-accepted lists them.\n"
    );

    fs::write(dir.path().join("nacl-drift.toml"), config("2020-01-31")).expect("write config");
    let expired = diff(&["--format", "json", "--fail-on", "critical"]);
    assert_eq!(expired.code, 2, "{expired:?}");
    assert!(
        expired.stderr.contains("expired on 2020-01-31"),
        "{expired:?}"
    );
    assert!(!expired.stdout.contains("\"accepted\""), "{expired:?}");
}

#[test]
fn diff_marks_the_drift_of_a_monitor_only_nacl() {
    let dir = project(
        "tests/fixtures/diff/baselines",
        "baseline_dir = \"baselines\"\n\n[[monitor_only]]\nnetwork_acl = \"acl-02*\"\nreason = \"Managed by Firewall Manager\"\n",
    );
    let live = repo_root().join("tests/fixtures/diff/live-us-east-1.json");
    let live = live.to_str().expect("utf-8 path");
    let table = in_folder(dir.path(), &["diff", "--live-file", live]);
    assert_eq!(table.code, 2, "monitored drift is still drift: {table:?}");
    let marked = table
        .stdout
        .lines()
        .filter(|line| line.contains("monitored only: Managed by Firewall Manager"))
        .count();
    assert_eq!(marked, 3, "the three changes of acl-02db: {table:?}");
    let json = in_folder(
        dir.path(),
        &["diff", "--live-file", live, "--format", "json"],
    );
    let report: Value = serde_json::from_str(&json.stdout).expect("JSON");
    for change in report["changes"].as_array().expect("changes") {
        let expected = if change["network_acl_id"] == "acl-02db" {
            Value::from("Managed by Firewall Manager")
        } else {
            Value::Null
        };
        assert_eq!(change["monitor_only"], expected, "{change}");
    }
}

#[test]
fn the_books_example_config_is_valid() {
    let readme = fs::read_to_string(repo_root().join("docs/src/config.md")).expect("the book");
    let start = readme
        .find("```toml\n# Defaults for flags")
        .expect("the book's example nacl-drift.toml")
        + "```toml\n".len();
    let example = &readme[start..start + readme[start..].find("```").expect("end of block")];
    let dir = project("baselines", example);
    // The accounts file it names: the example estate's account.
    fs::write(
        dir.path().join("accounts.yaml"),
        "accounts:\n  - account_id: \"123456789012\"\n    name: shop\n",
    )
    .expect("write the accounts file");
    let result = in_folder(dir.path(), &["lint", "--format", "json"]);
    assert!(result.stderr.is_empty(), "{result:?}");
    // fail_on = "high", and the example estate's findings are medium.
    assert_eq!(result.code, 0, "{result:?}");
    let report: Value = serde_json::from_str(&result.stdout).expect("JSON");
    let accepted: Vec<&Value> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|finding| finding["accepted"].is_object())
        .collect();
    assert_eq!(accepted.len(), 2, "the two default NACLs: {report:#}");
    assert!(accepted.iter().all(|finding| finding["is_default"] == true));
}

/// A loopback port that counts as AWS: nothing may connect to it.
struct NoAws(TcpListener);

impl NoAws {
    fn new() -> Self {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind");
        listener.set_nonblocking(true).expect("nonblocking");
        NoAws(listener)
    }

    fn endpoint(&self) -> String {
        format!("http://{}", self.0.local_addr().expect("address"))
    }

    fn assert_untouched(&self) {
        assert!(
            self.0.accept().is_err(),
            "nacl-drift called AWS despite a bad config file"
        );
    }
}

#[test]
fn a_bad_config_file_is_an_error_with_its_line_before_any_call() {
    let cases = [
        (
            "[[accept]]\nkind = \"entry_deleted\"\nexpires = 2027-03-31\n",
            "nacl-drift.toml:1: this [[accept]] has no `reason` with visible characters: say why, for the next person to read it",
        ),
        (
            "fail_on = \"high\"\n\n[[accept]]\nkind = \"entry_deleted\"\nreason = \"Known\"\n",
            "nacl-drift.toml:3: this [[accept]] has no `expires` date (e.g. expires = 2027-03-31): every exemption ends",
        ),
        (
            "[[accept]]\nreason = \"Everything\"\nexpires = 2027-03-31\n",
            "nacl-drift.toml:1: this [[accept]] names neither a `kind`, nor `is_default`, nor `unused`, nor a `network_acl` (a glob that matches every NACL names none), so it would accept everything",
        ),
        (
            "[[accept]]\nkind = \"entry_gone\"\nreason = \"Known\"\nexpires = 2027-03-31\n",
            "nacl-drift.toml:1: `entry_gone` is not a kind of drift or lint finding: expected one of network_acl_deleted,",
        ),
        (
            "fail_on = \"severe\"\n",
            "nacl-drift.toml:1: `severe` is not a severity",
        ),
        (
            "baseline_dir = \"b\"\nformat = \"html\"\n",
            "nacl-drift.toml:2: `format = \"html\"` is not a format of diff: expected table, json, unified, markdown, sarif",
        ),
        (
            "[[monitor_only]]\nnetwork_acl = \"acl-0fms*\"\n",
            "nacl-drift.toml:1: this [[monitor_only]] has no `reason`",
        ),
        ("bogus = 1\n", "nacl-drift.toml:1: unknown field `bogus`"),
        ("[[accept]\n", "nacl-drift.toml:1: "),
    ];
    for (config, message) in cases {
        let dir = project("tests/fixtures/diff/baselines", config);
        let before = files_below(dir.path());
        let aws = NoAws::new();
        let result = in_folder(dir.path(), &["diff", "--endpoint-url", &aws.endpoint()]);
        assert_eq!(result.code, 1, "{config}: {result:?}");
        assert!(result.stdout.is_empty(), "{result:?}");
        let first = result.stderr.lines().next().unwrap_or_default();
        assert!(first.starts_with("error: "), "{result:?}");
        assert!(
            first.contains(message),
            "{config}: expected {message:?} in {first:?}"
        );
        assert!(
            first.contains(&dir.path().display().to_string()),
            "names the file: {first}"
        );
        aws.assert_untouched();
        assert_eq!(files_below(dir.path()), before, "nothing changed");
    }

    let missing = in_folder(
        repo_root(),
        &["lint", "--config", "/nonexistent/nacl-drift.toml"],
    );
    assert_eq!(missing.code, 1);
    assert!(
        missing
            .stderr
            .starts_with("error: cannot read the config file /nonexistent/nacl-drift.toml\n"),
        "{missing:?}"
    );
}

#[test]
fn the_config_sets_flag_defaults_and_flags_win() {
    let dir = project(
        "tests/fixtures/aws-recommended",
        "baseline_dir = \"baselines\"\nformat = \"json\"\nfail_on = \"high\"\n",
    );
    let json = in_folder(dir.path(), &["lint"]);
    assert_eq!(
        json.code, 0,
        "medium findings pass fail_on = high: {json:?}"
    );
    assert!(json.stdout.starts_with('{'), "{json:?}");
    let table = in_folder(
        dir.path(),
        &["lint", "--format", "table", "--fail-on", "medium"],
    );
    assert_eq!(table.code, 2, "{table:?}");
    assert!(
        table.stdout.ends_with("4 findings in 2 NACLs: 4 medium\n"),
        "{table:?}"
    );
    // `--config` names a file anywhere; its baseline_dir is relative to it.
    let elsewhere = in_folder(
        repo_root(),
        &[
            "lint",
            "--config",
            dir.path().join("nacl-drift.toml").to_str().expect("utf-8"),
        ],
    );
    assert_eq!(elsewhere.code, 0, "{elsewhere:?}");
}

#[test]
fn apply_reports_a_monitor_only_nacl_and_leaves_it_alone() {
    let emulator = Emulator::start();
    let estate = emulator.seed_estate();
    let dir = tempfile::tempdir().expect("temp dir");
    let baselines = dir.path().join("baselines");
    let nacl = |args: &[&str]| {
        let mut all = vec![args[0], "--endpoint-url", &emulator.endpoint];
        all.extend(&args[1..]);
        in_folder(dir.path(), &all)
    };
    fs::write(
        dir.path().join("nacl-drift.toml"),
        "baseline_dir = \"baselines\"\n",
    )
    .expect("config");
    let snapshot = nacl(&["snapshot", "--region", "us-east-1", "--region", "eu-west-1"]);
    assert_eq!(snapshot.code, 0, "{snapshot:?}");
    assert!(baselines.is_dir());
    emulator.incident(&estate);

    // The NACL that lost its SSH deny is Firewall Manager's.
    let drift = nacl(&["diff", "--format", "json"]);
    let report: Value = serde_json::from_str(&drift.stdout).expect("JSON");
    let ssh_deny = report["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .find(|change| change["kind"] == "entry_deleted" && change["severity"] == "critical")
        .expect("the deleted SSH deny");
    let managed = ssh_deny["network_acl_id"].as_str().expect("id").to_owned();
    let region = ssh_deny["region"].as_str().expect("region").to_owned();
    fs::write(
        dir.path().join("nacl-drift.toml"),
        format!("baseline_dir = \"baselines\"\n\n[[monitor_only]]\nnetwork_acl = \"{managed}\"\nreason = \"Managed by Firewall Manager\"\n"),
    )
    .expect("config");
    let export_before = emulator.export(&region);

    let dry = nacl(&["apply", "--dry-run", "--prune"]);
    assert_eq!(dry.code, 2, "{dry:?}");
    assert!(
        dry.stdout.contains(&format!(
            "Left alone: entry deleted on {managed} ingress 80: the config says this NACL is monitored only (\"Managed by Firewall Manager\")"
        )),
        "{dry:?}"
    );
    for line in dry
        .stdout
        .lines()
        .filter(|line| line.contains(managed.as_str()))
    {
        assert!(
            line.starts_with("Left alone: "),
            "planned on {managed}: {line}"
        );
    }

    let applied = nacl(&["apply", "--yes", "--prune"]);
    assert_eq!(applied.code, 2, "the monitored drift remains: {applied:?}");
    let after: Value =
        serde_json::from_str(&nacl(&["diff", "--format", "json"]).stdout).expect("JSON");
    let remaining: Vec<&str> = after["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .map(|change| change["network_acl_id"].as_str().expect("id"))
        .collect();
    assert!(
        !remaining.is_empty() && remaining.iter().all(|id| *id == managed),
        "{after:#}"
    );
    let entries = |export: &str| -> Value {
        let export: Value = serde_json::from_str(export).expect("export");
        export["NetworkAcls"]
            .as_array()
            .expect("NACLs")
            .iter()
            .find(|acl| acl["NetworkAclId"] == managed.as_str())
            .map(|acl| acl["Entries"].clone())
            .expect("the managed NACL")
    };
    assert_eq!(
        entries(&emulator.export(&region)),
        entries(&export_before),
        "apply --yes left the monitored NACL as it was"
    );
}
