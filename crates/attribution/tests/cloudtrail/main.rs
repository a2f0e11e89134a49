//! Attribution from CloudTrail log files and from the records LookupEvents
//! returns: one test binary.

mod log_files;
mod looked_up;
mod support;
