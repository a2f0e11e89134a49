//! Reading `nacl-drift.toml`, and finding it.

use std::path::{Path, PathBuf};

use nacl_drift_analysis::Severity;
use nacl_drift_model::{Cidr, Direction, RuleNumber, read_bounded};
use nacl_drift_terraform::StateLocation;
use serde::Deserialize;
use time::{Date, Month};
use toml::Spanned;
use toml::value::Datetime;

use crate::exemption::{Exemption, Kind, MonitorOnly, NaclPatterns, Subject};
use crate::pattern::Pattern;

/// The largest config file read: 4 MiB hold some 50,000 exemptions.
pub const MAX_CONFIG_BYTES: usize = 4 * 1024 * 1024;

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
    /// `[assets] enabled = true`: `--assets` by default.
    pub assets: bool,
    /// The accounts file, relative to the config file's folder: the
    /// accounts of every run that names none (`--accounts` by default).
    pub accounts: Option<PathBuf>,
    /// `[terraform] states`: the Terraform or OpenTofu states whose NACLs
    /// are judged against them (`--terraform-state` by default), a path
    /// relative to the config file's folder, or `s3://bucket/key`.
    pub terraform_states: Vec<StateLocation>,
    /// `[terraform] lock_table`: the S3 backend's DynamoDB lock table
    /// (`--terraform-lock-table` by default).
    pub terraform_lock_table: Option<String>,
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
            accounts: None,
            assets: false,
            terraform_states: Vec::new(),
            terraform_lock_table: None,
        }
    }

    /// Reads and checks the config file at `path`, of at most
    /// [`MAX_CONFIG_BYTES`].
    pub fn read(path: &Path) -> Result<Config, ConfigError> {
        let text = read_bounded(path, MAX_CONFIG_BYTES).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        Config::parse(path, &text)
    }

    /// Checks `text`, the content of the config file at `path`.
    pub fn parse(path: &Path, text: &str) -> Result<Config, ConfigError> {
        // The offset of each line's end, counted once: a file of many
        // tables asks for many lines.
        let line_ends: Vec<usize> = text.match_indices('\n').map(|(at, _)| at).collect();
        let line_of = |offset: usize| line_ends.partition_point(|&end| end < offset) + 1;
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
        let (terraform_states, terraform_lock_table) = match raw.terraform {
            Some(terraform) => {
                let start = terraform.span().start;
                let terraform = terraform.into_inner();
                let states = terraform
                    .states
                    .iter()
                    .map(|state| match state.parse::<StateLocation>() {
                        Ok(StateLocation::Local(path)) => {
                            Ok(StateLocation::Local(folder.join(path)))
                        }
                        located => located.map_err(|error| invalid(start, error.to_string())),
                    })
                    .collect::<Result<_, _>>()?;
                (states, terraform.lock_table)
            }
            None => (Vec::new(), None),
        };
        Ok(Config {
            path: path.to_owned(),
            baseline_dir: raw.baseline_dir.map(|dir| folder.join(dir)),
            format,
            fail_on,
            accept,
            monitor_only,
            assets: raw.assets.is_some_and(|assets| assets.enabled),
            accounts: raw.accounts.map(|file| folder.join(file)),
            terraform_states,
            terraform_lock_table,
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

    /// The exemptions that run for more than a year from `today`.
    pub fn far_off(&self, today: Date) -> impl Iterator<Item = &Exemption> {
        let year_ahead = today.replace_year(today.year() + 1).unwrap_or(
            // 29 February: a year ahead is 1 March.
            today
                .next_day()
                .unwrap_or(today)
                .replace_year(today.year() + 1)
                .unwrap_or(today),
        );
        self.accept
            .iter()
            .filter(move |exemption| exemption.expires > year_ahead)
    }

    /// The monitor-only rule that covers `subject`'s NACL, if any.
    pub fn monitor_only(&self, subject: &Subject<'_>) -> Option<&MonitorOnly> {
        self.monitor_only.iter().find(|rule| rule.covers(subject))
    }
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
    assets: Option<RawAssets>,
    accounts: Option<PathBuf>,
    terraform: Option<Spanned<RawTerraform>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTerraform {
    #[serde(default)]
    states: Vec<String>,
    lock_table: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAssets {
    #[serde(default)]
    enabled: bool,
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
    is_default: Option<bool>,
    unused: Option<bool>,
    /// Trivy's `.trivyignore.yaml` calls it `statement`.
    #[serde(alias = "statement")]
    reason: Option<String>,
    /// Trivy's `.trivyignore.yaml` calls it `expired_at`.
    #[serde(alias = "expired_at")]
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

fn nacl_patterns(
    account: Option<String>,
    region: Option<String>,
    vpc_id: Option<String>,
    network_acl: Option<String>,
) -> Result<NaclPatterns, String> {
    let pattern = |text: Option<String>| text.as_deref().map(Pattern::new).transpose();
    Ok(NaclPatterns {
        account: pattern(account)?,
        region: pattern(region)?,
        vpc_id: pattern(vpc_id)?,
        network_acl: pattern(network_acl)?,
    })
}

/// Ids of every first and last hex digit and of both lengths: a glob that
/// matches them all names no NACL (or VPC) in particular.
const ACL_PROBES: [&str; 6] = [
    "acl-00000000",
    "acl-ffffffff",
    "acl-5a5a5a5a",
    "acl-0123456789abcdef0",
    "acl-fedcba9876543210f",
    "acl-a0b1c2d3e4f506172",
];
const VPC_PROBES: [&str; 6] = [
    "vpc-00000000",
    "vpc-ffffffff",
    "vpc-5a5a5a5a",
    "vpc-0123456789abcdef0",
    "vpc-fedcba9876543210f",
    "vpc-a0b1c2d3e4f506172",
];

/// Whether `pattern` is set and names some ids, not every one of `probes`.
fn names_some(pattern: Option<&Pattern>, probes: &[&str]) -> bool {
    pattern.is_some_and(|pattern| !pattern.matches_all(probes))
}

/// Whether `c` shows nothing: white space, a control, or a format
/// character (zero-width spaces and joiners, bidi controls, the word
/// joiner, the byte order mark, Hangul fillers, tags).
fn invisible(c: char) -> bool {
    c.is_whitespace()
        || c.is_control()
        || matches!(
            c,
            '\u{00AD}'
                | '\u{034F}'
                | '\u{061C}'
                | '\u{115F}'
                | '\u{1160}'
                | '\u{17B4}'
                | '\u{17B5}'
                | '\u{180E}'
                | '\u{200B}'..='\u{200F}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2060}'..='\u{206F}'
                | '\u{3164}'
                | '\u{FEFF}'
                | '\u{FFA0}'
                | '\u{E0000}'..='\u{E007F}'
        )
}

fn reason(reason: Option<String>, what: &str) -> Result<String, String> {
    match reason {
        Some(reason) if !reason.chars().all(invisible) => Ok(reason),
        _ => Err(format!(
            "{what} has no `reason` with visible characters: say why, for the next person to read it"
        )),
    }
}

fn exemption(raw: RawExemption, line: usize) -> Result<Exemption, String> {
    let reason = reason(raw.reason, "this [[accept]]")?;
    let nacls = nacl_patterns(raw.account, raw.region, raw.vpc_id, raw.network_acl)?;
    if raw.kind.is_none()
        && raw.is_default.is_none()
        && raw.unused.is_none()
        && !names_some(nacls.network_acl.as_ref(), &ACL_PROBES)
    {
        return Err(
            "this [[accept]] names neither a `kind`, nor `is_default`, nor `unused`, nor a `network_acl` (a glob that matches every NACL names none), so it would accept everything"
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
        nacls,
        kind: raw.kind.as_deref().map(Kind::parse).transpose()?,
        direction: raw.direction,
        rule_number: raw
            .rule_number
            .map(|number| {
                RuleNumber::new(number).map_err(|error| format!("`rule_number`: {error}"))
            })
            .transpose()?,
        cidr,
        is_default: raw.is_default,
        unused: raw.unused,
        reason,
        expires,
        line,
    })
}

fn monitor_only(raw: RawMonitorOnly, line: usize) -> Result<MonitorOnly, String> {
    let reason = reason(raw.reason, "this [[monitor_only]]")?;
    let nacls = nacl_patterns(raw.account, raw.region, raw.vpc_id, raw.network_acl)?;
    if !names_some(nacls.network_acl.as_ref(), &ACL_PROBES)
        && !names_some(nacls.vpc_id.as_ref(), &VPC_PROBES)
    {
        return Err(
            "this [[monitor_only]] names neither a `network_acl` nor a `vpc_id` (a glob that matches every one names none)".to_owned(),
        );
    }
    Ok(MonitorOnly {
        nacls,
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

#[cfg(test)]
mod tests {
    use super::*;
    use nacl_drift_analysis::FindingKind;
    use nacl_drift_model::{AccountId, Cidr, EntryKey, NetworkAclId, Region, VpcId};

    /// Not `time::macros::date!`: its feature would give `time`, and the
    /// AWS SDK above it, other features under test than in a build.
    fn calendar(year: i32, month: u8, day: u8) -> Date {
        Month::try_from(month)
            .ok()
            .and_then(|month| Date::from_calendar_date(year, month, day).ok())
            .expect("a date")
    }

    fn config(text: &str) -> Config {
        Config::parse(Path::new("nacl-drift.toml"), text).expect("a valid config")
    }

    #[test]
    fn terraform_states_are_relative_to_the_config_file() {
        let config = Config::parse(
            Path::new("infra/nacl-drift.toml"),
            "[terraform]\nstates = [\"network/terraform.tfstate\", \"/abs/plan.json\", \"s3://acme-tfstate/env:/prod/network.tfstate\"]\nlock_table = \"terraform-locks\"\n",
        )
        .expect("a valid config");
        let states: Vec<String> = config
            .terraform_states
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            states,
            [
                "infra/network/terraform.tfstate",
                "/abs/plan.json",
                "s3://acme-tfstate/env:/prod/network.tfstate"
            ]
        );
        assert_eq!(
            config.terraform_lock_table.as_deref(),
            Some("terraform-locks")
        );
        let bad = Config::parse(
            Path::new("nacl-drift.toml"),
            "\n[terraform]\nstates = [\"s3://Acme/terraform.tfstate\"]\n",
        )
        .expect_err("a bad bucket")
        .to_string();
        assert!(
            bad.starts_with("nacl-drift.toml:2: Acme is not an S3 bucket name"),
            "{bad}"
        );
        let unknown = Config::parse(Path::new("nacl-drift.toml"), "[terraform]\nstate = []\n")
            .expect_err("an unknown key")
            .to_string();
        assert!(unknown.contains("unknown field `state`"), "{unknown}");
    }

    #[test]
    fn an_exemption_holds_through_its_expiry_date_and_matches_its_scope() {
        // Trivy's names for the reason and the date work too.
        let config = config(
            "[[accept]]\nnetwork_acl = \"acl-0web*\"\nregion = \"eu-*\"\nkind = \"ephemeral_ports_open\"\ncidr = \"0.0.0.0/0\"\nstatement = \"Return traffic\"\nexpired_at = 2027-03-31\n",
        );
        let (account, vpc): (AccountId, VpcId) = (
            "111122223333".parse().expect("account"),
            "vpc-0a".parse().expect("vpc"),
        );
        let region = |name: &str| -> Region { name.parse().expect("region") };
        let acl = |id: &str| -> NetworkAclId { id.parse().expect("acl") };
        let (eu, us) = (region("eu-west-1"), region("us-east-1"));
        let (web, db) = (acl("acl-0web1"), acl("acl-0db"));
        let subject = |region, network_acl_id, cidr: &str| Subject {
            account: &account,
            region,
            vpc_id: &vpc,
            network_acl_id,
            kind: Kind::Finding(FindingKind::EphemeralPortsOpen),
            key: Some(EntryKey {
                direction: Direction::Ingress,
                rule_number: RuleNumber::new(140).expect("rule"),
            }),
            cidrs: vec![Cidr::canonicalize(cidr).expect("cidr")],
            is_default: Some(false),
            unused: Some(false),
        };
        let on = |day| {
            config
                .accepting(&subject(&eu, &web, "0.0.0.0/0"), day)
                .is_some()
        };
        assert!(on(calendar(2027, 3, 31)), "the last day");
        assert!(!on(calendar(2027, 4, 1)), "the day after");
        assert_eq!(config.expired(calendar(2027, 4, 1)).count(), 1);
        let today = calendar(2026, 11, 30);
        assert!(
            config
                .accepting(&subject(&us, &web, "0.0.0.0/0"), today)
                .is_none()
        );
        assert!(
            config
                .accepting(&subject(&eu, &db, "0.0.0.0/0"), today)
                .is_none()
        );
        assert!(
            config
                .accepting(&subject(&eu, &web, "::/0"), today)
                .is_none()
        );
        assert_eq!(config.accept[0].reason, "Return traffic");
        assert_eq!(config.far_off(calendar(2026, 3, 30)).count(), 1);
        assert_eq!(config.far_off(calendar(2026, 3, 31)).count(), 0);
        assert_eq!(config.far_off(calendar(2024, 2, 29)).count(), 1);
    }

    #[test]
    fn dates_globs_rules_and_cidrs_are_checked() {
        for (text, message) in [
            (
                "[[accept]]\nkind = \"tags_changed\"\nreason = \"r\"\nexpires = 2027-02-30\n",
                "4: invalid date, expected day between 01 and 28",
            ),
            (
                "[[accept]]\nkind = \"tags_changed\"\nreason = \"r\"\nexpires = 2027-02-03T10:00:00Z\n",
                "1: `expires = 2027-02-03T10:00:00Z` must be a date",
            ),
            (
                "[[accept]]\nnetwork_acl = \"acl-[\"\nreason = \"r\"\nexpires = 2027-02-03\n",
                "1: `acl-[` is not a valid glob",
            ),
            (
                "[[accept]]\nkind = \"entry_added\"\nrule_number = 32767\nreason = \"r\"\nexpires = 2027-02-03\n",
                "1: `rule_number`",
            ),
            (
                "[[accept]]\nkind = \"entry_added\"\ncidr = \"10.0.0.0/33\"\nreason = \"r\"\nexpires = 2027-02-03\n",
                "1: `cidr`",
            ),
            (
                "\n\n[[accept]]\nkind = \"entry_added\"\nreason = \"  \"\nexpires = 2027-02-03\n",
                "3: this [[accept]] has no `reason`",
            ),
            (
                "[[accept]]\nkind = \"entry_added\"\nreason = \"\u{200B}\"\nexpires = 2027-02-03\n",
                "1: this [[accept]] has no `reason` with visible characters",
            ),
            (
                "[[accept]]\nnetwork_acl = \"*\"\nreason = \"r\"\nexpires = 2027-02-03\n",
                "1: this [[accept]] names neither a `kind`, nor `is_default`, nor `unused`, nor a `network_acl`",
            ),
            (
                "[[accept]]\nnetwork_acl = \"acl-*\"\nreason = \"r\"\nexpires = 2027-02-03\n",
                "1: this [[accept]] names neither",
            ),
            (
                "[[accept]]\nnetwork_acl = \"[!z]*\"\nreason = \"r\"\nexpires = 2027-02-03\n",
                "1: this [[accept]] names neither",
            ),
            (
                "[[monitor_only]]\nvpc_id = \"vpc-*\"\nreason = \"r\"\n",
                "1: this [[monitor_only]] names neither",
            ),
        ] {
            let error = Config::parse(Path::new("nacl-drift.toml"), text)
                .expect_err(text)
                .to_string();
            assert!(
                error.starts_with(&format!("nacl-drift.toml:{message}")),
                "{text:?}: {error}"
            );
        }
    }
}
