//! Whose credentials these are: the account that live state belongs to.

use nacl_drift_model::AccountId;

use crate::ApiError;

/// The caller's account id, from STS GetCallerIdentity (which needs no
/// permission).
pub async fn caller_account(client: &aws_sdk_sts::Client) -> Result<AccountId, ApiError> {
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
    AccountId::parse(account).map_err(|error| invalid(format!("the response's Account: {error}")))
}
