//! Logs to stderr through `tracing`. The AWS SDK's crates stay quiet unless
//! asked for with `-vv`: what they warn of (a role that cannot be assumed)
//! nacl-drift reports itself, with the account and AWS's error code.

use tracing_subscriber::EnvFilter;

pub fn init(verbosity: u8) {
    let default = match verbosity {
        0 => "warn,aws_config=error",
        1 => "warn,aws_config=error,nacl_drift=debug",
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
