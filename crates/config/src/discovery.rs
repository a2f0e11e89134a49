//! Finding `nacl-drift.toml` when none is named, as git finds a repository
//! but with git's `safe.directory` caution (CVE-2022-24765): a config can
//! point the tool that rewrites NACLs at other baselines, so only a file
//! the user could have written counts.
//!
//! The walk goes up from the current folder and stops after the
//! repository's root (the first folder holding `.git`) or the user's home
//! folder, so a file planted in a shared parent (`/tmp`, a CI runner's
//! work folder, `/home`) is never reached from inside a project. A file on
//! the way that is owned by another user, or writable by group or others,
//! is passed over with the reason, which the caller prints.

use std::fmt;
use std::path::{Path, PathBuf};

pub use nacl_drift_model::Distrust;

/// The name the config file is looked for under.
pub const CONFIG_FILE_NAME: &str = "nacl-drift.toml";

/// What the walk found: the config file that applies, if any, and the
/// files it passed over.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Discovery {
    /// The config file that applies.
    pub path: Option<PathBuf>,
    /// Files named `nacl-drift.toml` that were not trusted.
    pub ignored: Vec<Untrusted>,
}

/// A config file passed over, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Untrusted {
    /// The file.
    pub path: PathBuf,
    /// Why it is not trusted.
    pub reason: Distrust,
}

impl fmt::Display for Untrusted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = self.path.display();
        let reason = self.reason;
        match reason {
            Distrust::OwnedByOther { .. } => write!(
                f,
                "ignoring {path}: {reason}; name it with --config if you trust it"
            ),
            Distrust::WritableByOthers { .. } => write!(
                f,
                "ignoring {path}: {reason}; run `chmod go-w {path}`, or name it with --config"
            ),
        }
    }
}

/// The config file that applies in `folder`: `nacl-drift.toml` there or in
/// the nearest folder above it, up to the repository root or `home`,
/// whichever comes first, that the current user owns and alone may write.
pub fn discover(folder: &Path, home: Option<&Path>) -> Discovery {
    let mut discovery = Discovery::default();
    for folder in folder.ancestors() {
        let candidate = folder.join(CONFIG_FILE_NAME);
        if candidate.is_file() {
            match distrust(&candidate) {
                None => {
                    discovery.path = Some(candidate);
                    return discovery;
                }
                Some(reason) => discovery.ignored.push(Untrusted {
                    path: candidate,
                    reason,
                }),
            }
        }
        if folder.join(".git").exists() || Some(folder) == home {
            break;
        }
    }
    discovery
}

/// Why the file at `path` is not trusted; a file that cannot be
/// inspected is read, and its error reported, by the caller.
fn distrust(path: &Path) -> Option<Distrust> {
    nacl_drift_model::distrust(&std::fs::metadata(path).ok()?)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::fs;
    use std::os::unix::fs::PermissionsExt;

    fn config_in(folder: &Path, mode: u32) -> PathBuf {
        let path = folder.join(CONFIG_FILE_NAME);
        fs::write(&path, "").expect("write");
        fs::set_permissions(&path, fs::Permissions::from_mode(mode)).expect("chmod");
        path
    }

    #[test]
    fn the_walk_stops_at_the_repository_root_and_at_home() {
        let root = tempfile::tempdir().expect("temp dir");
        let shared = root.path();
        let repo = shared.join("repo");
        let below = repo.join("a/b");
        fs::create_dir_all(&below).expect("mkdir");
        config_in(shared, 0o644);
        assert_eq!(
            discover(&below, None).path,
            Some(shared.join(CONFIG_FILE_NAME))
        );

        fs::create_dir(repo.join(".git")).expect("mkdir");
        assert_eq!(discover(&below, None), Discovery::default());
        fs::remove_dir(repo.join(".git")).expect("rmdir");
        assert_eq!(discover(&below, Some(&repo)), Discovery::default());

        let own = config_in(&repo, 0o600);
        assert_eq!(discover(&below, None).path, Some(own));
    }

    #[test]
    fn a_file_others_may_write_is_passed_over_with_the_reason() {
        let root = tempfile::tempdir().expect("temp dir");
        let path = config_in(root.path(), 0o664);
        let found = discover(root.path(), Some(root.path()));
        assert_eq!(found.path, None);
        assert_eq!(
            found.ignored,
            [Untrusted {
                path: path.clone(),
                reason: Distrust::WritableByOthers { mode: 0o664 }
            }]
        );
        assert!(
            found.ignored[0]
                .to_string()
                .contains("group or others may write to it (mode 664); run `chmod go-w"),
            "{}",
            found.ignored[0]
        );
    }

    #[test]
    fn a_file_of_another_user_is_passed_over() {
        use std::os::unix::fs::MetadataExt;
        let root = tempfile::tempdir().expect("temp dir");
        let user = rustix::process::geteuid().as_raw();
        // Only root can give a file away; anyone else is shown a file of
        // root's through a link, which the walk follows to that file.
        let owner = if user == 0 {
            let path = config_in(root.path(), 0o644);
            std::os::unix::fs::chown(&path, Some(65534), None).expect("chown");
            65534
        } else {
            let roots = Path::new("/etc/passwd");
            let owner = fs::metadata(roots).expect("/etc/passwd").uid();
            assert_eq!(
                owner, 0,
                "/etc/passwd, root's file for this test, is not root's"
            );
            std::os::unix::fs::symlink(roots, root.path().join(CONFIG_FILE_NAME)).expect("link");
            owner
        };
        let found = discover(root.path(), None);
        assert_eq!(found.path, None);
        assert_eq!(
            found.ignored[0].reason,
            Distrust::OwnedByOther { owner, user }
        );
    }
}
