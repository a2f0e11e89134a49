//! The AWS options every AWS-calling command takes ([`AwsArgs`], as typed),
//! and the settings they resolve to ([`Aws`], which loads the shared
//! configuration). Configuration and clients are the AWS edge's
//! (`nacl_drift_aws`).

use nacl_drift_aws::SdkConfig;
use nacl_drift_config::Config;

use nacl_drift_config::AccountSettings;

use crate::accounts::AccountArgs;

/// The options every AWS-calling command takes.
#[derive(clap::Args, Debug)]
pub struct AwsArgs {
    /// Named profile from the AWS config files (default: AWS_PROFILE, then "default").
    #[arg(long, value_name = "PROFILE")]
    profile: Option<String>,

    /// Send EC2 calls to this endpoint instead of AWS's (also AWS_ENDPOINT_URL).
    #[arg(long, value_name = "URL")]
    endpoint_url: Option<String>,
}

impl AwsArgs {
    /// The settings these flags give.
    pub fn resolve(self) -> Aws {
        Aws {
            profile: self.profile,
            endpoint_url: self.endpoint_url,
        }
    }
}

/// Where AWS is and whose credentials act: a profile and an endpoint.
#[derive(Clone, Debug, Default)]
pub struct Aws {
    profile: Option<String>,
    endpoint_url: Option<String>,
}

impl Aws {
    /// Loads the shared configuration once; clients for each region derive
    /// from it. An error when `--profile` names no profile.
    pub async fn load(&self) -> Result<SdkConfig, nacl_drift_aws::SdkConfigError> {
        nacl_drift_aws::load_config(self.profile.as_deref(), self.endpoint_url.as_deref()).await
    }

    /// The S3 backend of Terraform states, reached the same way, loaded at its first read.
    pub fn state_store(&self) -> nacl_drift_aws::S3States {
        nacl_drift_aws::S3States::new(self.profile.clone(), self.endpoint_url.clone())
    }
}

/// Where a command acts: the accounts and how AWS is reached, as typed.
#[derive(clap::Args, Debug)]
pub struct TargetArgs {
    #[command(flatten)]
    accounts: AccountArgs,

    #[command(flatten)]
    aws: AwsArgs,
}

impl TargetArgs {
    /// The settings these flags give, with the config file's accounts.
    pub fn resolve(self, config: &Config) -> RunTarget {
        RunTarget {
            accounts: self.accounts.resolve(config),
            aws: self.aws.resolve(),
        }
    }
}

/// Where a command acts: the accounts, and how AWS is reached.
#[derive(Clone, Debug, Default)]
pub struct RunTarget {
    pub accounts: AccountSettings,
    pub aws: Aws,
}
