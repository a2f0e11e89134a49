//! Attribution from CloudTrail log files and LookupEvents: one test binary,
//! so the AWS SDK is linked once.

mod log_files;
mod lookup_events;
mod support;
