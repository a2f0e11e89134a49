//! AWS configuration: the only place nacl-drift loads it.
//!
//! Credentials and region come from aws-config's standard chain
//! (environment, profiles, SSO, container and instance roles).
//! `--endpoint-url`, or `AWS_ENDPOINT_URL` as aws-config reads it, points the
//! tool at any EC2-compatible endpoint.

use aws_config::{BehaviorVersion, SdkConfig};
use aws_sdk_ec2::config::Region;

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
    /// Loads the shared configuration once; clients for each region derive from it.
    pub async fn load(&self) -> SdkConfig {
        let mut loader = aws_config::defaults(BehaviorVersion::latest());
        if let Some(profile) = &self.profile {
            loader = loader.profile_name(profile);
        }
        if let Some(url) = &self.endpoint_url {
            loader = loader.endpoint_url(url);
        }
        loader.load().await
    }
}

/// An EC2 client for `region`, sharing everything else with `config`.
pub fn ec2_client(config: &SdkConfig, region: &str) -> aws_sdk_ec2::Client {
    let ec2_config = aws_sdk_ec2::config::Builder::from(config)
        .region(Region::new(region.to_owned()))
        .build();
    aws_sdk_ec2::Client::from_conf(ec2_config)
}

/// An STS client for `region`, sharing everything else with `config`.
pub fn sts_client(config: &SdkConfig, region: &str) -> aws_sdk_sts::Client {
    let sts_config = aws_sdk_sts::config::Builder::from(config)
        .region(Region::new(region.to_owned()))
        .build();
    aws_sdk_sts::Client::from_conf(sts_config)
}

/// A CloudTrail client for `region`, sharing everything else with `config`.
pub fn cloudtrail_client(config: &SdkConfig, region: &str) -> aws_sdk_cloudtrail::Client {
    let cloudtrail_config = aws_sdk_cloudtrail::config::Builder::from(config)
        .region(Region::new(region.to_owned()))
        .build();
    aws_sdk_cloudtrail::Client::from_conf(cloudtrail_config)
}
