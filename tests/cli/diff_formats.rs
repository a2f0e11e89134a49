//! Golden tests of each `diff` format, offline, on a fixed estate with the
//! drill's incidents (`tests/fixtures/diff`). `UPDATE_GOLDEN=1` rewrites the
//! golden files in `tests/golden/diff`.

use std::fs;

use crate::support::{Run, files_below, nacl_drift, repo_root, run};

/// `diff --format FORMAT` of the fixed estate, run in its folder: relative
/// paths, so the output is the same on every machine.
pub fn fixture_diff(format: &str) -> Run {
    fixture_diff_with(format, &[])
}

/// The same, with `extra` flags.
fn fixture_diff_with(format: &str, extra: &[&str]) -> Run {
    let mut args = vec![
        "diff",
        "--baseline-dir",
        "baselines",
        "--live-file",
        "live-us-east-1.json",
        "--format",
        format,
    ];
    args.extend(extra);
    run(
        nacl_drift().current_dir(repo_root().join("tests/fixtures/diff")),
        &args,
    )
}

fn assert_format(format: &str, golden: &str) {
    let result = fixture_diff(format);
    assert_eq!(result.code, 2, "{result:?}");
    assert_eq!(result.stderr, "");
    let path = repo_root().join("tests/golden/diff").join(golden);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        fs::write(&path, &result.stdout).expect("write golden");
    }
    let expected = fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("{}: {error} (UPDATE_GOLDEN=1 writes it)", path.display()));
    assert_eq!(result.stdout, expected, "{} differs", path.display());
}

/// `--write FORMAT=FILE`: one comparison writes every format, each
/// byte for byte what `--format` prints (the Action's log, job summary and
/// SARIF can never disagree).
#[test]
fn one_run_writes_every_format() {
    let out = tempfile::tempdir().expect("temp dir");
    let file = |name: &str| out.path().join(name).to_str().expect("UTF-8").to_owned();
    let result = fixture_diff_with(
        "table",
        &[
            "--write",
            &format!("json={}", file("report.json")),
            "--write",
            &format!("markdown={}", file("report.md")),
            "--write",
            &format!("unified={}", file("unified.diff")),
        ],
    );
    assert_eq!(result.code, 2, "{result:?}");
    let golden = |name: &str| {
        fs::read_to_string(repo_root().join("tests/golden/diff").join(name)).expect("golden")
    };
    assert_eq!(result.stdout, golden("table.txt"));
    for name in ["report.json", "report.md", "unified.diff"] {
        let written = fs::read_to_string(out.path().join(name)).expect("written");
        assert_eq!(written, golden(name), "{name}");
    }
    let bad = run(
        nacl_drift().current_dir(repo_root().join("tests/fixtures/diff")),
        &["diff", "--write", "html=report.html"],
    );
    assert_eq!(bad.code, 1, "{bad:?}");
    assert!(
        bad.stderr
            .contains("invalid value 'html=report.html' for '--write <FORMAT=FILE>'"),
        "{bad:?}"
    );
}

#[test]
fn table() {
    assert_format("table", "table.txt");
}

#[test]
fn json() {
    assert_format("json", "report.json");
}

#[test]
fn unified() {
    assert_format("unified", "unified.diff");
}

#[test]
fn markdown() {
    assert_format("markdown", "report.md");
}

#[test]
fn table_is_the_default() {
    let fixtures = repo_root().join("tests/fixtures/diff");
    let result = run(
        nacl_drift().current_dir(&fixtures),
        &[
            "diff",
            "--baseline-dir",
            "baselines",
            "--live-file",
            "live-us-east-1.json",
        ],
    );
    let table =
        fs::read_to_string(repo_root().join("tests/golden/diff/table.txt")).expect("golden");
    assert_eq!(result.stdout, table);
}

/// The fixed estate, in a folder with a second account's copy of it: the
/// same drift, under other ids.
fn two_accounts() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let fixtures = repo_root().join("tests/fixtures/diff");
    let other = |text: &str| {
        text.replace("111122223333", "999988887777")
            .replace("acl-0", "acl-9")
            .replace("vpc-0", "vpc-9")
            .replace("subnet-0", "subnet-9")
    };
    for (relative, bytes) in files_below(&fixtures) {
        let text = String::from_utf8(bytes).expect("UTF-8");
        let copy = match other(&relative) {
            same if same == relative => format!("other-{relative}"),
            renamed => renamed,
        };
        for (path, text) in [(relative.clone(), text.clone()), (copy, other(&text))] {
            let target = dir.path().join(path);
            fs::create_dir_all(target.parent().expect("parent")).expect("mkdir");
            fs::write(target, text).expect("write");
        }
    }
    dir
}

#[test]
fn many_accounts_are_grouped_by_account() {
    let dir = two_accounts();
    let diff = |format: &str| {
        run(
            nacl_drift().current_dir(dir.path()),
            &[
                "diff",
                "--baseline-dir",
                "baselines",
                "--live-file",
                "live-us-east-1.json",
                "--live-file",
                "other-live-us-east-1.json",
                "--format",
                format,
            ],
        )
    };
    let json = diff("json");
    assert_eq!(json.code, 2, "{json:?}");
    let report: serde_json::Value = serde_json::from_str(&json.stdout).expect("JSON");
    let accounts: Vec<&str> = report["changes"]
        .as_array()
        .expect("changes")
        .iter()
        .map(|change| change["account"].as_str().expect("account"))
        .collect();
    assert_eq!(
        accounts,
        ["111122223333"; 4]
            .into_iter()
            .chain(["999988887777"; 4])
            .collect::<Vec<_>>(),
        "sorted by account first"
    );
    let table = diff("table");
    // Piped, the table keeps to 160 columns: the place wraps between words.
    for words in [
        "111122223333 us-east-1",
        "vpc-0a1b2c3d4e5f60718",
        "999988887777 us-east-1",
        "vpc-9a1b2c3d4e5f60718",
    ] {
        assert!(table.stdout.contains(words), "{table:?}");
    }
    let markdown = diff("markdown");
    assert!(
        markdown
            .stdout
            .contains("### acl-92db (shop-prod-db) · 999988887777 · us-east-1"),
        "{markdown:?}"
    );
}

/// Each line of `asff` is an input that botocore's own validation of
/// BatchImportFindings takes (botocore comes with the emulator): 1 to 100
/// findings, each with what Security Hub requires.
fn assert_botocore_takes(asff: &str) {
    let validate = "import json, sys\n\
        from botocore.session import get_session\n\
        from botocore.validate import validate_parameters\n\
        model = get_session().get_service_model('securityhub')\n\
        for line in sys.stdin:\n\
        \x20   validate_parameters(json.loads(line), model.operation_model('BatchImportFindings').input_shape)\n";
    let python = crate::support::moto_venv().join("bin/python");
    let mut child = std::process::Command::new(&python)
        .args(["-c", validate])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|error| panic!("{}: {error}", python.display()));
    use std::io::Write as _;
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(asff.as_bytes())
        .expect("write");
    let checked = child.wait_with_output().expect("botocore");
    assert!(
        checked.status.success(),
        "botocore refuses the findings: {}",
        String::from_utf8_lossy(&checked.stderr)
    );
}

/// `diff --format asff`: the findings Security Hub takes, checked by
/// botocore's own validation of BatchImportFindings' input (botocore comes
/// with the emulator), with a stable id per NACL and drift.
#[test]
fn asff_findings_are_what_security_hub_takes() {
    let result = fixture_diff("asff");
    assert_eq!(result.code, 2, "drift, as for every format: {result:?}");
    assert_eq!(result.stderr, "");
    let json: serde_json::Value = serde_json::from_str(&result.stdout).expect("JSON");
    let findings = json["Findings"].as_array().expect("Findings");
    assert_eq!(findings.len(), 4, "one finding a change");

    assert_botocore_takes(&result.stdout);

    let ssh = findings
        .iter()
        .find(|f| f["Id"] == "nacl-drift/111122223333/us-east-1/acl-02db/entry_deleted/ingress/80")
        .expect("the SSH deny's deletion, by its stable id");
    assert_eq!(ssh["Severity"]["Label"], "CRITICAL");
    assert_eq!(
        ssh["ProductArn"],
        "arn:aws:securityhub:us-east-1:111122223333:product/111122223333/default"
    );
    assert_eq!(ssh["AwsAccountId"], "111122223333");
    assert_eq!(ssh["Workflow"]["Status"], "NEW");
    assert_eq!(ssh["Compliance"]["Status"], "FAILED");
    assert_eq!(ssh["RecordState"], "ACTIVE");
    let resource = &ssh["Resources"][0];
    assert_eq!(resource["Type"], "AwsEc2NetworkAcl");
    assert_eq!(
        resource["Id"],
        "arn:aws:ec2:us-east-1:111122223333:network-acl/acl-02db"
    );
    assert_eq!(
        resource["Details"]["AwsEc2NetworkAcl"]["VpcId"],
        "vpc-0a1b2c3d4e5f60718"
    );
    assert_eq!(resource["Tags"]["Name"], "shop-prod-db");
    assert!(
        ssh["Types"]
            .as_array()
            .expect("Types")
            .contains(&serde_json::json!("Effects/Data Exposure")),
        "{ssh}"
    );
    let description = ssh["Description"].as_str().expect("Description");
    assert!(
        description.contains("deny tcp 22 from 0.0.0.0/0")
            && description.contains("Newly allowed: ingress tcp 22 from 0.0.0.0/0"),
        "{description}"
    );
    let dns = findings
        .iter()
        .find(|f| {
            f["GeneratorId"] == "nacl-drift/entry_deleted" && f["Severity"]["Label"] == "MEDIUM"
        })
        .expect("the DNS allow's deletion");
    assert!(
        dns["Types"]
            .as_array()
            .expect("Types")
            .contains(&serde_json::json!("Effects/Denial of Service")),
        "{dns}"
    );

    // The same drift, the same ids: a re-import updates the findings.
    let again: serde_json::Value =
        serde_json::from_str(&fixture_diff("asff").stdout).expect("JSON");
    let ids = |json: &serde_json::Value| -> Vec<String> {
        json["Findings"]
            .as_array()
            .expect("Findings")
            .iter()
            .map(|f| f["Id"].as_str().expect("Id").to_owned())
            .collect()
    };
    assert_eq!(ids(&json), ids(&again));
}

/// A baseline of one VPC with `count` NACLs, each with an HTTPS allow, and
/// an export of them without it (the first untagged, the second with a
/// blank tag value): `count` changes.
fn many_deletions(dir: &std::path::Path, count: usize) -> std::path::PathBuf {
    let account = "111122223333";
    let vpc = "vpc-0c0c0c0c0c0c0c0c0";
    let mut yaml = format!(
        "schema_version: 1\naccount: '{account}'\nregion: us-east-1\nvpc_id: {vpc}\n\
         scope: {{regions: [us-east-1]}}\nnetwork_acls:\n"
    );
    let mut acls = Vec::new();
    for number in 0..count {
        let id = format!("acl-2{number:04x}");
        let tags = match number {
            0 => serde_json::json!([]),
            1 => {
                serde_json::json!([{"Key": "Owner", "Value": ""}, {"Key": "Name", "Value": "blank-owner"}])
            }
            _ => serde_json::json!([{"Key": "Name", "Value": format!("tier-{number}")}]),
        };
        let yaml_tags = match number {
            0 => String::new(),
            1 => "  tags: {Name: blank-owner, Owner: ''}\n".to_owned(),
            _ => format!("  tags: {{Name: tier-{number}}}\n"),
        };
        yaml.push_str(&format!(
            "- id: {id}\n  is_default: false\n{yaml_tags}  entries:\n  - {{rule_number: 100, direction: ingress, action: allow, protocol: tcp, ports: 443, cidr: 10.0.0.0/8}}\n"
        ));
        acls.push(serde_json::json!({
            "NetworkAclId": id, "VpcId": vpc, "OwnerId": account, "IsDefault": false,
            "Entries": [], "Associations": [], "Tags": tags,
        }));
    }
    let baselines = dir.join("baselines");
    let file = baselines.join(format!("{account}/us-east-1/{vpc}.yaml"));
    fs::create_dir_all(file.parent().expect("parent")).expect("mkdir");
    fs::write(&file, yaml).expect("write baseline");
    let export = dir.join("export.json");
    fs::write(
        &export,
        serde_json::json!({ "NetworkAcls": acls }).to_string(),
    )
    .expect("write export");
    export
}

/// More than 100 findings are printed as batches of at most 100, one a
/// line, each an input BatchImportFindings takes; an untagged NACL's
/// finding carries no `Tags`, and a blank tag value is left out; in sync,
/// nothing is printed (BatchImportFindings takes no empty list).
#[test]
fn asff_comes_in_batches_security_hub_takes() {
    let dir = tempfile::tempdir().expect("temp dir");
    let export = many_deletions(dir.path(), 130);
    let baselines = dir.path().join("baselines");
    let asff = |export: &std::path::Path| {
        run(
            &mut nacl_drift(),
            &[
                "diff",
                "--baseline-dir",
                baselines.to_str().expect("utf-8"),
                "--live-file",
                export.to_str().expect("utf-8"),
                "--format",
                "asff",
            ],
        )
    };
    let result = asff(&export);
    assert_eq!(result.code, 2, "{result:?}");
    let batches: Vec<serde_json::Value> = result
        .stdout
        .lines()
        .map(|line| serde_json::from_str(line).expect("one JSON input a line"))
        .collect();
    let sizes: Vec<usize> = batches
        .iter()
        .map(|batch| batch["Findings"].as_array().expect("Findings").len())
        .collect();
    assert_eq!(sizes, [100, 30]);
    assert_botocore_takes(&result.stdout);
    let finding = |acl: &str| {
        batches
            .iter()
            .flat_map(|batch| batch["Findings"].as_array().expect("Findings"))
            .find(|finding| {
                finding["Resources"][0]["Details"]["AwsEc2NetworkAcl"]["NetworkAclId"] == acl
            })
            .unwrap_or_else(|| panic!("the finding of {acl}"))
            .clone()
    };
    let untagged = finding("acl-20000");
    assert!(
        untagged["Resources"][0].get("Tags").is_none(),
        "{untagged:#}"
    );
    let blank = finding("acl-20001");
    assert_eq!(
        blank["Resources"][0]["Tags"],
        serde_json::json!({"Name": "blank-owner"}),
        "{blank:#}"
    );
    for observed in ["FirstObservedAt", "LastObservedAt"] {
        assert!(blank[observed].is_string(), "{observed}: {blank:#}");
    }

    // In sync: no batch at all.
    let baseline_file = files_below(&baselines).into_keys().next().expect("a file");
    let yaml = fs::read_to_string(baselines.join(&baseline_file)).expect("read");
    let in_sync = dir.path().join("in-sync.json");
    let mut live: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&export).expect("read")).expect("JSON");
    for acl in live["NetworkAcls"].as_array_mut().expect("NetworkAcls") {
        acl["Entries"] = serde_json::json!([{"RuleNumber": 100, "Egress": false, "RuleAction": "allow",
            "Protocol": "6", "PortRange": {"From": 443, "To": 443}, "CidrBlock": "10.0.0.0/8"}]);
    }
    fs::write(&in_sync, live.to_string()).expect("write");
    let none = asff(&in_sync);
    assert_eq!(none.code, 0, "{none:?} {yaml}");
    assert_eq!(none.stdout, "", "{none:?}");
}
