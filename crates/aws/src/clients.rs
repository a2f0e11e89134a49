//! AWS configuration and clients: loaded once, then one client per service
//! and region, sharing credentials, retries and the endpoint.
//!
//! Credentials and region come from aws-config's standard chain
//! (environment, profiles, SSO, container and instance roles). An endpoint
//! URL, given or from `AWS_ENDPOINT_URL`, points every client at any
//! AWS-compatible endpoint.

use std::borrow::Cow;

use aws_config::environment::region::EnvironmentVariableRegionProvider;
use aws_config::meta::region::ProvideRegion;
use aws_config::profile::{ProfileFileCredentialsProvider, ProfileFileLoadError};
use aws_config::provider_config::ProviderConfig;
use aws_config::{BehaviorVersion, SdkConfig};
use aws_runtime::env_config::file::EnvConfigFiles;
use aws_sdk_ec2::config::Region;
use aws_sdk_ec2::config::SharedHttpClient;
use aws_smithy_http_client::proxy::ProxyConfig;
use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
use aws_smithy_http_client::{Builder, ConnectorBuilder};
use aws_types::os_shim_internal::{Env, Fs};

/// The HTTPS client for every AWS call, as the SDK's default one: rustls
/// with aws-lc (post-quantum key exchange preferred), the platform's root
/// certificates, and `HTTPS_PROXY`/`NO_PROXY` from the environment.
///
/// Built here rather than by the SDK's `default-https-client` feature so
/// that no SDK crate depends on the HTTP stack: aws-sdk-ec2, the longest
/// crate to compile, can then start long before it is built.
pub fn https_client() -> SharedHttpClient {
    Builder::new().build_with_connector_fn(|settings, runtime_components| {
        let mut connector =
            ConnectorBuilder::default().tls_provider(Provider::Rustls(CryptoMode::AwsLc));
        connector.set_connector_settings(settings.cloned());
        if let Some(components) = runtime_components {
            connector.set_sleep_impl(components.sleep_impl());
        }
        connector.set_proxy_config(Some(ProxyConfig::from_env()));
        connector.build()
    })
}

/// Why the shared configuration cannot be loaded.
#[derive(Debug, thiserror::Error)]
pub enum SdkConfigError {
    /// `--profile` names a profile that no config file defines.
    #[error(
        "no profile `{0}` in the AWS config files (~/.aws/config and ~/.aws/credentials, or AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE): `aws configure list-profiles` lists those there are"
    )]
    NoSuchProfile(String),
    /// The config files cannot be read or parsed.
    #[error("cannot read the AWS config files for the profile `{profile}`")]
    Files {
        /// The profile asked for.
        profile: String,
        /// Why.
        #[source]
        source: ProfileFileLoadError,
    },
}

/// Loads the shared configuration, with a named profile and an endpoint
/// instead of AWS's when given. A named profile wins over credentials in
/// the environment, as with the AWS CLI's `--profile`: the SDK's default
/// chain would read `AWS_ACCESS_KEY_ID` first, and act as another account.
pub async fn load_config(
    profile: Option<&str>,
    endpoint_url: Option<&str>,
) -> Result<SdkConfig, SdkConfigError> {
    let mut loader = aws_config::defaults(BehaviorVersion::latest()).http_client(https_client());
    if let Some(profile) = profile {
        let files = aws_config::profile::load(
            &Fs::real(),
            &Env::real(),
            &EnvConfigFiles::default(),
            Some(Cow::Owned(profile.to_owned())),
        )
        .await
        .map_err(|source| SdkConfigError::Files {
            profile: profile.to_owned(),
            source,
        })?;
        if files.get_profile(profile).is_none() {
            return Err(SdkConfigError::NoSuchProfile(profile.to_owned()));
        }
        // Its own calls (STS for a role profile, SSO) go through the same
        // client, signed for the profile's region (else the environment's,
        // else STS's global endpoint's, us-east-1): without one, a role
        // profile fails with "missing signing region".
        let from_profile = files
            .get_profile(profile)
            .and_then(|named| named.get("region"))
            .map(|region| Region::new(region.to_owned()));
        let region = EnvironmentVariableRegionProvider::new()
            .region()
            .await
            .or(from_profile)
            .unwrap_or_else(|| Region::from_static("us-east-1"));
        let calls = ProviderConfig::default()
            .with_http_client(https_client())
            .with_region(Some(region));
        let credentials = ProfileFileCredentialsProvider::builder()
            .configure(&calls)
            .profile_name(profile)
            .build();
        loader = loader
            .profile_name(profile)
            .credentials_provider(credentials);
    }
    if let Some(url) = endpoint_url {
        loader = loader.endpoint_url(url);
    }
    Ok(loader.load().await)
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

/// An EventBridge client for `region`, sharing everything else with `config`.
pub fn eventbridge_client(config: &SdkConfig, region: &str) -> aws_sdk_eventbridge::Client {
    let eventbridge_config = aws_sdk_eventbridge::config::Builder::from(config)
        .region(Region::new(region.to_owned()))
        .build();
    aws_sdk_eventbridge::Client::from_conf(eventbridge_config)
}
