//! CloudTrail log files, as delivered to S3:
//! `AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/*.json.gz`, each
//! `{"Records": [...]}`. Plain `.json` files are read too. A file may hold
//! records from any time before its delivery, so every file is read.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use flate2::read::GzDecoder;
use serde::Deserialize;

use crate::record::{NaclEvent, Record};

/// A log file that could not be read.
#[derive(Debug, thiserror::Error)]
#[error("{}: {message}", path.display())]
pub struct LogError {
    pub path: PathBuf,
    pub message: String,
}

/// What a folder of log files held.
#[derive(Debug, Default)]
pub struct LogFiles {
    pub events: Vec<NaclEvent>,
    pub files: usize,
    /// Files skipped as unreadable (with `ignore_bad`), with why.
    pub skipped: Vec<LogError>,
}

#[derive(Deserialize)]
struct LogFile {
    #[serde(rename = "Records")]
    records: Vec<Record>,
}

/// Reads every `*.json.gz` and `*.json` file under `dir`, keeping the NACL
/// events. A file that is not a CloudTrail log is an error, or, with
/// `ignore_bad`, skipped and reported in [`LogFiles::skipped`].
pub fn read_log_dir(dir: &Path, ignore_bad: bool) -> Result<LogFiles, LogError> {
    let mut found = LogFiles::default();
    let mut paths = Vec::new();
    collect(dir, &mut paths)?;
    paths.sort();
    for path in paths {
        found.files += 1;
        match read_log_file(&path) {
            Ok(events) => found.events.extend(events),
            Err(error) if ignore_bad => {
                tracing::debug!("skipping {error}");
                found.skipped.push(error);
            }
            Err(error) => return Err(error),
        }
    }
    Ok(found)
}

fn collect(dir: &Path, paths: &mut Vec<PathBuf>) -> Result<(), LogError> {
    let unreadable = |error: std::io::Error| LogError {
        path: dir.to_owned(),
        message: error.to_string(),
    };
    for item in fs::read_dir(dir).map_err(unreadable)? {
        let path = item.map_err(unreadable)?.path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if path.is_dir() {
            collect(&path, paths)?;
        } else if name.ends_with(".json.gz") || name.ends_with(".json") {
            paths.push(path);
        }
    }
    Ok(())
}

fn read_log_file(path: &Path) -> Result<Vec<NaclEvent>, LogError> {
    let error = |message: String| LogError {
        path: path.to_owned(),
        message,
    };
    let bytes = fs::read(path).map_err(|e| error(e.to_string()))?;
    let text = if path.to_string_lossy().ends_with(".gz") {
        let mut text = String::new();
        GzDecoder::new(bytes.as_slice())
            .read_to_string(&mut text)
            .map_err(|e| error(format!("not a gzipped CloudTrail log: {e}")))?;
        text
    } else {
        String::from_utf8(bytes).map_err(|_| error("not UTF-8 text".to_owned()))?
    };
    let file: LogFile = serde_json::from_str(&text).map_err(|e| {
        error(format!(
            "not a CloudTrail log ({{\"Records\": [...]}}): {e}"
        ))
    })?;
    let mut events = Vec::new();
    for (index, record) in file.records.into_iter().enumerate() {
        if let Some(event) = record
            .into_event()
            .map_err(|e| error(format!("record {index}: {e}")))?
        {
            events.push(event);
        }
    }
    Ok(events)
}
