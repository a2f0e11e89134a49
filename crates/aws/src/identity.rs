//! Whose credentials these are: the account that live state belongs to,
//! and the principal that CloudTrail names for nacl-drift's own calls.

use std::collections::BTreeSet;

use aws_config::SdkConfig;
use nacl_drift_model::Identity;
use nacl_drift_model::{AccountId, Region};

use crate::{AccountSession, ApiError, configured_region, sts_client};

/// Who the credentials in use are, as STS GetCallerIdentity (which needs
/// no permission) says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caller {
    /// The account.
    pub account: AccountId,
    /// The principal: a user's ARN, or an assumed role's session ARN
    /// (`arn:aws:sts::ACCOUNT:assumed-role/NAME/SESSION`), as CloudTrail's
    /// `userIdentity.arn` names it.
    pub arn: String,
}

/// The caller's account and principal.
pub async fn caller(client: &aws_sdk_sts::Client) -> Result<Caller, ApiError> {
    let identity = client
        .get_caller_identity()
        .send()
        .await
        .map_err(|error| ApiError::new("GetCallerIdentity", error))?;
    let invalid = |message: String| ApiError {
        operation: "GetCallerIdentity",
        code: None,
        message,
    };
    let account = identity
        .account()
        .ok_or_else(|| invalid("the response names no account".to_owned()))?;
    let account = AccountId::parse(account)
        .map_err(|error| invalid(format!("the response's Account: {error}")))?;
    let arn = identity
        .arn()
        .ok_or_else(|| invalid("the response names no principal".to_owned()))?;
    Ok(Caller {
        account,
        arn: arn.to_owned(),
    })
}

/// The caller's account id.
pub async fn caller_account(client: &aws_sdk_sts::Client) -> Result<AccountId, ApiError> {
    Ok(caller(client).await?.account)
}

/// The configuration's region, else us-east-1: where STS and
/// Organizations are asked when no region is configured.
pub fn home_region(config: &SdkConfig) -> Region {
    configured_region(config)
        .and_then(|region| Region::parse(region).ok())
        .unwrap_or_else(|| Region::parse("us-east-1").expect("a valid region"))
}

/// nacl-drift with `config`'s credentials: their account, and the
/// principal CloudTrail names for their calls (STS GetCallerIdentity).
pub async fn caller_identity(config: &SdkConfig) -> Result<Identity, ApiError> {
    let caller = caller(&sts_client(config, &home_region(config))).await?;
    Ok(Identity {
        accounts: BTreeSet::from([caller.account]),
        principals: BTreeSet::from([caller.arn]),
    })
}

/// nacl-drift over `sessions`: their accounts, and the principal of each
/// role assumed, with the caller's own for an account with no role.
pub async fn sessions_identity(sessions: &[AccountSession]) -> Result<Identity, ApiError> {
    let mut principals: BTreeSet<String> = sessions
        .iter()
        .filter_map(AccountSession::assumed_role_principal)
        .collect();
    if let Some(own) = sessions.iter().find(|session| session.role.is_none()) {
        principals.extend(caller_identity(&own.config).await?.principals);
    }
    Ok(Identity {
        accounts: sessions.iter().map(|s| s.account.clone()).collect(),
        principals,
    })
}
