//! Logs to stderr through `tracing`. By default only nacl-drift's own
//! warnings: what the AWS SDK's crates warn of (an instance metadata
//! service that does not answer, a role that cannot be assumed),
//! nacl-drift reports itself, in one line with the fix. `-v` adds
//! nacl-drift's debug logs and the SDK's warnings, `-vv` everything.

use tracing_subscriber::EnvFilter;

pub fn init(verbosity: u8) {
    let default = match verbosity {
        0 => "off,nacl_drift=warn",
        1 => "warn,nacl_drift=debug",
        2 => "debug",
        _ => "trace",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(verbosity > 1)
        .without_time()
        .init();
}
