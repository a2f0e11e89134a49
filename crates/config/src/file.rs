//! Reading `nacl-drift.toml`, and finding it.

use std::path::{Path, PathBuf};

use nacl_drift_analysis::Severity;
use nacl_drift_model::{Cidr, Direction, RuleNumber};
use serde::Deserialize;
use time::{Date, Month};
use toml::Spanned;
use toml::value::Datetime;

use crate::exemption::{Exemption, Kind, MonitorOnly, Scope, Subject};
use crate::pattern::Pattern;

/// The name the config file is looked for under.
pub const CONFIG_FILE_NAME: &str = "nacl-drift.toml";

/// A config file that could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read the config file {}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The file is not a valid config.
    #[error("{}:{line}: {message}", path.display())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// The line of the problem (1-based).
        line: usize,
        /// What is wrong.
        message: String,
    },
}

/// A value from the config file, with the line it is on, for errors that
/// only its user can detect (a format one command does not have).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Setting<T> {
    /// The value.
    pub value: T,
    /// Its line in the file.
    pub line: usize,
}

/// A parsed, checked `nacl-drift.toml`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// The file it was read from.
    pub path: PathBuf,
    /// The baseline folder, relative to the config file's folder.
    pub baseline_dir: Option<PathBuf>,
    /// The default `--format`, checked by each command.
    pub format: Option<Setting<String>>,
    /// The default `--fail-on`.
    pub fail_on: Option<Severity>,
    /// Accepted drift and findings.
    pub accept: Vec<Exemption>,
    /// NACLs to report on but never change.
    pub monitor_only: Vec<MonitorOnly>,
}

impl Config {
    /// The config of a project with no config file.
    pub fn none() -> Config {
        Config {
            path: PathBuf::new(),
            baseline_dir: None,
            format: None,
            fail_on: None,
            accept: Vec::new(),
            monitor_only: Vec::new(),
        }
    }

    /// Reads and checks the config file at `path`.
    pub fn read(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        Config::parse(path, &text)
    }

    /// Checks `text`, the content of the config file at `path`.
    pub fn parse(path: &Path, text: &str) -> Result<Config, ConfigError> {
        let line_of = |offset: usize| text[..offset.min(text.len())].matches('\n').count() + 1;
        let invalid = |offset: usize, message: String| ConfigError::Invalid {
            path: path.to_owned(),
            line: line_of(offset),
            message,
        };
        let raw: RawConfig = toml::from_str(text).map_err(|error| {
            let offset = error.span().map_or(0, |span| span.start);
            invalid(offset, error.message().trim_end().to_owned())
        })?;
        let at = |spanned_start: usize| move |message: String| invalid(spanned_start, message);

        let folder = path.parent().unwrap_or(Path::new(""));
        let fail_on = match raw.fail_on {
            Some(fail_on) => Some(
                fail_on
                    .get_ref()
                    .parse::<Severity>()
                    .map_err(at(fail_on.span().start))?,
            ),
            None => None,
        };
        let format = raw.format.map(|format| Setting {
            line: line_of(format.span().start),
            value: format.into_inner(),
        });
        // Each [[table]], checked, with its line.
        fn checked<R, T>(
            tables: Vec<Spanned<R>>,
            check: fn(R, usize) -> Result<T, String>,
            line_of: impl Fn(usize) -> usize,
            invalid: impl Fn(usize, String) -> ConfigError,
        ) -> Result<Vec<T>, ConfigError> {
            tables
                .into_iter()
                .map(|table| {
                    let start = table.span().start;
                    check(table.into_inner(), line_of(start))
                        .map_err(|message| invalid(start, message))
                })
                .collect()
        }
        let accept = checked(raw.accept, exemption, line_of, invalid)?;
        let monitor_only = checked(raw.monitor_only, monitor_only, line_of, invalid)?;
        Ok(Config {
            path: path.to_owned(),
            baseline_dir: raw.baseline_dir.map(|dir| folder.join(dir)),
            format,
            fail_on,
            accept,
            monitor_only,
        })
    }

    /// The exemption that accepts `subject` on `today`, if any.
    pub fn accepting(&self, subject: &Subject<'_>, today: Date) -> Option<&Exemption> {
        self.accept
            .iter()
            .find(|exemption| !exemption.expired(today) && exemption.covers(subject))
    }

    /// The exemptions that have expired by `today`: their findings are
    /// reported again, and the user should hear why.
    pub fn expired(&self, today: Date) -> impl Iterator<Item = &Exemption> {
        self.accept
            .iter()
            .filter(move |exemption| exemption.expired(today))
    }

    /// The monitor-only rule that covers `subject`'s NACL, if any.
    pub fn monitor_only(&self, subject: &Subject<'_>) -> Option<&MonitorOnly> {
        self.monitor_only.iter().find(|rule| rule.covers(subject))
    }
}

/// The config file that applies in `folder`: `nacl-drift.toml` there or in
/// the nearest folder above it.
pub fn find(folder: &Path) -> Option<PathBuf> {
    folder
        .ancestors()
        .map(|folder| folder.join(CONFIG_FILE_NAME))
        .find(|candidate| candidate.is_file())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    baseline_dir: Option<PathBuf>,
    format: Option<Spanned<String>>,
    fail_on: Option<Spanned<String>>,
    #[serde(default)]
    accept: Vec<Spanned<RawExemption>>,
    #[serde(default)]
    monitor_only: Vec<Spanned<RawMonitorOnly>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExemption {
    account: Option<String>,
    region: Option<String>,
    vpc_id: Option<String>,
    network_acl: Option<String>,
    kind: Option<String>,
    direction: Option<Direction>,
    rule_number: Option<i64>,
    cidr: Option<String>,
    reason: Option<String>,
    expires: Option<Datetime>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMonitorOnly {
    account: Option<String>,
    region: Option<String>,
    vpc_id: Option<String>,
    network_acl: Option<String>,
    reason: Option<String>,
}

fn scope(
    account: Option<String>,
    region: Option<String>,
    vpc_id: Option<String>,
    network_acl: Option<String>,
) -> Result<Scope, String> {
    let pattern = |text: Option<String>| text.as_deref().map(Pattern::new).transpose();
    Ok(Scope {
        account: pattern(account)?,
        region: pattern(region)?,
        vpc_id: pattern(vpc_id)?,
        network_acl: pattern(network_acl)?,
    })
}

fn reason(reason: Option<String>, what: &str) -> Result<String, String> {
    match reason {
        Some(reason) if !reason.trim().is_empty() => Ok(reason),
        _ => Err(format!(
            "{what} has no `reason`: say why, for the next person to read it"
        )),
    }
}

fn exemption(raw: RawExemption, line: usize) -> Result<Exemption, String> {
    let reason = reason(raw.reason, "this [[accept]]")?;
    if raw.kind.is_none() && raw.network_acl.is_none() {
        return Err(
            "this [[accept]] names neither a `kind` nor a `network_acl`, so it would accept everything"
                .to_owned(),
        );
    }
    let expires = match raw.expires {
        None => {
            return Err(
                "this [[accept]] has no `expires` date (e.g. expires = 2027-03-31): every exemption ends"
                    .to_owned(),
            );
        }
        Some(expires) => date(&expires)?,
    };
    let cidr = raw
        .cidr
        .as_deref()
        .map(|text| Cidr::canonicalize(text).map_err(|error| format!("`cidr`: {error}")))
        .transpose()?;
    Ok(Exemption {
        scope: scope(raw.account, raw.region, raw.vpc_id, raw.network_acl)?,
        kind: raw.kind.as_deref().map(Kind::parse).transpose()?,
        direction: raw.direction,
        rule_number: raw
            .rule_number
            .map(|number| {
                RuleNumber::new(number).map_err(|error| format!("`rule_number`: {error}"))
            })
            .transpose()?,
        cidr,
        reason,
        expires,
        line,
    })
}

fn monitor_only(raw: RawMonitorOnly, line: usize) -> Result<MonitorOnly, String> {
    let reason = reason(raw.reason, "this [[monitor_only]]")?;
    if raw.network_acl.is_none() && raw.vpc_id.is_none() {
        return Err(
            "this [[monitor_only]] names neither a `network_acl` nor a `vpc_id`".to_owned(),
        );
    }
    Ok(MonitorOnly {
        scope: scope(raw.account, raw.region, raw.vpc_id, raw.network_acl)?,
        reason,
        line,
    })
}

/// A TOML date (`2027-03-31`), which must have no time of day.
fn date(value: &Datetime) -> Result<Date, String> {
    let (Some(date), None) = (value.date, value.time) else {
        return Err(format!(
            "`expires = {value}` must be a date, like 2027-03-31"
        ));
    };
    Month::try_from(date.month)
        .ok()
        .and_then(|month| Date::from_calendar_date(i32::from(date.year), month, date.day).ok())
        .ok_or_else(|| format!("`expires = {value}` is not a date"))
}
