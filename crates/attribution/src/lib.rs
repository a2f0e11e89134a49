//! Who changed the NACL, when, and from where: the CloudTrail management
//! event behind each drift.
//!
//! Records come from CloudTrail's `LookupEvents` ([`lookup_events`], which
//! takes a client that is already built) or from the log files CloudTrail
//! delivers to S3 ([`read_log_dir`]). [`attribute`], which is pure, picks
//! for each change the most recent successful event that matches it.
//!
//! A `DeleteNetworkAclEntry` record holds only the NACL, the rule number and
//! the direction, never the deleted rule's contents: the baseline is what
//! makes a restore possible.

mod logs;
mod lookup;
mod matching;
mod record;

pub use logs::{LogError, LogFiles, MAX_LOG_FILE_BYTES, read_log_dir, read_log_dir_within};
pub use lookup::{LOOKUP_PAUSE, LookupError, lookup_events};
pub use matching::{attribute, event_names};
pub use record::{NaclEvent, Record, RecordError};
