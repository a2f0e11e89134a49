//! Whether a file or folder is the current user's alone, with git's
//! `safe.directory` caution (CVE-2022-24765): a file that steers nacl-drift
//! (a config file, a cache entry) counts only when the user running it
//! owns it and nobody else may write to it.

use std::fs::Metadata;

/// Why a file or folder is not trusted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Distrust {
    /// Another user owns it.
    OwnedByOther {
        /// Its owner's user id.
        owner: u32,
        /// The user nacl-drift runs as.
        user: u32,
    },
    /// Others than its owner may write to it.
    WritableByOthers {
        /// Its permission bits.
        mode: u32,
    },
}

impl std::fmt::Display for Distrust {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Distrust::OwnedByOther { owner, user } => write!(
                f,
                "it is owned by user {owner}, not by the user running nacl-drift ({user})"
            ),
            Distrust::WritableByOthers { mode } => {
                write!(f, "group or others may write to it (mode {mode:o})")
            }
        }
    }
}

/// Why `metadata`'s file is not the current user's alone, if it is not.
#[cfg(unix)]
pub fn distrust(metadata: &Metadata) -> Option<Distrust> {
    use std::os::unix::fs::MetadataExt;
    let user = rustix::process::geteuid().as_raw();
    if metadata.uid() != user {
        return Some(Distrust::OwnedByOther {
            owner: metadata.uid(),
            user,
        });
    }
    let mode = metadata.mode() & 0o7777;
    (mode & 0o022 != 0).then_some(Distrust::WritableByOthers { mode })
}

/// Windows has no owner and mode bits of this kind: every file counts.
#[cfg(not(unix))]
pub fn distrust(_metadata: &Metadata) -> Option<Distrust> {
    None
}
