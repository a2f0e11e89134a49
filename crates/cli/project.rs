//! The project's `nacl-drift.toml`: found (or named with `--config`) and
//! checked before any command runs, so a bad file costs no API call.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::ValueEnum;
use nacl_drift_config::{Config, Date, discover};
use nacl_drift_model::sanitize;

use nacl_drift_printer::Printer;

/// The config named with `--config`, else the nearest trusted
/// `nacl-drift.toml` at or above the current folder, up to the repository
/// root or the home folder, else none. Each file passed over is a warning.
pub fn load(named: Option<&Path>, printer: &Printer) -> Result<Config> {
    let path = match named {
        Some(path) => path.to_owned(),
        None => {
            let here = std::env::current_dir().context("cannot tell the current folder")?;
            let home = std::env::var_os("HOME").map(PathBuf::from);
            let found = discover(&here, home.as_deref());
            for untrusted in &found.ignored {
                printer.warning(&untrusted.to_string());
            }
            match found.path {
                Some(path) => path,
                None => return Ok(Config::none()),
            }
        }
    };
    tracing::debug!(config = %path.display(), "reading the config file");
    Ok(Config::read(&path)?)
}

/// Says, before a command changes NACLs, which config and which baseline
/// folder steer it: a config found above the current folder is no
/// surprise then.
pub fn announce(printer: &Printer, config: &Config, baseline_dir: &Path) {
    let absolute = |path: &Path| {
        std::path::absolute(path)
            .unwrap_or_else(|_| path.to_owned())
            .display()
            .to_string()
    };
    let config = if config.path.as_os_str().is_empty() {
        "no config file".to_owned()
    } else {
        format!("config {}", absolute(&config.path))
    };
    printer.status(&format!(
        "using {config}, baselines {}",
        absolute(baseline_dir)
    ));
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
            sanitize::cut(&setting.value),
            formats.join(", ")
        )
    })
}

/// Warns of each exemption that has expired (what it accepted is reported
/// again), and of each that runs for more than a year from `today`.
pub fn warn_expired(printer: &mut Printer, config: &Config, today: Date) {
    for exemption in config.far_off(today) {
        printer.warning(&format!(
            "{}:{}: this exemption runs until {}, more than a year from now: review accepted risk at least yearly",
            config.path.display(),
            exemption.line,
            exemption.expires
        ));
    }
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
