//! The project's configuration file, `nacl-drift.toml`: defaults for the
//! flags a team always passes, drift and lint findings it has accepted
//! (each with a reason and an expiry date), and NACLs that nacl-drift
//! reports on but never changes.
//!
//! The file is named with `--config`, or found by walking up from the
//! current folder to the repository's root or the home folder, passing
//! over files another user could have written ([`discover`]). Everything in it is checked
//! when it is read: a bad file is one error naming the file and line,
//! before any AWS call ([`ConfigError`]).
//!
//! An exemption is modelled on Trivy's `.trivyignore.yaml` and Prowler's
//! mutelist: it must say why (`reason`) and until when (`expires`). On the
//! day after its expiry date it stops applying, and the finding is back.
//!
//! The accounts file of a run over many accounts ([`Accounts`]) is read
//! here too: it is the project's configuration of which accounts exist.
//!
//! Depends on: model, analysis, diff, terraform; no AWS SDK (the kinds of
//! drift and lint findings name what the config accepts; a state's
//! location is checked where it is read).

#![deny(missing_docs)]

mod accounts;
mod discovery;
mod exemption;
mod file;
mod pattern;

pub use accounts::{
    Account, AccountSettings, AccountSource, Accounts, AccountsError, SelectError, SelectionError,
};
pub use discovery::{CONFIG_FILE_NAME, Discovery, Distrust, Untrusted, discover};
pub use exemption::{Exemption, Kind, MonitorOnly, Subject};
pub use file::{Config, ConfigError, MAX_CONFIG_BYTES, Setting};
pub use pattern::Pattern;
pub use time::Date;

/// Today's date in UTC: the day exemptions are judged on.
pub fn today() -> Date {
    time::OffsetDateTime::now_utc().date()
}
