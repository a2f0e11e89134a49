//! CloudTrail log files, as delivered to S3:
//! `AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/*.json.gz`, each
//! `{"Records": [...]}`. Plain `.json` files are read too. A file may hold
//! records from any time before its delivery, so every file is read.
//!
//! Files are streamed, and what one file may decompress to is bounded: a
//! CloudTrail log file holds minutes of events, a few MB at most, so a file
//! past the bound is a gzip bomb or not a log, and is refused by name.

use std::fs::{self, File};
use std::io::{self, BufReader, Read};
use std::path::{Path, PathBuf};

use flate2::read::GzDecoder;
use rayon::prelude::*;
use serde::Deserialize;

use crate::interfaces::InterfaceEvent;
use crate::record::{NaclEvent, Record};

/// A log file that could not be read.
#[derive(Debug, thiserror::Error)]
#[error("{}: {message}", path.display())]
pub struct LogError {
    /// The file.
    pub path: PathBuf,
    /// What is wrong with it.
    pub message: String,
}

/// What a folder of log files held.
#[derive(Debug, Default)]
pub struct LogFiles {
    /// The NACL events of every file, in file order.
    pub events: Vec<NaclEvent>,
    /// The interfaces made and deleted, and instances terminated.
    pub interfaces: Vec<InterfaceEvent>,
    /// How many files were read.
    pub files: usize,
    /// Files and records skipped as unreadable (with `ignore_bad`), with why.
    pub skipped: Vec<LogError>,
}

#[derive(Deserialize)]
struct LogFile {
    #[serde(rename = "Records")]
    records: Vec<Record>,
}

/// The most one log file may hold once decompressed: 256 MiB, far above
/// any real CloudTrail file.
pub const MAX_LOG_FILE_BYTES: u64 = 256 * 1024 * 1024;

/// Reads every `*.json.gz` and `*.json` file under `dir`, keeping the NACL
/// events; the digest files of log file validation (`CloudTrail-Digest/`)
/// are no logs, and are passed over. A file that is not a CloudTrail log,
/// or that holds more than [`MAX_LOG_FILE_BYTES`], or a NACL event's
/// record that lacks what matching needs, is an error, or, with
/// `ignore_bad`, skipped (the file, or that record alone) and reported in
/// [`LogFiles::skipped`].
pub fn read_log_dir(dir: &Path, ignore_bad: bool) -> Result<LogFiles, LogError> {
    read_log_dir_within(dir, ignore_bad, MAX_LOG_FILE_BYTES)
}

/// [`read_log_dir`], with another bound on what one file may hold.
pub fn read_log_dir_within(
    dir: &Path,
    ignore_bad: bool,
    max_file_bytes: u64,
) -> Result<LogFiles, LogError> {
    let mut found = LogFiles::default();
    let mut paths = Vec::new();
    collect(dir, &mut paths, &mut found.skipped)?;
    paths.sort();
    // A week of an account-region is thousands of files: read on all
    // cores, then taken in path order.
    let read: Vec<_> = paths
        .par_iter()
        .map(|path| {
            let mut skipped = Vec::new();
            let events = read_log_file(path, max_file_bytes, ignore_bad, &mut skipped);
            (events, skipped)
        })
        .collect();
    for (events, skipped) in read {
        found.files += 1;
        found.skipped.extend(skipped);
        match events {
            Ok((events, interfaces)) => {
                found.events.extend(events);
                found.interfaces.extend(interfaces);
            }
            Err(error) if ignore_bad => {
                tracing::debug!("skipping {error}");
                found.skipped.push(error);
            }
            Err(error) => return Err(error),
        }
    }
    Ok(found)
}

fn collect(
    dir: &Path,
    paths: &mut Vec<PathBuf>,
    links: &mut Vec<LogError>,
) -> Result<(), LogError> {
    let unreadable = |error: io::Error| LogError {
        path: dir.to_owned(),
        message: error.to_string(),
    };
    for item in fs::read_dir(dir).map_err(unreadable)? {
        let item = item.map_err(unreadable)?;
        let path = item.path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if path.is_dir() && name == DIGESTS {
            continue;
        }
        // A link back up would be walked for ever: named, not followed.
        if item.file_type().is_ok_and(|kind| kind.is_symlink()) && path.is_dir() {
            links.push(LogError {
                path,
                message: "a link to a folder: not followed".to_owned(),
            });
        } else if path.is_dir() {
            collect(&path, paths, links)?;
        } else if name.ends_with(".json.gz") || name.ends_with(".json") {
            paths.push(path);
        }
    }
    Ok(())
}

/// The folder of log file validation's digest files, beside `CloudTrail/`.
const DIGESTS: &str = "CloudTrail-Digest";

/// The NACL events and interface events of one file. A bad record is an
/// error, or, with `ignore_bad`, passed over and added to `skipped`.
fn read_log_file(
    path: &Path,
    max_bytes: u64,
    ignore_bad: bool,
    skipped: &mut Vec<LogError>,
) -> Result<(Vec<NaclEvent>, Vec<InterfaceEvent>), LogError> {
    let error = |message: String| LogError {
        path: path.to_owned(),
        message,
    };
    let file = BufReader::new(File::open(path).map_err(|e| error(e.to_string()))?);
    let gzipped = path.to_string_lossy().ends_with(".gz");
    let content: Box<dyn Read> = if gzipped {
        Box::new(GzDecoder::new(file))
    } else {
        Box::new(file)
    };
    let mut reader = Bounded {
        inner: content,
        left: max_bytes,
    };
    // Whole, then parsed: serde_json reads a reader a byte at a time.
    let mut bytes = Vec::new();
    if let Err(e) = reader.read_to_end(&mut bytes) {
        return Err(error(if reader.left == 0 {
            format!(
                "holds more than {} MiB{}: too large for a CloudTrail log",
                max_bytes / (1024 * 1024),
                if gzipped { " once decompressed" } else { "" }
            )
        } else if gzipped {
            format!("not a gzipped CloudTrail log: {e}")
        } else {
            e.to_string()
        }));
    }
    let file: LogFile = serde_json::from_slice(&bytes).map_err(|e| {
        error(format!(
            "not a CloudTrail log ({{\"Records\": [...]}}): {e}"
        ))
    })?;
    let mut events = Vec::new();
    let mut interfaces = Vec::new();
    for (index, record) in file.records.into_iter().enumerate() {
        let read = record
            .interface_events()
            .and_then(|made| Ok((made, record.into_event()?)));
        match read {
            Ok((made, event)) => {
                interfaces.extend(made);
                events.extend(event);
            }
            Err(bad) if ignore_bad => skipped.push(error(format!("record {index}: {bad}"))),
            Err(bad) => return Err(error(format!("record {index}: {bad}"))),
        }
    }
    Ok((events, interfaces))
}

/// A reader that stops with an error once it has given `left` bytes.
struct Bounded<R> {
    inner: R,
    left: u64,
}

impl<R: Read> Read for Bounded<R> {
    fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
        if self.left == 0 {
            return Err(io::Error::other("the size limit was reached"));
        }
        let most = buffer
            .len()
            .min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let read = self.inner.read(&mut buffer[..most])?;
        self.left -= read as u64;
        Ok(read)
    }
}
