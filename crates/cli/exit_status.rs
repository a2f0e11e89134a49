//! The process exit codes, following Terraform's `-detailed-exitcode`.

use std::process::ExitCode;

/// How a command ended. The numbers are part of nacl-drift's interface.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitStatus {
    /// Done, and nothing to report (in sync, valid).
    Success = 0,
    /// An error: bad input, an AWS call that failed, a refused confirmation.
    Failure = 1,
    /// Something found to act on: drift (the live state differs from the
    /// baselines), a lint finding at or above `--fail-on`, a doctor's
    /// warning.
    Found = 2,
}

impl From<ExitStatus> for ExitCode {
    fn from(status: ExitStatus) -> Self {
        ExitCode::from(status as u8)
    }
}
