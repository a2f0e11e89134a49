//! The cache of parsed baselines (`nacl_drift_model::ParseCache`), run as a
//! process: it changes no byte of a result, it is the user's alone, and it
//! believes no entry but exactly the one it wrote for these bytes.

use std::fs::{self, File};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use crate::support::{Run, copy_dir, dir_arg, nacl_drift, repo_root, run};

/// The fixture's baselines in a folder of the test's own, with the export
/// they drifted to.
fn baselines() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    copy_dir(
        &repo_root().join("tests/fixtures/diff/baselines"),
        dir.path(),
    );
    let live = repo_root().join("tests/fixtures/diff/live-us-east-1.json");
    (dir, live)
}

/// `diff --format json` of the baselines in `dir`, the cache in `cache`.
fn diff(dir: &Path, live: &Path, cache: &Path, extra: &[&str]) -> Run {
    let mut args = vec!["diff", "--baseline-dir", dir_arg(dir)];
    args.extend(["--live-file", live.to_str().expect("utf-8 path")]);
    args.extend(["--format", "json"]);
    args.extend(extra);
    let result = run(nacl_drift().env("NACL_DRIFT_CACHE_DIR", cache), &args);
    assert_eq!(result.code, 2, "{result:?}");
    result
}

/// The cache's entries.
fn entries(cache: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let Ok(buckets) = fs::read_dir(cache.join("baselines")) else {
        return found;
    };
    for bucket in buckets {
        for entry in fs::read_dir(bucket.expect("bucket").path()).expect("bucket") {
            found.push(entry.expect("entry").path());
        }
    }
    found.sort();
    found
}

fn mode(path: &Path) -> u32 {
    fs::symlink_metadata(path)
        .expect("stat")
        .permissions()
        .mode()
        & 0o7777
}

fn set_age(path: &Path, age: Duration) {
    File::options()
        .write(true)
        .open(path)
        .expect("open")
        .set_modified(SystemTime::now() - age)
        .expect("set the time");
}

const DAY: Duration = Duration::from_secs(24 * 3600);

#[test]
fn the_cache_changes_no_byte_and_is_the_users_alone() {
    let (dir, live) = baselines();
    let folder = tempfile::tempdir().expect("temp dir");
    let cache = folder.path().join("cache");
    let uncached = diff(dir.path(), &live, &cache, &["--no-cache"]);
    assert!(!cache.exists(), "--no-cache made {}", cache.display());
    let by_variable = run(
        nacl_drift()
            .env("NACL_DRIFT_CACHE_DIR", &cache)
            .env("NACL_DRIFT_NO_CACHE", "true"),
        &[
            "diff",
            "--baseline-dir",
            dir_arg(dir.path()),
            "--live-file",
            live.to_str().expect("utf-8"),
            "--format",
            "json",
        ],
    );
    assert_eq!(by_variable.stdout, uncached.stdout);
    assert!(
        !cache.exists(),
        "NACL_DRIFT_NO_CACHE made {}",
        cache.display()
    );

    let filling = diff(dir.path(), &live, &cache, &[]);
    assert_eq!(filling.stdout, uncached.stdout);
    assert_eq!(mode(&cache), 0o700);
    let tag = fs::read_to_string(cache.join("CACHEDIR.TAG")).expect("CACHEDIR.TAG");
    assert!(tag.starts_with("Signature: 8a477f597d28d172789f06886806bc55\n"));
    let [entry] = entries(&cache)
        .try_into()
        .expect("one entry for the one file");
    assert_eq!(mode(&entry), 0o600, "{}", entry.display());
    assert_eq!(mode(entry.parent().expect("bucket")), 0o700);
    let written = fs::read(&entry).expect("entry");

    let filled = diff(dir.path(), &live, &cache, &[]);
    assert_eq!(filled.stdout, uncached.stdout);
    assert_eq!(
        fs::read(&entry).expect("entry"),
        written,
        "a hit rewrote it"
    );

    // An edited file is parsed afresh: its entry is another.
    let path = dir
        .path()
        .join("111122223333/us-east-1/vpc-0a1b2c3d4e5f60718.yaml");
    let text = fs::read_to_string(&path).expect("baseline");
    fs::write(&path, text.replace("10.0.0.2/32", "10.0.0.3/32")).expect("edit");
    let edited = diff(dir.path(), &live, &cache, &[]);
    assert_eq!(
        edited.stdout,
        diff(dir.path(), &live, &cache, &["--no-cache"]).stdout
    );
    assert_ne!(edited.stdout, uncached.stdout);
    assert_eq!(entries(&cache).len(), 2);

    fs::remove_dir_all(&cache).expect("delete the cache");
    fs::write(&path, text).expect("undo the edit");
    assert_eq!(diff(dir.path(), &live, &cache, &[]).stdout, uncached.stdout);
}

#[test]
fn a_corrupt_truncated_or_foreign_entry_is_never_believed() {
    let (dir, live) = baselines();
    let folder = tempfile::tempdir().expect("temp dir");
    let cache = folder.path().join("cache");
    let expected = diff(dir.path(), &live, &cache, &["--no-cache"]).stdout;
    diff(dir.path(), &live, &cache, &[]);
    let [entry] = entries(&cache).try_into().expect("one entry");
    let sound = fs::read(&entry).expect("entry");
    let sound_text = String::from_utf8(sound.clone()).expect("utf-8 entry");

    // Another file's entry: the same VPC with one address changed.
    let (other, _) = baselines();
    let path = other
        .path()
        .join("111122223333/us-east-1/vpc-0a1b2c3d4e5f60718.yaml");
    let text = fs::read_to_string(&path).expect("baseline");
    fs::write(&path, text.replace("10.0.0.2/32", "10.0.0.3/32")).expect("edit");
    let other_cache = folder.path().join("other");
    diff(other.path(), &live, &other_cache, &[]);
    let [other_entry] = entries(&other_cache).try_into().expect("one entry");
    let foreign_file = fs::read(other_entry).expect("entry");

    let mut lines: Vec<&str> = sound_text.splitn(7, '\n').collect();
    lines[1] = "0.0.1 1234 5678";
    let foreign_build = lines.join("\n").into_bytes();
    // Each would change the drift if it were believed: a protocol, or the
    // other file's baseline; a cut entry, a build's or a tool's own.
    let corrupt = sound_text
        .replacen("\"protocol\":\"tcp\"", "\"protocol\":\"udp\"", 1)
        .into_bytes();
    assert_ne!(corrupt, sound, "the entry names a tcp entry");
    let truncated = sound[..sound.len() / 2].to_vec();
    for (what, bytes) in [
        ("corrupt", corrupt),
        ("truncated", truncated),
        ("of another file", foreign_file),
        ("of another build", foreign_build),
        ("empty", Vec::new()),
    ] {
        fs::write(&entry, &bytes).expect("tamper");
        let result = diff(dir.path(), &live, &cache, &[]);
        assert_eq!(result.stdout, expected, "an entry {what} was believed");
        assert_eq!(
            fs::read(&entry).expect("entry"),
            sound,
            "the entry {what} was not written anew"
        );
    }

    // An entry others may write is not believed either.
    fs::write(
        &entry,
        sound_text.replacen("\"protocol\":\"tcp\"", "\"protocol\":\"udp\"", 1),
    )
    .expect("tamper");
    fs::set_permissions(&entry, fs::Permissions::from_mode(0o666)).expect("chmod");
    assert_eq!(diff(dir.path(), &live, &cache, &[]).stdout, expected);
}

#[test]
fn a_cache_folder_of_another_user_or_that_others_may_write_is_not_used() {
    let (dir, live) = baselines();
    let expected = diff(dir.path(), &live, Path::new("/nowhere"), &["--no-cache"]).stdout;
    let folder = tempfile::tempdir().expect("temp dir");

    let shared = folder.path().join("shared");
    fs::create_dir(&shared).expect("mkdir");
    fs::set_permissions(&shared, fs::Permissions::from_mode(0o777)).expect("chmod");
    let link = folder.path().join("link");
    let target = folder.path().join("target");
    fs::create_dir(&target).expect("mkdir");
    std::os::unix::fs::symlink(&target, &link).expect("symlink");
    // A folder another user owns: only root can give one away; anyone
    // else has one in the file system's root.
    let theirs = if rustix::process::geteuid().is_root() {
        let theirs = folder.path().join("theirs");
        fs::create_dir(&theirs).expect("mkdir");
        fs::set_permissions(&theirs, fs::Permissions::from_mode(0o700)).expect("chmod");
        std::os::unix::fs::chown(&theirs, Some(65534), Some(65534)).expect("chown");
        theirs
    } else {
        PathBuf::from("/")
    };
    for (what, cache, untouched) in [
        ("others may write", &shared, &shared),
        ("a link", &link, &target),
        ("another user's", &theirs, &theirs),
    ] {
        let before: Vec<_> = fs::read_dir(untouched)
            .expect("list")
            .map(|item| item.expect("item").file_name())
            .collect();
        let mode_before = mode(untouched);
        let result = diff(dir.path(), &live, cache, &[]);
        assert_eq!(result.stdout, expected, "a folder {what}");
        let after: Vec<_> = fs::read_dir(untouched)
            .expect("list")
            .map(|item| item.expect("item").file_name())
            .collect();
        assert_eq!(after, before, "nacl-drift wrote in a folder {what}");
        assert_eq!(mode(untouched), mode_before, "a folder {what}");
    }
}

#[test]
fn entries_unused_for_30_days_are_swept_once_a_day() {
    let (dir, live) = baselines();
    let folder = tempfile::tempdir().expect("temp dir");
    let cache = folder.path().join("cache");
    diff(dir.path(), &live, &cache, &[]);
    let [entry] = entries(&cache).try_into().expect("one entry");
    let bucket = cache.join("baselines/00");
    fs::create_dir_all(&bucket).expect("mkdir");
    let stale = bucket.join("stale");
    let fresh = bucket.join("fresh");
    let killed = bucket.join(".tmpkilled");
    let outside = folder.path().join("outside");
    let link = bucket.join("link");
    for file in [&stale, &fresh, &killed, &outside] {
        fs::write(file, "x").expect("write");
    }
    std::os::unix::fs::symlink(&outside, &link).expect("symlink");
    set_age(&stale, 31 * DAY);
    set_age(&fresh, 29 * DAY);
    set_age(&killed, 2 * DAY);
    set_age(&outside, 31 * DAY);

    // Swept less than a day ago: nothing goes.
    diff(dir.path(), &live, &cache, &[]);
    assert!(stale.exists() && killed.exists());

    set_age(&cache.join("swept"), 2 * DAY);
    diff(dir.path(), &live, &cache, &[]);
    assert!(!stale.exists(), "a stale entry stayed");
    assert!(!killed.exists(), "a killed run's temporary file stayed");
    assert!(fresh.exists() && entry.exists(), "an entry in use went");
    assert!(
        link.symlink_metadata().is_ok() && outside.exists(),
        "a link was followed"
    );
}
