//! The AWS options every AWS-calling command takes. Configuration and
//! clients are the AWS edge's (`nacl_drift_aws`).

use nacl_drift_aws::SdkConfig;

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
    /// Loads the shared configuration once; clients for each region derive
    /// from it. An error when `--profile` names no profile.
    pub async fn load(&self) -> Result<SdkConfig, nacl_drift_aws::ConfigError> {
        nacl_drift_aws::load_config(self.profile.as_deref(), self.endpoint_url.as_deref()).await
    }
}
