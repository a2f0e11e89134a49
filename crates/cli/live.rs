//! `--live-file` and `--account`: live network ACLs from
//! `aws ec2 describe-network-acls` exports instead of EC2.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use nacl_drift_aws::parse_export;
use nacl_drift_model::{AccountId, ObservedAcl, merge_sources};

/// The options of the commands that can read exports instead of EC2.
#[derive(clap::Args, Debug, Default)]
pub struct LiveFileArgs {
    /// Read an `aws ec2 describe-network-acls --output json` export instead
    /// of calling AWS; repeat for several.
    #[arg(long = "live-file", value_name = "FILE")]
    pub live_files: Vec<PathBuf>,

    /// The account the exports belong to, for exports without `OwnerId`
    /// (older AWS CLIs); it must match any `OwnerId` that is there.
    #[arg(long, value_name = "ACCOUNT", requires = "live_files")]
    pub account: Option<AccountId>,
}

impl LiveFileArgs {
    /// The NACLs of every export, sorted by id. A NACL in two files (or
    /// twice in one) must have the same content in both.
    pub fn read(&self) -> Result<Vec<ObservedAcl>> {
        let mut sources = Vec::new();
        for path in &self.live_files {
            sources.push((path.display().to_string(), self.read_export(path)?));
        }
        merge_sources(sources).context("unusable live files")
    }

    fn read_export(&self, path: &Path) -> Result<Vec<ObservedAcl>> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the live file {}", path.display()))?;
        parse_export(&text, self.account.as_ref())
            .with_context(|| format!("{}: unusable live file", path.display()))
    }
}
