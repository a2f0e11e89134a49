//! Trust boundaries: what a parent folder, a baseline file of another VPC,
//! a tag, a CloudTrail record or an oversized input may make nacl-drift do
//! (the book's docs/src/security.md). Each test checks the message, the
//! exit code, and that nothing changed.

use std::fs;
use std::path::{Path, PathBuf};

use proptest::prelude::*;
use serde_json::json;

use crate::support::{Emulator, copy_dir, dir_arg, files_below, id, nacl_drift, repo_root, run};
use crate::watch_queue::{guard_queue, lines as json_lines_of, watch_queue as watch_once};

const FIXTURE: &str = "tests/fixtures/diff/baselines";
const LIVE: &str = "tests/fixtures/diff/live-us-east-1.json";

fn write_mode(path: &Path, text: &str, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    fs::write(path, text).expect("write");
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).expect("chmod");
}

/// A project: the diff fixture's baselines, in a repository (`.git`).
fn git_project() -> tempfile::TempDir {
    let project = tempfile::tempdir().expect("temp dir");
    copy_dir(
        &repo_root().join(FIXTURE),
        &project.path().join("baselines"),
    );
    fs::create_dir(project.path().join(".git")).expect("mkdir");
    project
}

/// A shared folder holding a planted config that points at forged
/// baselines, and below it a repository with its own baselines.
fn planted() -> (tempfile::TempDir, PathBuf) {
    let shared = tempfile::tempdir().expect("temp dir");
    copy_dir(&repo_root().join(FIXTURE), &shared.path().join("forged"));
    write_mode(
        &shared.path().join("nacl-drift.toml"),
        "baseline_dir = \"forged\"\n",
        0o644,
    );
    let repo = shared.path().join("repo");
    copy_dir(&repo_root().join(FIXTURE), &repo.join("baselines"));
    fs::create_dir_all(repo.join(".git")).expect("mkdir");
    fs::create_dir_all(repo.join("docs")).expect("mkdir");
    (shared, repo)
}

#[test]
fn a_config_above_the_repository_root_is_never_read() {
    let (shared, repo) = planted();
    let before = files_below(shared.path());
    for folder in [repo.clone(), repo.join("docs")] {
        let validate = run(nacl_drift().current_dir(&folder), &["validate"]);
        if folder == repo {
            assert_eq!(validate.code, 0, "{validate:?}");
            assert!(
                validate.stdout.contains("baselines/111122223333"),
                "{validate:?}"
            );
        } else {
            // From below the root, the repository's config is looked for,
            // not the shared folder's: there is none, so the default
            // folder (docs/baselines) is missing.
            assert_eq!(validate.code, 1, "{validate:?}");
            assert!(
                validate
                    .stderr
                    .starts_with("error: no baseline folder baselines"),
                "{validate:?}"
            );
        }
        assert!(!validate.stdout.contains("forged"), "{validate:?}");
        assert!(!validate.stderr.contains("forged"), "{validate:?}");
    }
    // Without the repository's `.git`, the home folder stops the walk.
    fs::remove_dir(repo.join(".git")).expect("rmdir");
    let home = run(
        nacl_drift().current_dir(&repo).env("HOME", &repo),
        &["validate"],
    );
    assert_eq!(home.code, 0, "{home:?}");
    assert!(!home.stdout.contains("forged"), "{home:?}");
    assert_eq!(files_below(shared.path()), before);
}

#[test]
fn a_config_others_may_write_or_own_is_passed_over_with_a_warning() {
    let project = git_project();
    let config = project.path().join("nacl-drift.toml");
    write_mode(&config, "baseline_dir = \"elsewhere\"\n", 0o664);
    let before = files_below(project.path());

    let validate = run(nacl_drift().current_dir(project.path()), &["validate"]);
    assert_eq!(validate.code, 0, "{validate:?}");
    assert_eq!(
        validate.stderr,
        format!(
            "warning: ignoring {0}: group or others may write to it (mode 664); run `chmod go-w {0}`, or name it with --config\n",
            config.display()
        )
    );
    // Named, it is the user's choice.
    let named = run(
        nacl_drift().current_dir(project.path()),
        &["validate", "--config", "nacl-drift.toml"],
    );
    assert_eq!(named.code, 1, "{named:?}");
    assert!(named.stderr.contains("no baseline folder"), "{named:?}");

    // Owned by another user (only root can give a file away; CI is root).
    if run(&mut std::process::Command::new("id"), &["-u"])
        .stdout
        .trim()
        == "0"
    {
        fs::set_permissions(&config, std::os::unix::fs::PermissionsExt::from_mode(0o644))
            .expect("chmod");
        std::os::unix::fs::chown(&config, Some(65534), None).expect("chown");
        let other = run(nacl_drift().current_dir(project.path()), &["validate"]);
        assert_eq!(other.code, 0, "{other:?}");
        assert!(
            other.stderr.starts_with(&format!(
                "warning: ignoring {}: it is owned by user 65534, not by the user running nacl-drift (0)",
                config.display()
            )),
            "{other:?}"
        );
        fs::set_permissions(&config, std::os::unix::fs::PermissionsExt::from_mode(0o664))
            .expect("chmod");
    }
    assert_eq!(files_below(project.path()), before);
}

/// The baseline file of `vpc` in `dir` (us-east-1, the emulator's account).
fn baseline_file(dir: &Path, vpc: &str) -> PathBuf {
    dir.join(format!("123456789012/us-east-1/{vpc}.yaml"))
}

fn yaml(path: &Path) -> serde_yaml::Value {
    serde_yaml::from_str(&fs::read_to_string(path).expect("read")).expect("YAML")
}

/// Puts `acl` (a NACL of a baseline, as YAML) into the file at `path`.
fn add_acl(path: &Path, acl: serde_yaml::Value) {
    let mut file = yaml(path);
    file["network_acls"]
        .as_sequence_mut()
        .expect("network_acls")
        .push(acl);
    fs::write(path, serde_yaml::to_string(&file).expect("YAML")).expect("write");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_baseline_speaks_only_for_its_own_vpc() {
    let emulator = Emulator::start();
    let estate = emulator.seed_estate();
    let prod = id(&estate, "/us-east-1/vpc_id").to_owned();
    let db = id(&estate, "/us-east-1/network_acls/db").to_owned();
    let other = emulator
        .ec2("us-east-1")
        .create_vpc()
        .cidr_block("10.99.0.0/16")
        .send()
        .await
        .expect("a second VPC")
        .vpc()
        .and_then(|vpc| vpc.vpc_id())
        .expect("its id")
        .to_owned();
    let dir = tempfile::tempdir().expect("temp dir");
    let nacl = |args: &[&str]| {
        let mut all = vec![
            args[0],
            "--baseline-dir",
            dir_arg(dir.path()),
            "--endpoint-url",
            &emulator.endpoint,
        ];
        all.extend(&args[1..]);
        run(&mut nacl_drift(), &all)
    };
    let snapshot = nacl(&["snapshot", "--region", "us-east-1"]);
    assert_eq!(snapshot.code, 0, "{snapshot:?}");
    let live_before = emulator.export("us-east-1");

    // The other VPC's file names prod's db NACL, opened to the internet.
    let prod_file = baseline_file(dir.path(), &prod);
    let other_file = baseline_file(dir.path(), &other);
    let mut forged = yaml(&prod_file)["network_acls"]
        .as_sequence()
        .expect("NACLs")
        .iter()
        .find(|acl| acl["id"].as_str() == Some(db.as_str()))
        .expect("the db NACL")
        .clone();
    forged["entries"] = serde_yaml::from_str(
        "[{rule_number: 10, direction: ingress, action: allow, protocol: all, cidr: 0.0.0.0/0}]",
    )
    .expect("entries");
    add_acl(&other_file, forged.clone());
    let files_before = files_below(dir.path());

    // Both files hold it: validate and every command refuse.
    let validate = run(
        &mut nacl_drift(),
        &["validate", "--baseline-dir", dir_arg(dir.path())],
    );
    assert_eq!(validate.code, 1, "{validate:?}");
    let held = validate
        .stderr
        .lines()
        .find(|line| line.contains(&format!("network ACL {db} is in ")))
        .unwrap_or_else(|| panic!("{validate:?}"));
    assert!(
        held.starts_with("error: ")
            && held.contains(&prod_file.display().to_string())
            && held.contains(&other_file.display().to_string())
            && held.ends_with("too: a NACL or a subnet belongs to the one file of its VPC"),
        "{held}"
    );
    let apply = nacl(&["apply", "--yes"]);
    assert_eq!(apply.code, 1, "{apply:?}");
    assert!(
        apply.stderr.contains(&format!("network ACL {db} is in")),
        "{apply:?}"
    );

    // Alone, it names a NACL of another VPC: refused, naming both places.
    fs::remove_file(&prod_file).expect("remove");
    let apply = nacl(&["apply", "--yes"]);
    assert_eq!(apply.code, 1, "{apply:?}");
    assert!(
        apply.stderr.contains(&format!(
            "{}: network ACL {db} is in account 123456789012, region us-east-1, VPC {prod}, not in this file's account 123456789012, region us-east-1, VPC {other}: a baseline speaks only for its own VPC",
            other_file.display()
        )),
        "{apply:?}"
    );

    // A subnet of prod's, put on the other VPC's NACL.
    let subnet = forged["subnets"][0]
        .as_str()
        .expect("a db subnet")
        .to_owned();
    let mut file = yaml(&other_file);
    let acls = file["network_acls"].as_sequence_mut().expect("NACLs");
    acls.retain(|acl| acl["id"].as_str() != Some(db.as_str()));
    acls[0]["subnets"] = serde_yaml::from_str(&format!("[{subnet}]")).expect("subnets");
    fs::write(&other_file, serde_yaml::to_string(&file).expect("YAML")).expect("write");
    let diff = nacl(&["diff"]);
    assert_eq!(diff.code, 1, "{diff:?}");
    assert!(
        diff.stderr.contains(&format!(
            "subnet {subnet} (on {db}) is in account 123456789012, region us-east-1, VPC {prod}, not in this file's"
        )),
        "{diff:?}"
    );
    let apply = nacl(&["apply", "--yes"]);
    assert_eq!(apply.code, 1, "{apply:?}");
    assert_eq!(emulator.export("us-east-1"), live_before);
    drop(files_before);
}

#[tokio::test(flavor = "multi_thread")]
async fn apply_says_which_config_and_baselines_it_acts_on() {
    let emulator = Emulator::start();
    let estate = emulator.seed_estate();
    let project = tempfile::tempdir().expect("temp dir");
    fs::create_dir(project.path().join(".git")).expect("mkdir");
    write_mode(
        &project.path().join("nacl-drift.toml"),
        "baseline_dir = \"nacls\"\n",
        0o644,
    );
    let nacl = |args: &[&str]| {
        let mut all = args.to_vec();
        all.extend(["--endpoint-url", &emulator.endpoint]);
        run(nacl_drift().current_dir(project.path()), &all)
    };
    let snapshot = nacl(&["snapshot", "--region", "us-east-1"]);
    assert_eq!(snapshot.code, 0, "{snapshot:?}");
    emulator.incident(&estate);
    let dry_run = nacl(&["apply", "--dry-run"]);
    assert_eq!(dry_run.code, 2, "{dry_run:?}");
    assert!(
        dry_run.stderr.starts_with(&format!(
            "using config {0}/nacl-drift.toml, baselines {0}/nacls\n",
            project.path().display()
        )),
        "{dry_run:?}"
    );
}

/// What a hostile tag or principal holds: controls, terminal escapes,
/// bidi overrides, markdown and HTML, mentions, workflow commands.
const HOSTILE: &[&str] = &[
    "\r::add-mask::secret",
    "\n::error::forged",
    "\r\n::stop-commands::x",
    "\x1b]0;owned\x07",
    "\x1b]8;;https://evil.example/\x1b\\link\x1b]8;;\x1b\\",
    "\x1b[2J\x1b[H",
    "\u{9b}31m",
    "\u{202e}gnp.exe",
    "\u{2066}x\u{2069}",
    "\u{2028}",
    "\u{7f}",
    "\x07",
    "<!--",
    "-->",
    "<img src=x onerror=alert(1)>",
    "![x](https://evil.example/p.png)",
    "[click](https://evil.example)",
    "@security-team",
    "`",
    "|",
    "## ✅ NACLs in sync",
    "plain",
];

/// An export in which the db NACL's Name and another tag hold `value`,
/// and a CloudTrail log in which `principal` deleted its SSH deny.
fn hostile_inputs(value: &str, principal: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    copy_dir(&repo_root().join(FIXTURE), &dir.path().join("baselines"));
    let mut export: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(repo_root().join(LIVE)).expect("export"))
            .expect("JSON");
    for acl in export["NetworkAcls"].as_array_mut().expect("NACLs") {
        if acl["NetworkAclId"] == "acl-02db" {
            acl["Tags"] = json!([
                {"Key": "Name", "Value": format!("shop-prod-db{value}")},
                {"Key": format!("owner{value}"), "Value": value},
            ]);
        }
    }
    fs::write(dir.path().join("live.json"), export.to_string()).expect("write");
    let logs = dir
        .path()
        .join("logs/AWSLogs/111122223333/CloudTrail/us-east-1/2026/12/01");
    fs::create_dir_all(&logs).expect("mkdir");
    let record = json!({
        "eventVersion": "1.09",
        "eventSource": "ec2.amazonaws.com",
        "eventName": "DeleteNetworkAclEntry",
        "eventTime": humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string(),
        "eventID": "0f1e2d3c-0000-4000-8000-000000000001",
        "awsRegion": "us-east-1",
        "recipientAccountId": "111122223333",
        "sourceIPAddress": format!("203.0.113.9{value}"),
        "userAgent": value,
        "userIdentity": {
            "type": "IAMUser",
            "arn": format!("arn:aws:iam::111122223333:user/{principal}"),
            "userName": principal,
            "accountId": "111122223333"
        },
        "requestParameters": {"networkAclId": "acl-02db", "ruleNumber": 80, "egress": false},
        "responseElements": {"_return": true}
    });
    fs::write(
        logs.join("111122223333_CloudTrail_us-east-1_20261201T0000Z_a.json"),
        json!({"Records": [record]}).to_string(),
    )
    .expect("write");
    dir
}

const FORMATS: [&str; 5] = ["table", "json", "unified", "markdown", "sarif"];

/// Runs diff on the hostile inputs in `format`: stdout, stderr.
fn hostile_diff(dir: &Path, format: &str) -> (String, String) {
    let result = run(
        nacl_drift()
            .current_dir(dir)
            // Tables wide enough never to wrap a cell: the line counts
            // check that no value breaks a line, not where a long one wraps.
            .env("COLUMNS", "60000"),
        &[
            "diff",
            "--live-file",
            "live.json",
            "--cloudtrail-logs",
            "logs",
            "--format",
            format,
        ],
    );
    assert_eq!(result.code, 2, "{format}: {result:?}");
    (result.stdout, result.stderr)
}

/// No character that could act on a terminal or a CI log: no control
/// character but the line breaks, no bidi control, no line separator.
fn assert_inert(format: &str, text: &str) {
    for (number, line) in text.lines().enumerate() {
        assert!(
            !line.chars().any(nacl_drift_model::sanitize::is_unsafe),
            "{format}, line {}: {line:?}",
            number + 1
        );
        for command in ["::add-mask::", "::error::", "::stop-commands::"] {
            assert!(
                !line.trim_start().starts_with(command),
                "{format}, line {}: {line:?}",
                number + 1
            );
        }
    }
}

/// The number of lines of each format's output for plain values: a hostile
/// value may not add one.
fn plain_line_counts() -> Vec<usize> {
    let dir = hostile_inputs("x", "alice");
    FORMATS
        .iter()
        .map(|format| hostile_diff(dir.path(), format).0.lines().count())
        .collect()
}

#[test]
fn hostile_tags_and_principals_stay_inert_in_every_format() {
    let expected = plain_line_counts();
    for value in HOSTILE {
        let dir = hostile_inputs(value, &format!("mallory{value}"));
        for (format, lines) in FORMATS.iter().zip(&expected) {
            let (stdout, stderr) = hostile_diff(dir.path(), format);
            assert_inert(format, &stdout);
            assert_inert(format, &stderr);
            assert_eq!(
                stdout.lines().count(),
                *lines,
                "{format} {value:?}:\n{stdout}"
            );
            if *format == "markdown" {
                assert!(!stdout.contains("<!--"), "{stdout}");
                assert!(!stdout.contains("<img"), "{stdout}");
                assert!(!stdout.contains("@security"), "{stdout}");
                assert!(
                    stdout
                        .match_indices("](")
                        .all(|(at, _)| stdout[..at].ends_with('\\')),
                    "{stdout}"
                );
                assert_eq!(stdout.matches("## ✅").count(), 0, "{stdout}");
            }
            if *format == "json" || *format == "sarif" {
                serde_json::from_str::<serde_json::Value>(&stdout).expect("still JSON");
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// For arbitrary tag values and principals, no line of any format
    /// holds a control or bidi character the template did not put there,
    /// and no value adds a line.
    #[test]
    fn no_tag_or_principal_can_break_out_of_its_place(
        value in "[\\x00-\\x1f\\x7f\\u{80}-\\u{9f}\\u{202a}-\\u{202e}\\u{2066}-\\u{2069}\\u{2028}<>`|@!\\[\\]:a-z ]{1,24}",
        principal in "[\\x00-\\x1f\\x7f\\u{9b}\\u{202e}:@a-z]{1,16}",
    ) {
        static EXPECTED: std::sync::OnceLock<Vec<usize>> = std::sync::OnceLock::new();
        let expected = EXPECTED.get_or_init(plain_line_counts);
        let dir = hostile_inputs(&value, &principal);
        for (format, lines) in FORMATS.iter().zip(expected) {
            let (stdout, stderr) = hostile_diff(dir.path(), format);
            assert_inert(format, &stdout);
            assert_inert(format, &stderr);
            prop_assert_eq!(stdout.lines().count(), *lines, "{} {:?}", format, value);
        }
    }
}

#[test]
fn lint_markdown_escapes_what_a_name_holds() {
    let dir = hostile_inputs("plain", "alice");
    // The default NACL, which lint finds open, gets a hostile name.
    let file = dir
        .path()
        .join("baselines/111122223333/us-east-1/vpc-0a1b2c3d4e5f60718.yaml");
    let text = fs::read_to_string(&file).expect("read").replace(
        "  is_default: true\n  tags: {}",
        "  is_default: true\n  tags: {Name: \"shop`db | <!-- @team [x](y)\\r::error::z\"}",
    );
    fs::write(&file, text).expect("write");
    let before = files_below(dir.path());
    let lint = run(
        nacl_drift().current_dir(dir.path()),
        &["lint", "--format", "markdown"],
    );
    assert_eq!(lint.code, 2, "{lint:?}");
    assert_inert("lint markdown", &lint.stdout);
    assert!(
        lint.stdout.contains(
            "| acl-03default (shop\\`db \\| &lt;\\!-- @&#8203;team \\[x\\](y)\\\\r::error::z, default) | us-east-1 |"
        ),
        "{lint:?}"
    );
    assert_eq!(files_below(dir.path()), before);
}

#[test]
fn an_exemption_must_name_something_and_say_why_visibly() {
    let project = git_project();
    let config = project.path().join("nacl-drift.toml");
    for (accept, message) in [
        (
            "network_acl = \"*\"\nreason = \"r\"",
            "this [[accept]] names neither a `kind`, nor `is_default`, nor `unused`, nor a `network_acl` (a glob that matches every NACL names none), so it would accept everything",
        ),
        ("network_acl = \"acl-*\"\nreason = \"r\"", "names neither"),
        ("network_acl = \"[!z]*\"\nreason = \"r\"", "names neither"),
        (
            "kind = \"entry_added\"\nreason = \"\u{200B}\"",
            "this [[accept]] has no `reason` with visible characters",
        ),
    ] {
        write_mode(
            &config,
            &format!("\n[[accept]]\n{accept}\nexpires = 2027-01-31\n"),
            0o644,
        );
        let before = files_below(project.path());
        let lint = run(nacl_drift().current_dir(project.path()), &["lint"]);
        assert_eq!(lint.code, 1, "{lint:?}");
        assert!(
            lint.stderr
                .starts_with(&format!("error: {}:2: ", config.display()))
                && lint.stderr.contains(message),
            "{lint:?}"
        );
        assert_eq!(files_below(project.path()), before);
    }
    // Far off: a warning with the file and line.
    write_mode(
        &config,
        "[[accept]]\nnetwork_acl = \"acl-02db\"\nreason = \"r\"\nexpires = 2999-01-31\n",
        0o644,
    );
    let lint = run(nacl_drift().current_dir(project.path()), &["lint"]);
    assert!(
        lint.stderr.contains(&format!(
            "warning: {}:1: this exemption runs until 2999-01-31, more than a year from now",
            config.display()
        )),
        "{lint:?}"
    );
}

#[test]
fn deeply_nested_and_oversized_files_are_refused_at_once() {
    let dir = tempfile::tempdir().expect("temp dir");
    copy_dir(&repo_root().join(FIXTURE), &dir.path().join("baselines"));
    let file = dir
        .path()
        .join("baselines/111122223333/us-east-1/vpc-0a1b2c3d4e5f60718.yaml");
    let mut text = fs::read_to_string(&file).expect("read");
    text.push_str(&format!(
        "x: {}{}\n",
        "[".repeat(200_000),
        "]".repeat(200_000)
    ));
    fs::write(&file, &text).expect("write");
    let before = files_below(dir.path());
    let validate = run(nacl_drift().current_dir(dir.path()), &["validate"]);
    assert_eq!(validate.code, 1, "{validate:?}");
    assert!(
        validate.stderr.starts_with(&format!(
            "error: {}: line 78: collections nest more than 32 deep\n",
            Path::new("baselines/111122223333/us-east-1/vpc-0a1b2c3d4e5f60718.yaml").display()
        )),
        "{validate:?}"
    );

    let accounts = dir.path().join("accounts.yaml");
    fs::write(
        &accounts,
        format!("accounts: {}{}\n", "[".repeat(100_000), "]".repeat(100_000)),
    )
    .expect("write");
    let listed = run(
        nacl_drift().current_dir(dir.path()),
        &["accounts", "--accounts", "accounts.yaml"],
    );
    assert_eq!(listed.code, 1, "{listed:?}");
    assert_eq!(
        listed.stderr,
        "error: accounts.yaml: line 1: collections nest more than 32 deep\n"
    );

    let big = dir.path().join("big.yaml");
    fs::write(&big, " ".repeat(nacl_drift_model::MAX_YAML_BYTES + 1)).expect("write");
    let listed = run(
        nacl_drift().current_dir(dir.path()),
        &["accounts", "--accounts", "big.yaml"],
    );
    assert_eq!(listed.code, 1, "{listed:?}");
    assert!(
        listed
            .stderr
            .contains("the file is larger than the 16777216 bytes nacl-drift reads"),
        "{listed:?}"
    );
    fs::remove_file(&big).expect("remove");
    fs::remove_file(&accounts).expect("remove");
    assert_eq!(files_below(dir.path()), before);

    // A config is settings and exemptions: over 4 MiB, it is refused.
    let config = dir.path().join("nacl-drift.toml");
    write_mode(
        &config,
        &format!("# {}\n", "x".repeat(nacl_drift_config::MAX_CONFIG_BYTES)),
        0o644,
    );
    fs::create_dir(dir.path().join(".git")).expect("mkdir");
    let lint = run(nacl_drift().current_dir(dir.path()), &["lint"]);
    assert_eq!(lint.code, 1, "{lint:?}");
    assert_eq!(
        lint.stderr,
        format!(
            "error: cannot read the config file {}\n  caused by: the file is larger than the 4194304 bytes nacl-drift reads\n",
            config.display()
        )
    );
}

#[test]
fn errors_quote_a_long_value_cut_and_accounts_output_reads_back() {
    let project = git_project();
    let config = project.path().join("nacl-drift.toml");
    write_mode(
        &config,
        &format!("format = \"{}\\u001b\"\n", "y".repeat(1_000_000)),
        0o644,
    );
    let lint = run(nacl_drift().current_dir(project.path()), &["lint"]);
    assert_eq!(lint.code, 1, "{lint:?}");
    assert!(lint.stderr.len() < 600, "{} bytes", lint.stderr.len());
    assert!(
        lint.stderr
            .contains("… (999921 more characters)\"` is not a format of lint"),
        "{lint:?}"
    );

    let accounts = project.path().join("accounts.yaml");
    fs::write(
        &accounts,
        "accounts:\n  - account_id: \"111122223333\"\n    name: \"prod \\e]0;x\\a \\u202E \\\" \\\\ end\"\n",
    )
    .expect("write");
    let listed = run(
        nacl_drift().current_dir(project.path()),
        &["accounts", "--accounts", "accounts.yaml"],
    );
    assert_eq!(listed.code, 0, "{listed:?}");
    assert_inert("accounts", &listed.stdout);
    let read: serde_yaml::Value = serde_yaml::from_str(&listed.stdout).expect("YAML");
    assert_eq!(
        read["accounts"][0]["name"].as_str(),
        Some("prod \x1b]0;x\x07 \u{202e} \" \\ end")
    );
}

fn envelope(source: &str, detail_type: &str, detail: serde_json::Value) -> String {
    json!({
        "version": "0", "id": "5a1c0000-0000-4000-8000-000000000000",
        "detail-type": detail_type, "source": source,
        "account": "123456789012", "time": "2026-12-06T10:00:00Z",
        "region": "us-east-1", "resources": [], "detail": detail,
    })
    .to_string()
}

/// What anyone allowed to send to the queue could send: forged schedules,
/// oversized bodies and ids, an event of another source, an event that
/// names a principal. Each costs at most what a genuine one does, and
/// steers nothing.
#[tokio::test]
async fn forged_queue_messages_cost_little_and_steer_nothing() {
    let (emulator, estate, dir) = crate::watch::snapshotted();
    let queue = guard_queue(&emulator);
    let db = id(&estate, "/us-east-1/network_acls/db");
    emulator
        .ec2("us-east-1")
        .delete_network_acl_entry()
        .network_acl_id(db)
        .egress(false)
        .rule_number(80)
        .send()
        .await
        .expect("delete the SSH deny");
    let bodies = tempfile::tempdir().expect("temp dir");
    let send = |body: &str, times: &str| {
        let file = bodies.path().join("body.json");
        fs::write(&file, body).expect("write");
        let file = format!("@{}", file.display());
        emulator.events(&["send-raw", &queue, &file, "--times", times]);
    };
    // 40 schedules of a source of the sender's own, 30 genuine-looking ones.
    send(&envelope("mallory", "Scheduled Event", json!({})), "40");
    send(&envelope("aws.events", "Scheduled Event", json!({})), "30");
    // A body of 200 KB, and a deletion event with an id of 2,000 characters
    // sent straight to the queue (its source claims aws.ec2).
    let mut huge: serde_json::Value = serde_json::from_str(&crate::support::entry_call(
        "us-east-1",
        "DeleteNetworkAclEntry",
        &"x".repeat(200_000),
        db,
        80,
        crate::support::MALLORY,
    ))
    .expect("JSON");
    send(
        &envelope("aws.ec2", "AWS API Call via CloudTrail", huge.clone()),
        "1",
    );
    huge["eventID"] = json!("e".repeat(2_000));
    send(
        &envelope("aws.ec2", "AWS API Call via CloudTrail", huge),
        "1",
    );
    let proxy_calls = tempfile::NamedTempFile::new().expect("temp file");
    let proxy = emulator.proxy(&["--count", dir_arg(proxy_calls.path())]);
    let before = files_below(&dir.path().join("baselines"));

    let result = watch_once(&proxy.endpoint, dir.path(), &queue, &["--restore"]);
    assert_eq!(result.code, 0, "{result:?}");
    let lines = json_lines_of(&result);
    let triggers: Vec<&str> = lines
        .iter()
        .map(|line| line["trigger"].as_str().expect("trigger"))
        .collect();
    // One sweep for all the schedules (it restores), then the event's
    // reconcile (in sync by then).
    assert_eq!(triggers, ["sweep", "event"], "{result:?}");
    assert_eq!(lines[0]["restored"][0]["status"], "done", "{}", lines[0]);
    let event = &lines[1]["event"];
    assert_eq!(event["unverified"], true, "{event}");
    let event_id = event["event_id"].as_str().expect("event_id");
    assert!(event_id.ends_with("… (1488 more characters)"), "{event_id}");
    assert!(
        result.stdout.len() < 20_000,
        "{} bytes",
        result.stdout.len()
    );
    assert_eq!(
        result
            .stderr
            .matches("a `Scheduled Event` event of source `mallory`, not aws.events")
            .count(),
        40,
        "{}",
        result.stderr
    );
    assert!(
        result
            .stderr
            .contains("more than the 65536 an event of a NACL call can be"),
        "{}",
        result.stderr
    );
    let calls = fs::read_to_string(proxy_calls.path()).expect("calls");
    // One sweep of both regions and its verification, and the event's
    // reconcile: a handful of reads, not one sweep per message.
    let reads = calls.matches("ec2 DescribeNetworkAcls").count();
    assert!(reads <= 6, "{reads} reads: {calls}");
    let left = emulator.events(&["count", &queue]);
    assert_eq!(left, json!({"visible": 0, "in_flight": 0}));
    assert_eq!(files_below(&dir.path().join("baselines")), before);
}

/// A move of a subnet onto a NACL no baseline holds could be any VPC's of
/// its account and region: a burst of them is one reconcile of them all,
/// with one read.
#[tokio::test]
async fn association_events_on_an_unknown_nacl_are_one_read() {
    let emulator = Emulator::start();
    emulator.seed_estate();
    let ec2 = emulator.ec2("us-east-1");
    for index in 0..12 {
        ec2.create_vpc()
            .cidr_block(format!("10.{}.0.0/16", 100 + index))
            .send()
            .await
            .expect("a VPC");
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let baselines = dir.path().join("baselines");
    let snapshot = run(
        &mut nacl_drift(),
        &[
            "snapshot",
            "--region",
            "us-east-1",
            "--baseline-dir",
            dir_arg(&baselines),
            "--endpoint-url",
            &emulator.endpoint,
        ],
    );
    assert_eq!(snapshot.code, 0, "{snapshot:?}");
    let vpcs = files_below(&baselines).len();
    assert!(vpcs >= 13, "{vpcs} baselines");
    let queue = guard_queue(&emulator);
    for index in 0..5 {
        let detail = json!({
            "eventVersion": "1.09",
            "eventSource": "ec2.amazonaws.com",
            "eventName": "ReplaceNetworkAclAssociation",
            "eventTime": humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string(),
            "eventID": format!("e-move-{index}"),
            "awsRegion": "us-east-1",
            "recipientAccountId": "123456789012",
            "sourceIPAddress": "198.51.100.7",
            "userIdentity": {"type": "IAMUser", "arn": crate::support::MALLORY},
            "requestParameters": {
                "associationId": format!("aclassoc-0000000{index}"),
                "networkAclId": "acl-0123456789abcdef0"
            },
            "responseElements": {"newAssociationId": "aclassoc-0fffffff"},
        });
        emulator.events(&["put", &detail.to_string()]);
    }
    let proxy_calls = tempfile::NamedTempFile::new().expect("temp file");
    let proxy = emulator.proxy(&["--count", dir_arg(proxy_calls.path())]);

    let result = watch_once(&proxy.endpoint, dir.path(), &queue, &[]);
    assert_eq!(result.code, 0, "{result:?}");
    let lines = json_lines_of(&result);
    assert_eq!(lines.len(), 1, "{result:?}");
    assert_eq!(lines[0]["account"], "123456789012");
    assert_eq!(lines[0]["region"], "us-east-1");
    assert_eq!(lines[0]["vpc_id"], serde_json::Value::Null);
    assert_eq!(lines[0]["more_events"].as_array().map(Vec::len), Some(4));
    let calls = fs::read_to_string(proxy_calls.path()).expect("calls");
    assert_eq!(
        calls.matches("ec2 DescribeNetworkAcls").count(),
        1,
        "{calls}"
    );
}

/// `--once` takes what was queued when it started, though more keeps
/// coming, and SIGTERM ends it at once, even in a long poll.
#[test]
fn watch_once_is_bounded_and_ends_on_sigterm() {
    let (emulator, _estate, dir) = crate::watch::snapshotted();
    let queue = guard_queue(&emulator);
    let junk = envelope("mallory", "Scheduled Event", json!({}));
    emulator.events(&["send-raw", &queue, &junk, "--times", "20"]);
    // A trickle of junk while it runs, for at most 40 s.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let trickle = {
        let (stop, endpoint, queue, junk) = (
            stop.clone(),
            emulator.endpoint.clone(),
            queue.clone(),
            junk.clone(),
        );
        std::thread::spawn(move || {
            let started = std::time::Instant::now();
            while !stop.load(std::sync::atomic::Ordering::Relaxed)
                && started.elapsed() < std::time::Duration::from_secs(40)
            {
                let _ = std::process::Command::new(crate::support::moto_venv().join("bin/python"))
                    .args(["tests/emulator/events.py", "--endpoint-url", &endpoint])
                    .args(["send-raw", &queue, &junk, "--times", "10"])
                    .current_dir(repo_root())
                    .envs([
                        ("AWS_ACCESS_KEY_ID", "testing"),
                        ("AWS_SECRET_ACCESS_KEY", "testing"),
                    ])
                    .output();
            }
        })
    };
    let result = watch_once(&emulator.endpoint, dir.path(), &queue, &[]);
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    trickle.join().expect("the trickle ends");
    assert_eq!(result.code, 0, "{result:?}");
    let notes = result.stderr.matches("source `mallory`").count();
    assert!(
        (20..60).contains(&notes),
        "{notes} messages taken: {}",
        result.stderr
    );

    // An empty queue: --once long-polls, and SIGTERM ends the poll.
    let empty = emulator.events(&["--region", "eu-west-1", "queue"]);
    let empty = empty["queue_url"].as_str().expect("queue_url").to_owned();
    let mut child = nacl_drift()
        .env("AWS_REGION", "eu-west-1")
        .args(["watch", "--once", "--sqs-queue-url", &empty])
        .args(["--baseline-dir", dir_arg(&dir.path().join("baselines"))])
        .args(["--endpoint-url", &emulator.endpoint])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start watch");
    std::thread::sleep(std::time::Duration::from_secs(3));
    let asked = std::time::Instant::now();
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    let status = child.wait().expect("watch ends");
    assert_eq!(status.code(), Some(0));
    // Not after the 20 s long poll: while it, not the poll, was waiting.
    assert!(
        asked.elapsed() < std::time::Duration::from_secs(10),
        "{:?}",
        asked.elapsed()
    );
}
