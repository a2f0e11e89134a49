//! `--since`: how far back attribution looks.

use std::str::FromStr;
use std::time::{SystemTime, UNIX_EPOCH};

use nacl_drift_model::sanitize;

/// How far back to look for events (`--since`): a point in time, in
/// seconds since the epoch, given as a duration before now (90d, 12h) or
/// a time (RFC 3339), with how it was given.
#[derive(Clone, Debug)]
pub struct Since {
    at: i64,
    text: String,
}

impl Since {
    /// The time, in seconds since the epoch.
    pub fn at(&self) -> i64 {
        self.at
    }

    /// How it was given.
    pub fn text(&self) -> &str {
        &self.text
    }
}

/// Now, in seconds since the epoch.
pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| {
            i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX)
        })
}

impl FromStr for Since {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let now = SystemTime::now();
        let when = match humantime::parse_duration(text) {
            Ok(ago) => now.checked_sub(ago).unwrap_or(UNIX_EPOCH),
            Err(_) => humantime::parse_rfc3339(text).map_err(|_| {
                format!(
                    "`{}` is neither a duration (90d, 12h, 30m) nor a time \
                     (2026-11-01T00:00:00Z)",
                    sanitize::cut(text)
                )
            })?,
        };
        let secs = when.duration_since(UNIX_EPOCH).map_or(0, |elapsed| {
            i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX)
        });
        Ok(Since {
            at: secs,
            text: text.to_owned(),
        })
    }
}
