//! EC2 API errors, made readable. The SDK does not model EC2's errors, so
//! what callers can branch on is the error code.

use std::error::Error as StdError;
use std::fmt;

use aws_credential_types::provider::error::CredentialsError;
use aws_sdk_ec2::error::{ProvideErrorMetadata, SdkError};

/// A failed EC2 call: the operation, AWS's error code, and its message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ApiError {
    /// The EC2, STS or CloudTrail operation.
    pub operation: &'static str,
    /// AWS's error code, such as `UnauthorizedOperation`; `None` when the
    /// request never got an answer (no network, no credentials, a timeout).
    pub code: Option<String>,
    /// AWS's message, or the causes of a request that got no answer.
    pub message: String,
}

impl ApiError {
    /// The error of a failed SDK call to `operation`.
    pub fn new<E, R>(operation: &'static str, error: SdkError<E, R>) -> Self
    where
        E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
        R: fmt::Debug + Send + Sync + 'static,
    {
        if error.code().is_none() {
            if let Some(assume_role) = assume_role_failure(&error) {
                return assume_role;
            }
            if let Some(message) = credentials_failure(&error) {
                return ApiError {
                    operation,
                    code: None,
                    message,
                };
            }
        }
        ApiError::answered(operation, &error)
    }

    /// AWS's code and message when the call got an answer; otherwise the
    /// causes of why it got none.
    fn answered<E>(operation: &'static str, error: &E) -> Self
    where
        E: ProvideErrorMetadata + StdError + 'static,
    {
        let code = error.code().map(str::to_owned);
        let message = match error.message() {
            Some(message) if code.is_some() => message.to_owned(),
            _ => causes(error),
        };
        ApiError {
            operation,
            code,
            message,
        }
    }

    /// Whether the error says the caller lacks permission.
    pub fn is_access_denied(&self) -> bool {
        matches!(
            self.code.as_deref(),
            Some(
                "UnauthorizedOperation" | "AuthFailure" | "AccessDenied" | "AccessDeniedException"
            )
        )
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} failed: ", self.operation)?;
        if let Some(code) = &self.code {
            write!(f, "{code}: ")?;
        }
        f.write_str(&self.message)
    }
}

/// When a call got no answer because the role it acts through could not be
/// assumed: STS's AssumeRole error, which the SDK buries in the causes.
fn assume_role_failure(error: &(dyn StdError + 'static)) -> Option<ApiError> {
    type AssumeRoleFailure = SdkError<aws_sdk_sts::operation::assume_role::AssumeRoleError>;
    let mut next = Some(error);
    while let Some(error) = next {
        if let Some(failure) = error.downcast_ref::<AssumeRoleFailure>() {
            return Some(ApiError::answered("AssumeRole", failure));
        }
        next = error.source();
    }
    None
}

/// What to do, when a call got no answer because no credentials could be
/// loaded: one line instead of the SDK's chain of every provider it tried.
fn credentials_failure(error: &(dyn StdError + 'static)) -> Option<String> {
    let mut next = Some(error);
    while let Some(error) = next {
        if let Some(failure) = error.downcast_ref::<CredentialsError>() {
            let why = causes(failure);
            // The instance metadata service is the chain's last resort: when
            // it fails too, no source of credentials is set up.
            let none_found = matches!(failure, CredentialsError::CredentialsNotLoaded(_))
                || why.contains("IMDS");
            return Some(if none_found {
                NO_CREDENTIALS.to_owned()
            } else {
                format!("cannot load AWS credentials: {why}")
            });
        }
        next = error.source();
    }
    None
}

const NO_CREDENTIALS: &str = "no AWS credentials found: set AWS_PROFILE (or pass --profile), run `aws sso login` for an SSO profile, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY";

/// The error and its sources, each once, joined with ": ". The SDK nests
/// the useful part ("Connection refused", "no credentials found") deep
/// inside generic wrappers like "dispatch failure".
fn causes(error: &(dyn StdError + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next = Some(error);
    while let Some(error) = next {
        let text = error.to_string();
        if !parts.iter().any(|part| part.contains(&text)) {
            parts.push(text);
        }
        next = error.source();
    }
    parts.join(": ")
}
