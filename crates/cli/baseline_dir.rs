//! `--baseline-dir`, which every command takes, `--terraform-state`, the
//! second source of intent of the commands that compare, and `--region`,
//! which narrows the commands that work on the baselines to some of their
//! regions.

use std::path::PathBuf;

use nacl_drift_config::Config;
use nacl_drift_model::{ParseCache, Region};
use nacl_drift_reconcile::{BaselineFolder, TerraformStates, WithTerraform};
use nacl_drift_terraform::StateLocation;

use crate::aws::Aws;

/// The folder of baseline files: `<account>/<region>/<vpc-id>.yaml` below it.
#[derive(clap::Args, Debug)]
pub struct BaselineDir {
    /// The folder that holds the baselines [default: the config file's
    /// `baseline_dir`, else baselines].
    #[arg(
        long = "baseline-dir",
        value_name = "DIR",
        env = "NACL_DRIFT_BASELINE_DIR"
    )]
    path: Option<PathBuf>,
}

impl BaselineDir {
    /// The flag's folder, else the config file's (relative to the config
    /// file), else `baselines`.
    pub fn resolve(&self, config: &Config) -> PathBuf {
        self.resolve_or(config, PathBuf::from("baselines"))
    }

    /// The flag's folder, else the config file's, else `default`.
    pub fn resolve_or(&self, config: &Config, default: PathBuf) -> PathBuf {
        self.path
            .clone()
            .or_else(|| config.baseline_dir.clone())
            .unwrap_or(default)
    }
}

/// `--region` of the commands that work on existing baselines (diff,
/// apply, lint, watch, doctor).
#[derive(clap::Args, Debug, Default)]
pub struct RegionFilter {
    /// Only the baselines of this region; repeat for several [default:
    /// every region of the baselines].
    #[arg(long = "region", value_name = "REGION")]
    pub regions: Vec<Region>,
}

/// Where the intent is: the baseline folder, and the Terraform or OpenTofu
/// states whose NACLs are judged against them, and which of its regions
/// (diff, apply, watch, lambda, doctor, export, timeline).
#[derive(clap::Args, Debug)]
pub struct IntentArgs {
    #[command(flatten)]
    baselines: BaselineDir,

    /// A Terraform or OpenTofu state (terraform.tfstate, `terraform show
    /// -json`, or a plan's `terraform show -json PLAN`), or the S3
    /// backend's s3://BUCKET/KEY (a workspace's: s3://BUCKET/env:/NAME/KEY),
    /// whose NACLs are judged against it, and every other NACL against the
    /// baselines; repeat for several [default: the config file's
    /// `[terraform] states`].
    #[arg(
        long = "terraform-state",
        value_name = "PATH|s3://BUCKET/KEY",
        env = "NACL_DRIFT_TERRAFORM_STATE",
        value_delimiter = ','
    )]
    terraform_states: Vec<StateLocation>,

    /// The S3 backend's DynamoDB lock table, whose items lock its states as
    /// their `.tflock`s do [default: the config file's `[terraform] lock_table`].
    #[arg(
        long = "terraform-lock-table",
        value_name = "TABLE",
        env = "NACL_DRIFT_TERRAFORM_LOCK_TABLE"
    )]
    terraform_lock_table: Option<String>,

    /// Parse every baseline afresh: neither read nor write the cache of
    /// parsed baselines (NACL_DRIFT_CACHE_DIR, else ~/.cache/nacl-drift).
    #[arg(long, env = "NACL_DRIFT_NO_CACHE")]
    no_cache: bool,

    /// The regions of the intent to work on.
    #[command(flatten)]
    pub regions: RegionFilter,
}

impl IntentArgs {
    /// The baselines of the flag's folder, else the config file's, else
    /// `baselines`, with the flags' states, else the config file's; states
    /// in S3 are read as `aws` says.
    pub fn resolve(&self, config: &Config, aws: &Aws) -> WithTerraform {
        self.resolve_or(config, aws, PathBuf::from("baselines"))
    }

    /// The same, with `default` for the folder.
    pub fn resolve_or(&self, config: &Config, aws: &Aws, default: PathBuf) -> WithTerraform {
        let locations = Some(&self.terraform_states)
            .filter(|flags| !flags.is_empty())
            .unwrap_or(&config.terraform_states)
            .clone();
        let lock_table = self
            .terraform_lock_table
            .clone()
            .or_else(|| config.terraform_lock_table.clone());
        WithTerraform {
            folder: BaselineFolder {
                path: self.baselines.resolve_or(config, default),
                cache: (!self.no_cache).then(ParseCache::usable).flatten(),
            },
            states: TerraformStates::new(locations, lock_table)
                .reading_s3_through(aws.state_store()),
        }
    }
}
