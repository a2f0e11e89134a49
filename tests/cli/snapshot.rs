//! `nacl-drift snapshot` against the local EC2 emulator, run as a process.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

use crate::support::{Emulator, files_below, id, nacl_drift, repo_root, run};
use nacl_drift_model::{Baseline, Direction, NetworkAcl, Protocol, VpcId, read_baseline_dir};
use serde_json::Value;

const ACCOUNT: &str = "123456789012";

fn snapshot(emulator: &Emulator, dir: &Path, extra: &[&str]) -> crate::support::Run {
    let mut args = vec![
        "snapshot",
        "--baseline-dir",
        dir.to_str().expect("utf-8 path"),
        "--endpoint-url",
        &emulator.endpoint,
    ];
    args.extend(extra);
    run(&mut nacl_drift(), &args)
}

const BOTH_REGIONS: [&str; 4] = ["--region", "us-east-1", "--region", "eu-west-1"];

/// The NACL `id` in the snapshot's baselines.
fn find_acl<'a>(
    baselines: &'a [(std::path::PathBuf, Baseline)],
    id: &str,
) -> (&'a Baseline, &'a NetworkAcl) {
    baselines
        .iter()
        .find_map(|(_, baseline)| {
            let acl = baseline.network_acls.iter().find(|acl| acl.id == id)?;
            Some((baseline, acl))
        })
        .unwrap_or_else(|| panic!("no baseline holds {id}"))
}

/// Renders a NACL as the baseline writes it, with the emulator's random ids
/// replaced by the estate's names, and compares it with the golden file.
/// `UPDATE_GOLDEN=1` rewrites the golden files instead.
fn assert_golden(acl: &NetworkAcl, estate: &Value, region: &str, golden: &str) {
    let names: BTreeMap<&str, String> = ["subnets", "network_acls"]
        .iter()
        .filter_map(|group| estate[region][group].as_object())
        .flatten()
        .map(|(name, id)| (id.as_str().expect("id"), format!("<{name}>")))
        .collect();
    let name = |id: &str| names.get(id).cloned().unwrap_or_else(|| id.to_owned());
    // The ids are the emulator's, new in every run: name them instead.
    let mut named = serde_yaml::to_value(acl).expect("serialise NACL");
    named["id"] = name(&acl.id).into();
    let subnets: BTreeSet<String> = acl.subnets.iter().map(|id| name(id)).collect();
    named["subnets"] = subnets.into_iter().collect::<Vec<_>>().into();
    let yaml = serde_yaml::to_string(&named).expect("serialise NACL");
    let path = repo_root().join("tests/golden/snapshot").join(golden);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        fs::create_dir_all(path.parent().expect("parent")).expect("create golden folder");
        fs::write(&path, &yaml).expect("write golden file");
    }
    let expected = fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("{}: {error} (UPDATE_GOLDEN=1 writes it)", path.display()));
    assert_eq!(
        yaml,
        expected,
        "{} differs from the snapshot",
        path.display()
    );
}

#[test]
fn captures_the_seeded_estate_in_two_regions() {
    let emulator = Emulator::start();
    let estate = emulator.seed_estate();
    let dir = tempfile::tempdir().expect("temp dir");

    let result = snapshot(&emulator, dir.path(), &BOTH_REGIONS);
    assert_eq!(result.code, 0, "{result:?}");
    assert!(result.stdout.contains("us-east-1"), "{result:?}");
    assert!(result.stdout.contains("eu-west-1"), "{result:?}");

    let baselines =
        read_baseline_dir(dir.path(), None).expect("the snapshot's baselines are valid");
    // The shop's VPC and the emulator's default VPC, in each region.
    assert_eq!(baselines.len(), 4, "{:?}", files_below(dir.path()).keys());
    for (path, baseline) in &baselines {
        assert_eq!(baseline.account, ACCOUNT, "{}", path.display());
        assert_eq!(
            baseline.scope.regions.iter().collect::<Vec<_>>(),
            ["eu-west-1", "us-east-1"]
        );
        assert_eq!(baseline.scope.vpc_ids, None);
        for acl in &baseline.network_acls {
            assert!(
                acl.entries.keys().all(|key| key.rule_number.get() <= 32766),
                "catch-all rules are not baseline entries"
            );
        }
    }

    let prod = id(&estate, "/us-east-1/vpc_id");
    let prod_file = dir
        .path()
        .join(ACCOUNT)
        .join("us-east-1")
        .join(format!("{prod}.yaml"));
    let (prod_baseline, _) = find_acl(&baselines, id(&estate, "/us-east-1/network_acls/db"));
    assert_eq!(prod_baseline.vpc_id, prod);
    assert_eq!(
        prod_baseline.network_acls.len(),
        4,
        "three tiers and the default NACL"
    );
    assert!(prod_file.is_file());

    let (_, default_acl) = find_acl(&baselines, id(&estate, "/us-east-1/default_network_acl"));
    assert!(default_acl.is_default);

    for (region, tier, golden) in [
        ("us-east-1", "web", "prod-web.yaml"),
        ("us-east-1", "app", "prod-app.yaml"),
        ("us-east-1", "db", "prod-db.yaml"),
        ("eu-west-1", "web", "dr-web.yaml"),
    ] {
        let (_, acl) = find_acl(
            &baselines,
            id(&estate, &format!("/{region}/network_acls/{tier}")),
        );
        assert!(!acl.is_default);
        assert_eq!(acl.tags.get("Tier").map(String::as_str), Some(tier));
        assert_golden(acl, &estate, region, golden);
    }

    // The estate covers both address families and every kind of protocol.
    let all_entries: Vec<_> = baselines
        .iter()
        .flat_map(|(_, baseline)| &baseline.network_acls)
        .flat_map(|acl| &acl.entries)
        .collect();
    for protocol in [
        Protocol::Tcp,
        Protocol::Udp,
        Protocol::Icmp,
        Protocol::All,
        Protocol::Number(50),
    ] {
        assert!(
            all_entries
                .iter()
                .any(|(_, entry)| entry.traffic().protocol() == protocol),
            "no {protocol} entry captured"
        );
    }
    assert!(all_entries.iter().any(|(_, entry)| entry.cidr().is_ipv6()));
    assert!(
        all_entries
            .iter()
            .any(|(key, _)| key.direction == Direction::Egress)
    );
}

#[test]
fn a_second_snapshot_changes_no_byte() {
    let emulator = Emulator::start();
    emulator.seed_estate();
    let dir = tempfile::tempdir().expect("temp dir");

    let first = snapshot(&emulator, dir.path(), &BOTH_REGIONS);
    assert_eq!(first.code, 0, "{first:?}");
    let before = files_below(dir.path());
    let modified_before: Vec<_> = before
        .keys()
        .map(|name| {
            fs::metadata(dir.path().join(name))
                .and_then(|m| m.modified())
                .expect("mtime")
        })
        .collect();

    let second = snapshot(&emulator, dir.path(), &BOTH_REGIONS);
    assert_eq!(second.code, 0, "{second:?}");
    assert_eq!(
        files_below(dir.path()),
        before,
        "a second snapshot rewrote a file"
    );
    let modified_after: Vec<_> = before
        .keys()
        .map(|name| {
            fs::metadata(dir.path().join(name))
                .and_then(|m| m.modified())
                .expect("mtime")
        })
        .collect();
    assert_eq!(
        modified_after, modified_before,
        "unchanged files are not even touched"
    );
    let total = second
        .stdout
        .lines()
        .find(|line| line.contains("total"))
        .expect("a total row");
    let cells: Vec<&str> = total
        .split(['│', '┆'])
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect();
    assert_eq!(
        cells,
        ["total", "4", "8", "36", "0", "0", "4", "0"],
        "{second:?}"
    );
}

#[test]
fn a_vpc_filter_limits_the_snapshot_and_is_recorded() {
    let emulator = Emulator::start();
    let estate = emulator.seed_estate();
    let prod = id(&estate, "/us-east-1/vpc_id");
    let dir = tempfile::tempdir().expect("temp dir");

    let result = snapshot(
        &emulator,
        dir.path(),
        &["--region", "us-east-1", "--vpc-id", prod],
    );
    assert_eq!(result.code, 0, "{result:?}");
    let baselines = read_baseline_dir(dir.path(), None).expect("valid baselines");
    assert_eq!(baselines.len(), 1);
    let baseline = &baselines[0].1;
    assert_eq!(baseline.vpc_id, prod);
    let filter: Vec<&VpcId> = baseline.scope.vpc_ids.iter().flatten().collect();
    assert_eq!(filter, [prod]);
}

#[test]
fn baselines_of_vpcs_that_are_gone_are_removed_within_the_scope() {
    let emulator = Emulator::start();
    let estate = emulator.seed_estate();
    let dir = tempfile::tempdir().expect("temp dir");
    let first = snapshot(&emulator, dir.path(), &["--region", "us-east-1"]);
    assert_eq!(first.code, 0, "{first:?}");

    // A baseline of a VPC that no longer exists: a copy of a real one, renamed.
    let prod = id(&estate, "/us-east-1/vpc_id");
    let region_dir = dir.path().join(ACCOUNT).join("us-east-1");
    let text = fs::read_to_string(region_dir.join(format!("{prod}.yaml"))).expect("read");
    fs::write(
        region_dir.join("vpc-0gone.yaml"),
        text.replace(prod, "vpc-0gone"),
    )
    .expect("write");

    // Outside a --vpc-id filter, it is left alone.
    let filtered = snapshot(
        &emulator,
        dir.path(),
        &["--region", "us-east-1", "--vpc-id", prod],
    );
    assert_eq!(filtered.code, 0, "{filtered:?}");
    assert!(region_dir.join("vpc-0gone.yaml").exists());

    let full = snapshot(&emulator, dir.path(), &["--region", "us-east-1"]);
    assert_eq!(full.code, 0, "{full:?}");
    assert!(!region_dir.join("vpc-0gone.yaml").exists(), "{full:?}");
    let total = full
        .stdout
        .lines()
        .find(|line| line.contains("us-east-1"))
        .expect("region row");
    assert!(
        total.trim_end_matches(['│', ' ']).ends_with('1'),
        "one removed: {full:?}"
    );
}

#[test]
fn uses_the_configured_region_when_none_is_given() {
    let emulator = Emulator::start();
    emulator.seed_estate();
    let dir = tempfile::tempdir().expect("temp dir");
    let result = run(
        nacl_drift().env("AWS_REGION", "eu-west-1"),
        &[
            "snapshot",
            "--baseline-dir",
            dir.path().to_str().expect("utf-8"),
            "--endpoint-url",
            &emulator.endpoint,
        ],
    );
    assert_eq!(result.code, 0, "{result:?}");
    let names: Vec<String> = files_below(dir.path()).into_keys().collect();
    assert!(
        names
            .iter()
            .all(|name| name.starts_with(&format!("{ACCOUNT}/eu-west-1/"))),
        "{names:?}"
    );
    assert_eq!(names.len(), 2);
}

#[test]
fn without_a_region_it_fails_and_writes_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let result = run(
        &mut nacl_drift(),
        &[
            "snapshot",
            "--baseline-dir",
            dir.path().to_str().expect("utf-8"),
            "--endpoint-url",
            "http://127.0.0.1:9",
        ],
    );
    assert_eq!(result.code, 1, "{result:?}");
    assert_eq!(
        result.stderr,
        "error: no AWS region: pass --region, or set AWS_REGION or a region in your profile\n"
    );
    assert!(files_below(dir.path()).is_empty());
}

#[test]
fn an_unreachable_endpoint_fails_clearly_and_writes_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    // Nothing listens on the discard port of loopback.
    let result = run(
        nacl_drift().env("AWS_MAX_ATTEMPTS", "1"),
        &[
            "snapshot",
            "--baseline-dir",
            dir.path().to_str().expect("utf-8"),
            "--region",
            "us-east-1",
            "--endpoint-url",
            "http://127.0.0.1:9",
        ],
    );
    assert_eq!(result.code, 1, "{result:?}");
    let mut lines = result.stderr.lines();
    // STS names the account first, before any region is read (as for
    // `diff`).
    assert_eq!(
        lines.next(),
        Some("error: cannot tell which account the credentials belong to")
    );
    let cause = lines.next().unwrap_or_default();
    assert!(
        cause.starts_with("  caused by: GetCallerIdentity failed: dispatch failure"),
        "{result:?}"
    );
    assert!(cause.contains("Connection refused"), "{result:?}");
    assert!(files_below(dir.path()).is_empty());
}

#[test]
fn usage_errors_exit_1_not_2() {
    let result = run(&mut nacl_drift(), &["snapshot", "--no-such-flag"]);
    assert_eq!(result.code, 1, "2 is kept for drift: {result:?}");
    assert!(
        result
            .stderr
            .contains("unexpected argument '--no-such-flag'"),
        "{result:?}"
    );
}

#[test]
fn a_snapshot_from_an_export_equals_one_from_the_api() {
    let emulator = Emulator::start();
    emulator.seed_estate();
    let online = tempfile::tempdir().expect("temp dir");
    let result = snapshot(&emulator, online.path(), &["--region", "us-east-1"]);
    assert_eq!(result.code, 0, "{result:?}");

    let export = tempfile::NamedTempFile::new().expect("temp file");
    fs::write(export.path(), emulator.export("us-east-1")).expect("write export");
    let export_path = export.path().to_str().expect("utf-8");
    let offline_snapshot = |dir: &Path| {
        let result = run(
            &mut nacl_drift(),
            &[
                "snapshot",
                "--baseline-dir",
                dir.to_str().expect("utf-8"),
                "--live-file",
                export_path,
                "--region",
                "us-east-1",
            ],
        );
        assert_eq!(result.code, 0, "{result:?}");
    };
    // An export has no subnet names or CIDRs: the same files, without the
    // labels beside the ids.
    let offline = tempfile::tempdir().expect("temp dir");
    offline_snapshot(offline.path());
    let unlabelled = |files: BTreeMap<String, Vec<u8>>| -> BTreeMap<String, String> {
        files
            .into_iter()
            .map(|(name, bytes)| {
                let text = String::from_utf8(bytes).expect("UTF-8");
                let lines: Vec<&str> = text
                    .lines()
                    .map(|line| line.split_once("  # ").map_or(line, |(data, _)| data))
                    .collect();
                (name, lines.join("\n"))
            })
            .collect()
    };
    let online_files = files_below(online.path());
    assert_eq!(
        unlabelled(files_below(offline.path())),
        unlabelled(online_files.clone())
    );
    // Over the online snapshot, the export changes no byte: the files keep
    // their labels.
    offline_snapshot(online.path());
    assert_eq!(files_below(online.path()), online_files);
}

#[test]
fn a_snapshot_from_an_export_needs_exactly_one_region() {
    let export = repo_root().join("tests/fixtures/diff/live-us-east-1.json");
    let dir = tempfile::tempdir().expect("temp dir");
    let result = run(
        &mut nacl_drift(),
        &[
            "snapshot",
            "--baseline-dir",
            dir.path().to_str().expect("utf-8"),
            "--live-file",
            export.to_str().expect("utf-8"),
        ],
    );
    assert_eq!(result.code, 1, "{result:?}");
    assert_eq!(
        result.stderr,
        "error: --live-file needs exactly one --region: an export does not say which region it is of\n"
    );
    assert!(files_below(dir.path()).is_empty());
}

/// An export of one NACL, in `aws ec2 describe-network-acls` shape.
fn export_of(acl: Value) -> String {
    serde_json::json!({ "NetworkAcls": [acl] }).to_string()
}

fn exported_acl() -> Value {
    serde_json::json!({
        "NetworkAclId": "acl-0a1b2c",
        "VpcId": "vpc-0a1b2c",
        "OwnerId": "111122223333",
        "IsDefault": false,
        "Entries": [
            {"RuleNumber": 100, "Egress": false, "RuleAction": "allow", "Protocol": "6",
             "CidrBlock": "0.0.0.0/0", "PortRange": {"From": 443, "To": 443}},
            {"RuleNumber": 32767, "Egress": false, "RuleAction": "deny", "Protocol": "-1",
             "CidrBlock": "0.0.0.0/0"}
        ],
        "Associations": [
            {"NetworkAclAssociationId": "aclassoc-0a", "NetworkAclId": "acl-0a1b2c", "SubnetId": "subnet-0a"}
        ],
        "Tags": []
    })
}

/// A work folder with the exports written into it, and the baseline
/// directory inside it: anything written outside `baselines/` shows.
struct Workspace {
    root: tempfile::TempDir,
}

impl Workspace {
    fn with_exports(exports: &[&str]) -> Self {
        let root = tempfile::tempdir().expect("temp dir");
        for (index, export) in exports.iter().enumerate() {
            fs::write(root.path().join(format!("export-{index}.json")), export).expect("write");
        }
        Workspace { root }
    }

    fn export(&self, index: usize) -> String {
        self.root
            .path()
            .join(format!("export-{index}.json"))
            .display()
            .to_string()
    }

    fn baselines(&self) -> std::path::PathBuf {
        self.root.path().join("nested/baselines")
    }

    /// `snapshot --live-file` of every export, into `nested/baselines`.
    fn snapshot(&self, extra: &[&str]) -> crate::support::Run {
        let baselines = self.baselines();
        let mut args = vec![
            "snapshot",
            "--baseline-dir",
            baselines.to_str().expect("utf-8"),
        ];
        let exports: Vec<String> = (0..self.exports()).map(|i| self.export(i)).collect();
        for export in &exports {
            args.extend(["--live-file", export.as_str()]);
        }
        args.extend(extra);
        run(&mut nacl_drift(), &args)
    }

    fn exports(&self) -> usize {
        fs::read_dir(self.root.path())
            .expect("read")
            .filter(|item| {
                item.as_ref()
                    .is_ok_and(|item| item.file_name().to_string_lossy().starts_with("export-"))
            })
            .count()
    }

    /// Every file in the work folder but the exports themselves.
    fn written(&self) -> Vec<String> {
        files_below(self.root.path())
            .into_keys()
            .filter(|name| !name.starts_with("export-"))
            .collect()
    }
}

/// The snapshot refused the first export for `cause`, and wrote nothing.
fn assert_export_refused(work: &Workspace, result: &crate::support::Run, cause: &str) {
    assert_eq!(result.code, 1, "{result:?}");
    assert_eq!(
        result.stderr,
        format!(
            "error: {}: unusable live file\n  caused by: {cause}\n",
            work.export(0)
        ),
        "{result:?}"
    );
    assert!(work.written().is_empty(), "{:?}", work.written());
}

#[test]
fn ids_in_an_export_that_would_name_a_path_write_nothing_anywhere() {
    let cases = [
        (
            "/VpcId",
            "../../pwned",
            "network ACL acl-0a1b2c: VpcId is unusable\n  caused by: \"../../pwned\" is not a VPC id: expected vpc- followed by lowercase letters and digits",
        ),
        (
            "/VpcId",
            "vpc-1/../../../pwned",
            "network ACL acl-0a1b2c: VpcId is unusable\n  caused by: \"vpc-1/../../../pwned\" is not a VPC id: expected vpc- followed by lowercase letters and digits",
        ),
        (
            "/OwnerId",
            "../pwned",
            "network ACL acl-0a1b2c: OwnerId is unusable\n  caused by: \"../pwned\" is not an AWS account id: expected exactly 12 digits",
        ),
        (
            "/NetworkAclId",
            "../acl-0a1b2c",
            "a network ACL's NetworkAclId is unusable\n  caused by: \"../acl-0a1b2c\" is not a network ACL id: expected acl- followed by lowercase letters and digits",
        ),
        (
            "/Associations/0/SubnetId",
            "subnet-0a/..",
            "network ACL acl-0a1b2c: Associations[].SubnetId is unusable\n  caused by: \"subnet-0a/..\" is not a subnet id: expected subnet- followed by lowercase letters and digits",
        ),
    ];
    for (pointer, value, cause) in cases {
        let mut acl = exported_acl();
        *acl.pointer_mut(pointer).expect("field") = value.into();
        let work = Workspace::with_exports(&[&export_of(acl)]);
        let result = work.snapshot(&["--region", "us-east-1"]);
        assert_export_refused(&work, &result, cause);
    }
}

#[test]
fn ids_in_flags_that_would_name_a_path_write_nothing_anywhere() {
    let export = export_of(exported_acl());
    for (flag, value, expected) in [
        (
            "--region",
            "../../pwned",
            "error: invalid value '../../pwned' for '--region <REGION>': \"../../pwned\" is not an AWS region: expected a region name like us-east-1 (lowercase letters, digits and dashes)",
        ),
        (
            "--vpc-id",
            "../pwned",
            "error: invalid value '../pwned' for '--vpc-id <VPC>': \"../pwned\" is not a VPC id: expected vpc- followed by lowercase letters and digits",
        ),
        (
            "--account",
            "../pwned",
            "error: invalid value '../pwned' for '--account <ACCOUNT>': \"../pwned\" is not an AWS account id: expected exactly 12 digits",
        ),
    ] {
        let work = Workspace::with_exports(&[&export]);
        let mut args = vec![flag, value];
        if flag != "--region" {
            args.extend(["--region", "us-east-1"]);
        }
        let result = work.snapshot(&args);
        assert_eq!(result.code, 1, "{result:?}");
        assert!(result.stderr.starts_with(expected), "{result:?}");
        assert!(work.written().is_empty(), "{:?}", work.written());
    }
}

/// Prowler's own NACL fixtures hold an IPv4 and an IPv6 allow-all under one
/// rule number. Keeping one of them would call an open NACL closed.
#[test]
fn two_entries_with_one_rule_number_are_an_error_not_a_lost_rule() {
    let mut acl = exported_acl();
    acl["Entries"] = serde_json::json!([
        {"RuleNumber": 100, "Egress": false, "RuleAction": "allow", "Protocol": "-1", "CidrBlock": "0.0.0.0/0"},
        {"RuleNumber": 100, "Egress": false, "RuleAction": "allow", "Protocol": "-1", "Ipv6CidrBlock": "::/0"}
    ]);
    let work = Workspace::with_exports(&[&export_of(acl)]);
    let result = work.snapshot(&["--region", "us-east-1"]);
    assert_export_refused(
        &work,
        &result,
        "network ACL acl-0a1b2c has two ingress entries numbered 100: \
         EC2 never returns that, so the input is corrupt",
    );
}

#[test]
fn the_same_nacl_in_two_exports_must_be_the_same() {
    let export = export_of(exported_acl());
    let same = Workspace::with_exports(&[&export, &export]);
    let result = same.snapshot(&["--region", "us-east-1"]);
    assert_eq!(result.code, 0, "{result:?}");

    let mut changed = exported_acl();
    changed["Entries"][0]["PortRange"] = serde_json::json!({"From": 0, "To": 65535});
    let different = Workspace::with_exports(&[&export, &export_of(changed)]);
    let result = different.snapshot(&["--region", "us-east-1"]);
    assert_eq!(result.code, 1, "{result:?}");
    assert_eq!(
        result.stderr,
        format!(
            "error: unusable live files\n  caused by: network ACL acl-0a1b2c appears in both {} and {} \
             with different content: the live state is inconsistent\n",
            different.export(0),
            different.export(1)
        )
    );
    assert!(different.written().is_empty());
}

/// Older exports have no `OwnerId`; `--account` names the account.
#[test]
fn an_export_without_owner_needs_the_account() {
    let mut acl = exported_acl();
    acl.as_object_mut().expect("object").remove("OwnerId");
    let work = Workspace::with_exports(&[&export_of(acl)]);
    let result = work.snapshot(&["--region", "us-east-1"]);
    assert_export_refused(
        &work,
        &result,
        "network ACL acl-0a1b2c has no OwnerId (exports of older AWS CLIs lack it): \
         pass --account with the 12-digit account it belongs to",
    );

    let result = work.snapshot(&["--region", "us-east-1", "--account", "444455556666"]);
    assert_eq!(result.code, 0, "{result:?}");
    assert_eq!(
        work.written(),
        ["nested/baselines/444455556666/us-east-1/vpc-0a1b2c.yaml"]
    );

    let owned = Workspace::with_exports(&[&export_of(exported_acl())]);
    let result = owned.snapshot(&["--region", "us-east-1", "--account", "444455556666"]);
    assert_eq!(result.code, 1, "{result:?}");
    assert!(
        result.stderr.ends_with(
            "caused by: network ACL acl-0a1b2c has OwnerId 111122223333, but --account says 444455556666\n"
        ),
        "{result:?}"
    );
    assert!(owned.written().is_empty());
}

/// A region whose read succeeded and that holds no VPC of the account any
/// more loses that account's baselines there.
#[test]
fn a_region_whose_last_vpc_is_gone_loses_its_baselines() {
    let work = Workspace::with_exports(&[&export_of(exported_acl())]);
    let result = work.snapshot(&["--region", "eu-west-1"]);
    assert_eq!(result.code, 0, "{result:?}");
    assert_eq!(work.written().len(), 1);

    fs::write(work.export(0), r#"{"NetworkAcls": []}"#).expect("write");
    // An export answers only for what it holds: an empty one removes
    // nothing, unless it is said to be complete.
    let before = files_below(work.root.path());
    let held_only = work.snapshot(&["--region", "eu-west-1", "--account", "111122223333"]);
    assert_eq!(held_only.code, 0, "{held_only:?}");
    assert_eq!(files_below(work.root.path()), before);
    assert!(
        held_only.stdout.contains(
            "Kept the baselines of vpc-0a1b2c, which the exports do not hold: an export answers only for what it holds (pass --export-is-complete if they are gone)"
        ),
        "{held_only:?}"
    );
    let result = work.snapshot(&[
        "--region",
        "eu-west-1",
        "--account",
        "111122223333",
        "--export-is-complete",
    ]);
    assert_eq!(result.code, 0, "{result:?}");
    // The region is recorded as holding no VPC, so that it stays covered.
    assert_eq!(
        work.written(),
        ["nested/baselines/111122223333/eu-west-1/no-vpcs.yaml"],
    );
    assert!(
        result.stdout.contains("Removed ")
            && result
                .stdout
                .contains("vpc-0a1b2c.yaml: no longer in the live state"),
        "{result:?}"
    );
}

/// The same online: a VPC filter whose VPC is gone from a region leaves the
/// read with no NACL of the caller's account at all.
#[test]
fn online_a_region_with_no_vpc_of_the_account_loses_its_baselines() {
    let emulator = Emulator::start();
    let dir = tempfile::tempdir().expect("temp dir");
    let gone = dir.path().join(ACCOUNT).join("ap-south-1/vpc-0gone.yaml");
    fs::create_dir_all(gone.parent().expect("parent")).expect("mkdir");
    let text = "schema_version: 1\naccount: '123456789012'\nregion: ap-south-1\nvpc_id: vpc-0gone\n\
                scope: {regions: [ap-south-1], vpc_ids: [vpc-0gone]}\nnetwork_acls: []\n";
    fs::write(&gone, text).expect("write");
    let result = snapshot(
        &emulator,
        dir.path(),
        &["--region", "ap-south-1", "--vpc-id", "vpc-0gone"],
    );
    assert_eq!(result.code, 0, "{result:?}");
    assert!(!gone.exists(), "{result:?}");
    assert!(
        result
            .stderr
            .contains("warning: ap-south-1: no network ACLs found for vpc-0gone\n"),
        "{result:?}"
    );
}

/// `sh -c 'umask U; exec nacl-drift ARGS'`, with the test's environment.
fn with_umask(umask: &str, args: &[&str]) -> crate::support::Run {
    let binary = nacl_drift();
    let mut command = std::process::Command::new("sh");
    for (name, value) in binary.get_envs() {
        match value {
            Some(value) => command.env(name, value),
            None => command.env_remove(name),
        };
    }
    command.args(["-c", &format!("umask {umask}; exec \"$0\" \"$@\"")]);
    command.arg(binary.get_program());
    run(&mut command, args)
}

#[cfg(unix)]
#[test]
fn baseline_files_honour_the_umask() {
    use std::os::unix::fs::PermissionsExt;
    for (umask, mode) in [("022", 0o644), ("027", 0o640)] {
        let work = Workspace::with_exports(&[&export_of(exported_acl())]);
        let baselines = work.baselines();
        let export = work.export(0);
        let result = with_umask(
            umask,
            &[
                "snapshot",
                "--baseline-dir",
                baselines.to_str().expect("utf-8"),
                "--live-file",
                &export,
                "--region",
                "us-east-1",
            ],
        );
        assert_eq!(result.code, 0, "{result:?}");
        let file = baselines.join("111122223333/us-east-1/vpc-0a1b2c.yaml");
        let found = fs::metadata(&file).expect("stat").permissions().mode() & 0o777;
        assert_eq!(found, mode, "umask {umask}: {found:o}");
    }
}
