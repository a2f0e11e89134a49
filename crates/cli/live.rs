//! `--live-file`: live network ACLs from `aws ec2 describe-network-acls`
//! exports instead of EC2, and for `--assets` the interfaces, security
//! groups, route tables and instances' names of `describe-network-interfaces`,
//! `describe-security-groups`, `describe-route-tables` and
//! `describe-instances` exports, each told apart by its shape.

use std::path::PathBuf;

use anyhow::{Result, bail};
use nacl_drift_aws::{AssetExports, read_exports};
use nacl_drift_model::{AccountId, ObservedAcl};
use nacl_drift_reconcile::Completeness;

/// The options of the commands that can read exports instead of EC2.
#[derive(clap::Args, Debug, Default)]
pub struct LiveFileArgs {
    /// Read an `aws ec2 describe-network-acls --output json` export instead
    /// of calling AWS; repeat for several. With --assets, also the exports
    /// of describe-network-interfaces, describe-security-groups,
    /// describe-route-tables (and describe-instances, for names).
    #[arg(long = "live-file", value_name = "FILE", conflicts_with_all = ["accounts", "org"])]
    pub live_files: Vec<PathBuf>,

    /// The exports are every NACL of each account-region they hold one of:
    /// what they lack there is gone. Without it, an export answers only for
    /// the VPCs, NACLs and subnets it holds (it may have been filtered).
    #[arg(long, requires = "live_files")]
    pub export_is_complete: bool,
}

impl LiveFileArgs {
    /// The settings these flags give.
    pub fn resolve(self) -> LiveFiles {
        let completeness = if self.export_is_complete {
            Completeness::ExportedRegions
        } else {
            Completeness::HeldOnly
        };
        LiveFiles {
            paths: self.live_files,
            completeness,
        }
    }
}

/// The exports to read instead of EC2 (none to read EC2), and what they
/// say of what they lack.
#[derive(Clone, Debug)]
pub struct LiveFiles {
    pub paths: Vec<PathBuf>,
    pub completeness: Completeness,
}

impl Default for LiveFiles {
    fn default() -> Self {
        LiveFiles {
            paths: Vec::new(),
            completeness: Completeness::HeldOnly,
        }
    }
}

impl LiveFiles {
    /// Whether live state comes from exports.
    pub fn any(&self) -> bool {
        !self.paths.is_empty()
    }

    /// The NACLs of every export, sorted by id, and what the asset exports
    /// hold. `accounts` (`--account`) names the account of exports without
    /// `OwnerId` (older AWS CLIs): at most one, and it must match any
    /// `OwnerId` there is.
    pub fn read(&self, accounts: &[AccountId]) -> Result<(Vec<ObservedAcl>, AssetExports)> {
        let account = match accounts {
            [] => None,
            [account] => Some(account),
            _ => bail!("--live-file takes at most one --account: the account of the exports"),
        };
        Ok(read_exports(&self.paths, account)?)
    }
}
