//! Whose credentials these are: the account that live state belongs to.

use crate::ApiError;

/// The caller's account id, from STS GetCallerIdentity (which needs no
/// permission).
pub async fn caller_account(client: &aws_sdk_sts::Client) -> Result<String, ApiError> {
    let identity = client
        .get_caller_identity()
        .send()
        .await
        .map_err(|error| ApiError::new("GetCallerIdentity", error))?;
    identity
        .account()
        .map(str::to_owned)
        .ok_or_else(|| ApiError {
            operation: "GetCallerIdentity",
            code: None,
            message: "the response names no account".to_owned(),
        })
}
