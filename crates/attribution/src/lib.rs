//! Who changed the NACL, when, and from where: the CloudTrail management
//! event behind each drift.
//!
//! Records come through an [`EventSource`]: the log files CloudTrail
//! delivers to S3 ([`LogFolder`], [`read_log_dir`]) or `LookupEvents`,
//! which the AWS edge calls and whose records [`events_from_lookup`] reads. [`attribute`] picks for each
//! change the most recent successful event that matches it. Pure: no AWS
//! dependency.
//!
//! A `DeleteNetworkAclEntry` record holds only the NACL, the rule number and
//! the direction, never the deleted rule's contents: the baseline is what
//! makes a restore possible.
//!
//! The guard reads the EventBridge events it is handed with
//! [`read_delivery`]: a NACL call names its [`Target`], where to reconcile;
//! [`pattern_gaps`] says what an EventBridge rule's pattern would not send it.
//!
//! Depends on: model, diff; no AWS SDK. The edge calls LookupEvents; this
//! crate reads what it returns.

#![deny(missing_docs)]

mod delivery;
mod interfaces;
mod logs;
mod matching;
mod pattern;
mod record;
mod since;
mod source;

pub use delivery::{
    Delivery, DeliveryError, MAX_EVENT_BYTES, Target, read_delivery, read_delivery_value,
};
pub use interfaces::{InterfaceChange, InterfaceEvent};
pub use logs::{LogError, LogFiles, MAX_LOG_FILE_BYTES, read_log_dir, read_log_dir_within};
pub use matching::{attribute, attribute_made_by, event_names};
pub use pattern::{PatternGap, pattern_gaps};
pub use record::{BadEvent, NaclEvent, Record, RecordError, events_from_lookup};
pub use since::{Since, now};
pub use source::{EventSource, EventsError, Finding, FoundEvents, LogFolder};
