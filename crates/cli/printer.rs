//! Errors, as the binary reports them: one line, then one line per cause.
//! Everything else meant for people goes through `nacl_drift_printer`.

use std::io::{self, Write};

use nacl_drift_model::sanitize;

/// Prints an error as one line, then one line per cause.
pub fn print_error(error: &anyhow::Error) {
    let mut stderr = io::stderr().lock();
    let _ = writeln!(stderr, "error: {}", sanitize::shown(&error.to_string()));
    for cause in error.chain().skip(1) {
        let _ = writeln!(
            stderr,
            "  caused by: {}",
            sanitize::shown(&cause.to_string())
        );
    }
}
