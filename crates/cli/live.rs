//! `--live-file`: live network ACLs from `aws ec2 describe-network-acls`
//! exports instead of EC2.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use nacl_drift_aws::parse_export;
use nacl_drift_model::{AccountId, ObservedAcl, merge_sources};

/// The options of the commands that can read exports instead of EC2.
#[derive(clap::Args, Debug, Default)]
pub struct LiveFileArgs {
    /// Read an `aws ec2 describe-network-acls --output json` export instead
    /// of calling AWS; repeat for several.
    #[arg(long = "live-file", value_name = "FILE", conflicts_with_all = ["accounts", "org"])]
    pub live_files: Vec<PathBuf>,
}

impl LiveFileArgs {
    /// The settings these flags give.
    pub fn resolve(self) -> LiveFiles {
        LiveFiles(self.live_files)
    }
}

/// The exports to read instead of EC2; none to read EC2.
#[derive(Clone, Debug, Default)]
pub struct LiveFiles(pub Vec<PathBuf>);

impl LiveFiles {
    /// Whether live state comes from exports.
    pub fn any(&self) -> bool {
        !self.0.is_empty()
    }

    /// The NACLs of every export, sorted by id. A NACL in two files (or
    /// twice in one) must have the same content in both. `accounts`
    /// (`--account`) names the account of exports without `OwnerId` (older
    /// AWS CLIs): at most one, and it must match any `OwnerId` there is.
    pub fn read(&self, accounts: &[AccountId]) -> Result<Vec<ObservedAcl>> {
        let account = match accounts {
            [] => None,
            [account] => Some(account),
            _ => bail!("--live-file takes at most one --account: the account of the exports"),
        };
        let mut sources = Vec::new();
        for path in &self.0 {
            sources.push((path.display().to_string(), read_export(path, account)?));
        }
        merge_sources(sources).context("unusable live files")
    }
}

fn read_export(path: &Path, account: Option<&AccountId>) -> Result<Vec<ObservedAcl>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the live file {}", path.display()))?;
    parse_export(&text, account).with_context(|| format!("{}: unusable live file", path.display()))
}
