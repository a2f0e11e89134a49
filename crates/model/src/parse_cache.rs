//! A cache of parsed baselines, as ruff and mypy keep one: parsing YAML is
//! most of an offline diff's time, and between two runs almost every
//! baseline file is unchanged.
//!
//! An entry is found by the SHA-256 of the file's bytes, this build of
//! nacl-drift (its version and the executable's size and time) and the
//! schema version, and holds the baseline as JSON behind a header that
//! repeats all of them with the payload's length and SHA-256. An entry is
//! believed only when every one of them matches and the JSON passes the
//! same checks a parse does; anything else (a corrupt, truncated, foreign
//! or unreadable entry) is a miss, and the file is parsed from its bytes.
//! The cache never changes a result: with it deleted, or off, the output
//! is byte-identical.
//!
//! The folder (`$NACL_DRIFT_CACHE_DIR`, else `$XDG_CACHE_HOME/nacl-drift`,
//! else `~/.cache/nacl-drift`) is made mode 0700 with a `CACHEDIR.TAG`,
//! and used only when the user running nacl-drift owns it and nobody else
//! may write to it ([`crate::ownership`]): an entry is trusted as much as
//! the folder it is in. Entries are written atomically (a temporary file
//! renamed into place), and those unused for [`STALE_AFTER`] are removed,
//! at most once a day. Any failure to write is silent: the cache only ever
//! saves time.

use std::fs::{self, DirBuilder, File};
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use sha2::{Digest, Sha256};

use crate::baseline::{Baseline, SCHEMA_VERSION};
use crate::error::BaselineError;
use crate::limits::MAX_YAML_BYTES;
use crate::ownership::{Distrust, distrust};
use crate::store::{Kept, write_atomically};

/// An entry unused for this long is removed.
pub const STALE_AFTER: Duration = Duration::from_secs(30 * 24 * 3600);

/// How often a hit refreshes its entry's time, and stale entries are swept.
const DAY: Duration = Duration::from_secs(24 * 3600);

/// The first line of every entry; the number changes with the layout.
const MAGIC: &str = "nacl-drift parse cache 1";

/// The cache folder tag of <https://bford.info/cachedir/>: backup tools
/// pass the folder over.
const CACHEDIR_TAG: &str = "Signature: 8a477f597d28d172789f06886806bc55\n\
# This file is a cache directory tag created by nacl-drift.\n\
# For information about cache directory tags see https://bford.info/cachedir/\n";

/// The folder of parsed baselines, checked as the user's alone.
#[derive(Clone, Debug)]
pub struct ParseCache {
    root: PathBuf,
    /// This build: the version and the executable's identity.
    build: String,
}

/// Why the cache folder is not used.
#[derive(Debug, thiserror::Error)]
pub enum CacheRefused {
    /// The running executable cannot be inspected, so an entry of another
    /// build could not be told apart.
    #[error("cannot tell which build of nacl-drift this is")]
    UnknownBuild(#[source] io::Error),
    /// No variable names a folder for it.
    #[error("no cache folder: set NACL_DRIFT_CACHE_DIR, XDG_CACHE_HOME or HOME")]
    NoFolder,
    /// The folder could not be made or inspected.
    #[error("cannot make the cache folder {}", path.display())]
    Unusable {
        /// The folder.
        path: PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// The path is a link or a file, not a folder.
    #[error("the cache folder {} is not a folder (a link is not followed)", .0.display())]
    NotAFolder(PathBuf),
    /// Another user owns the folder, or may write to it.
    #[error("the cache folder {} is not yours alone: {reason}", path.display())]
    NotYours {
        /// The folder.
        path: PathBuf,
        /// What is wrong with it.
        reason: Distrust,
    },
}

impl ParseCache {
    /// The cache folder the environment names: `$NACL_DRIFT_CACHE_DIR`,
    /// else `$XDG_CACHE_HOME/nacl-drift`, else `$HOME/.cache/nacl-drift`
    /// (an empty or relative variable counts as unset, as the XDG
    /// specification says).
    pub fn default_root() -> Option<PathBuf> {
        let absolute = |name: &str| {
            std::env::var_os(name)
                .map(PathBuf::from)
                .filter(|path| path.is_absolute())
        };
        absolute("NACL_DRIFT_CACHE_DIR")
            .or_else(|| absolute("XDG_CACHE_HOME").map(|path| path.join("nacl-drift")))
            .or_else(|| absolute("HOME").map(|path| path.join(".cache").join("nacl-drift")))
    }

    /// The cache of the environment's folder ([`ParseCache::default_root`]).
    pub fn open_default() -> Result<ParseCache, CacheRefused> {
        ParseCache::open(&ParseCache::default_root().ok_or(CacheRefused::NoFolder)?)
    }

    /// The environment's cache when it is usable: the cache only ever
    /// saves time, so a run without it is the same run.
    pub fn usable() -> Option<ParseCache> {
        ParseCache::open_default().ok()
    }

    /// The cache in `root`, made (mode 0700, with its `CACHEDIR.TAG`) if it
    /// is not there; refused unless it is a folder that the user running
    /// nacl-drift owns and nobody else may write to.
    pub fn open(root: &Path) -> Result<ParseCache, CacheRefused> {
        let unusable = |source| CacheRefused::Unusable {
            path: root.to_owned(),
            source,
        };
        if let Some(parent) = root.parent() {
            fs::create_dir_all(parent).map_err(unusable)?;
        }
        match private_folder().create(root) {
            Err(error) if error.kind() != io::ErrorKind::AlreadyExists => {
                return Err(unusable(error));
            }
            _ => {}
        }
        fs::symlink_metadata(root).map_err(unusable)?;
        if let Some(refused) = ParseCache::refusal(root) {
            return Err(refused);
        }
        let tag = root.join("CACHEDIR.TAG");
        if !tag.exists() {
            // A tag that cannot be written leaves the cache usable.
            let _ = write_atomically(&tag, CACHEDIR_TAG.as_bytes(), Kept::Cached);
        }
        let cache = ParseCache {
            root: root.to_owned(),
            build: this_build().map_err(CacheRefused::UnknownBuild)?,
        };
        cache.sweep_if_due();
        Ok(cache)
    }

    /// Why the folder `root` would not be used, if it is there and would
    /// not: it is a link or a file, or it is not the user's alone. Nothing
    /// is made.
    pub fn refusal(root: &Path) -> Option<CacheRefused> {
        let metadata = fs::symlink_metadata(root).ok()?;
        if !metadata.is_dir() {
            return Some(CacheRefused::NotAFolder(root.to_owned()));
        }
        let reason = distrust(&metadata)?;
        Some(CacheRefused::NotYours {
            path: root.to_owned(),
            reason,
        })
    }

    /// The folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The baseline `text` holds (read from `path`): the cached parse of
    /// exactly these bytes if there is a sound one, else a parse, which is
    /// then cached when it succeeds. Errors are the parse's, never cached.
    pub fn parse(&self, path: &Path, text: &str) -> Result<Baseline, BaselineError> {
        let source = hex(&Sha256::digest(text.as_bytes()));
        let entry = self.entry_path(&source);
        if let Some(baseline) = self.load(&entry, &source) {
            return Ok(baseline);
        }
        let baseline = Baseline::from_yaml(path, text)?;
        self.store(&entry, &source, &baseline);
        Ok(baseline)
    }

    /// Where the entry of the file whose bytes hash to `source` is.
    fn entry_path(&self, source: &str) -> PathBuf {
        let key = hex(&Sha256::digest(
            format!("{MAGIC}\n{}\n{SCHEMA_VERSION}\n{source}", self.build).as_bytes(),
        ));
        self.root.join("baselines").join(&key[..2]).join(&key[2..])
    }

    /// The header an entry of `source` with `payload` starts with.
    fn header(&self, source: &str, payload: &[u8]) -> String {
        format!(
            "{MAGIC}\n{}\n{SCHEMA_VERSION}\n{source}\n{}\n{}\n",
            self.build,
            payload.len(),
            hex(&Sha256::digest(payload))
        )
    }

    /// The entry's baseline, if it is there, the user's alone, and sound.
    fn load(&self, entry: &Path, source: &str) -> Option<Baseline> {
        let mut file = File::open(entry).ok()?;
        let metadata = file.metadata().ok()?;
        // A payload is about as large as the YAML it was parsed from.
        let too_large = metadata.len() > 2 * MAX_YAML_BYTES as u64;
        if !metadata.is_file() || too_large || distrust(&metadata).is_some() {
            return None;
        }
        let mut bytes = Vec::with_capacity(metadata.len() as usize);
        file.read_to_end(&mut bytes).ok()?;
        let payload_at = nth_line_end(&bytes, 6)?;
        let (header, payload) = bytes.split_at(payload_at);
        if header != self.header(source, payload).as_bytes() {
            return None;
        }
        let baseline: Baseline = serde_json::from_slice(payload).ok()?;
        baseline.check().ok()?;
        if metadata
            .modified()
            .is_ok_and(|modified| modified + DAY < SystemTime::now())
        {
            let _ = File::options()
                .write(true)
                .open(entry)
                .and_then(|file| file.set_modified(SystemTime::now()));
        }
        Some(baseline)
    }

    /// Caches `baseline` as the parse of the bytes that hash to `source`.
    fn store(&self, entry: &Path, source: &str, baseline: &Baseline) {
        let Ok(payload) = serde_json::to_vec(baseline) else {
            return;
        };
        let mut bytes = self.header(source, &payload).into_bytes();
        bytes.extend_from_slice(&payload);
        let Some(folder) = entry.parent() else {
            return;
        };
        if private_folder().recursive(true).create(folder).is_ok() {
            let _ = write_atomically(entry, &bytes, Kept::Cached);
        }
    }

    /// Removes entries unused for [`STALE_AFTER`] and temporary files left
    /// by a killed run, at most once a [`DAY`] (the `swept` file's time).
    fn sweep_if_due(&self) {
        let stamp = self.root.join("swept");
        let now = SystemTime::now();
        let due = fs::metadata(&stamp)
            .and_then(|metadata| metadata.modified())
            .map_or(true, |modified| modified + DAY < now);
        if !due || write_atomically(&stamp, b"", Kept::Cached).is_err() {
            return;
        }
        let Ok(buckets) = fs::read_dir(self.root.join("baselines")) else {
            return;
        };
        for bucket in buckets.flatten() {
            let Ok(entries) = fs::read_dir(bucket.path()) else {
                continue;
            };
            for entry in entries.flatten() {
                // Links and folders are never followed nor removed.
                let temporary = entry.file_name().to_string_lossy().starts_with(".tmp");
                let kept_for = if temporary { DAY } else { STALE_AFTER };
                let unused_too_long = entry.metadata().is_ok_and(|metadata| {
                    metadata.is_file()
                        && metadata
                            .modified()
                            .is_ok_and(|modified| modified + kept_for < now)
                });
                if unused_too_long {
                    let _ = fs::remove_file(entry.path());
                }
            }
        }
    }
}

/// This build of nacl-drift: its version, and the size and time of the
/// executable, so that a rebuild (whose parse may differ) finds none of
/// the entries of the build before it.
fn this_build() -> io::Result<String> {
    let metadata = fs::metadata(std::env::current_exe()?)?;
    let time = metadata
        .modified()?
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_err(io::Error::other)?;
    Ok(format!(
        "{} {} {}",
        env!("CARGO_PKG_VERSION"),
        metadata.len(),
        time.as_nanos()
    ))
}

/// A builder of folders that the user alone may enter (mode 0700).
fn private_folder() -> DirBuilder {
    let mut builder = DirBuilder::new();
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
}

/// The offset just past the `n`th newline of `bytes`.
fn nth_line_end(bytes: &[u8], n: usize) -> Option<usize> {
    bytes
        .iter()
        .enumerate()
        .filter(|(_, byte)| **byte == b'\n')
        .nth(n - 1)
        .map(|(at, _)| at + 1)
}

/// Lower-case hexadecimal.
fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}
