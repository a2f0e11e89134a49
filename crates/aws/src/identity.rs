//! Whose credentials these are: the account that live state belongs to,
//! and the principal that CloudTrail names for nacl-drift's own calls.

use nacl_drift_model::AccountId;

use crate::ApiError;

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
