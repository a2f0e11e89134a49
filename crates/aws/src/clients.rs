//! AWS configuration and clients: loaded once, then one client per service
//! and region, sharing credentials, retries and the endpoint.
//!
//! Credentials and region come from aws-config's standard chain
//! (environment, profiles, SSO, container and instance roles). An endpoint
//! URL, given or from `AWS_ENDPOINT_URL`, points every client at any
//! AWS-compatible endpoint.

use aws_config::{BehaviorVersion, SdkConfig};
use aws_sdk_ec2::config::Region;

/// Loads the shared configuration, with a named profile and an endpoint
/// instead of AWS's when given.
pub async fn load_config(profile: Option<&str>, endpoint_url: Option<&str>) -> SdkConfig {
    let mut loader = aws_config::defaults(BehaviorVersion::latest());
    if let Some(profile) = profile {
        loader = loader.profile_name(profile);
    }
    if let Some(url) = endpoint_url {
        loader = loader.endpoint_url(url);
    }
    loader.load().await
}

/// The region the configuration names, if any.
pub fn configured_region(config: &SdkConfig) -> Option<&str> {
    config.region().map(Region::as_ref)
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
