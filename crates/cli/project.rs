//! The project's `nacl-drift.toml`: found (or named with `--config`) and
//! checked before any command runs, so a bad file costs no API call.

use std::path::Path;

use anyhow::{Context, Result};
use clap::ValueEnum;
use nacl_drift_config::{Config, Date, find};

use crate::printer::Printer;

/// The config named with `--config`, else the nearest `nacl-drift.toml` at
/// or above the current folder, else none.
pub fn load(named: Option<&Path>) -> Result<Config> {
    let path = match named {
        Some(path) => path.to_owned(),
        None => {
            let here = std::env::current_dir().context("cannot tell the current folder")?;
            match find(&here) {
                Some(path) => path,
                None => return Ok(Config::none()),
            }
        }
    };
    tracing::debug!(config = %path.display(), "reading the config file");
    Ok(Config::read(&path)?)
}

/// `--format`, else the config's `format`, which must be one of this
/// command's.
pub fn format<F: ValueEnum>(flag: Option<F>, config: &Config, command: &str) -> Result<Option<F>> {
    if flag.is_some() {
        return Ok(flag);
    }
    let Some(setting) = &config.format else {
        return Ok(None);
    };
    F::from_str(&setting.value, false).map(Some).map_err(|_| {
        let formats: Vec<String> = F::value_variants()
            .iter()
            .filter_map(|variant| variant.to_possible_value())
            .map(|value| value.get_name().to_owned())
            .collect();
        anyhow::anyhow!(
            "{}:{}: `format = \"{}\"` is not a format of {command}: expected {}",
            config.path.display(),
            setting.line,
            setting.value,
            formats.join(", ")
        )
    })
}

/// Warns of each exemption that has expired: what it accepted is reported
/// again.
pub fn warn_expired(printer: &mut Printer, config: &Config, today: Date) {
    for exemption in config.expired(today) {
        printer.warning(&format!(
            "{}:{}: this exemption expired on {} (\"{}\"): what it accepted is reported again",
            config.path.display(),
            exemption.line,
            exemption.expires,
            exemption.reason
        ));
    }
}
