//! nacl-drift's integration tests: the built binary, run as a process,
//! against the local EC2 emulator, exports, fixtures and golden files.
//!
//! One test binary, as ripgrep has: every module shares [`support`], and
//! the AWS SDK (which `support` uses to seed the emulator) is linked once.

mod accounts;
mod alerts;
mod apply;
mod assets;
mod attribution;
mod cache;
mod completions;
mod config;
mod diff;
mod diff_formats;
mod docs;
mod doctor;
mod first_run;
mod first_week;
mod github;
mod iam;
mod lambda;
mod layout;
mod lint;
mod org_guard;
mod partial;
mod release;
mod sarif;
mod snapshot;
mod support;
mod terraform;
mod timeline;
mod trust;
mod validate;
mod watch;
mod watch_queue;
