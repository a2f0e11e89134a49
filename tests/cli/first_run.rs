//! A new user's first run, with nothing set up: no credentials, no region,
//! no baselines. Each is one clear line with its fix, exit 1, no dump of
//! the AWS SDK's at the default verbosity, and nothing written. The
//! instance metadata service is a closed loopback port, as on a laptop.

use std::process::Command;

use crate::support::{Run, dir_arg, files_below, nacl_drift, repo_root, run};

/// nacl-drift with no credentials anywhere, and an instance metadata
/// service that refuses connections.
fn with_nothing_set_up() -> Command {
    let mut command = nacl_drift();
    command
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env_remove("AWS_SESSION_TOKEN")
        .env("AWS_EC2_METADATA_DISABLED", "false")
        .env("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:9");
    command
}

fn assert_one_clear_line(result: &Run, line: &str) {
    assert_eq!(result.code, 1, "{result:?}");
    assert!(result.stdout.is_empty(), "{result:?}");
    assert!(
        result.stderr.starts_with(&format!("error: {line}")),
        "{result:?}"
    );
    assert!(
        !result.stderr.contains("WARN") && !result.stderr.contains("IMDS"),
        "no SDK dump: {result:?}"
    );
    assert!(result.stderr.lines().count() <= 2, "{result:?}");
}

#[test]
fn no_credentials_is_one_line_and_its_fix() {
    let baselines = repo_root().join("baselines");
    let dir = tempfile::tempdir().expect("temp dir");
    let result = run(
        with_nothing_set_up().current_dir(dir.path()),
        &["diff", "--baseline-dir", dir_arg(&baselines)],
    );
    assert_one_clear_line(
        &result,
        "cannot tell which account the credentials belong to",
    );
    assert!(
        result.stderr.contains(
            "no AWS credentials found: set AWS_PROFILE (or pass --profile), run `aws sso login`"
        ),
        "{result:?}"
    );
    assert!(files_below(dir.path()).is_empty());
}

#[test]
fn no_region_is_one_line_and_its_fix() {
    let dir = tempfile::tempdir().expect("temp dir");
    let result = run(with_nothing_set_up().current_dir(dir.path()), &["snapshot"]);
    assert_one_clear_line(
        &result,
        "no AWS region: pass --region, or set AWS_REGION or a region in your profile",
    );
    assert!(files_below(dir.path()).is_empty());
}

#[test]
fn no_baselines_names_the_folder_and_what_to_do() {
    let dir = tempfile::tempdir().expect("temp dir");
    let result = run(with_nothing_set_up().current_dir(dir.path()), &["diff"]);
    assert_one_clear_line(
        &result,
        "no baseline folder baselines: run `nacl-drift snapshot` first, or pass --baseline-dir",
    );
    assert!(files_below(dir.path()).is_empty());
}

/// doctor says the same, as checks: credentials fail with the fix, and
/// with neither baselines nor a region, the regions check warns.
#[test]
fn doctor_with_nothing_set_up_says_what_to_do() {
    let dir = tempfile::tempdir().expect("temp dir");
    let result = run(with_nothing_set_up().current_dir(dir.path()), &["doctor"]);
    assert_eq!(result.code, 1, "{result:?}");
    let line = |check: &str| {
        result
            .stdout
            .lines()
            .find(|line| line[5..].starts_with(check))
            .unwrap_or_else(|| panic!("a {check} line: {result:?}"))
            .to_owned()
    };
    assert!(line("baselines").starts_with("fail baselines: no baseline folder baselines"));
    assert!(line("regions").starts_with("warn regions: no baselines and no configured region"));
    assert!(
        line("credentials").contains("no AWS credentials found: set AWS_PROFILE"),
        "{result:?}"
    );
    assert!(
        !result.stderr.contains("WARN") && !result.stdout.contains("IMDS"),
        "{result:?}"
    );
    assert!(files_below(dir.path()).is_empty());
}
