//! Attribution from CloudTrail log files and from the records LookupEvents
//! returns, the events delivered to the guard, the EventBridge pattern's
//! gaps and the interfaces made and deleted: one test binary.

mod delivery;
mod interfaces;
mod log_files;
mod looked_up;
mod pattern;
mod support;
