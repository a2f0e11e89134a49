//! Where a state is: a local file, or an object of the S3 backend
//! (`s3://bucket/key`; a workspace's key is `env:/<workspace>/<key>`).

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

/// Where a state is.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum StateLocation {
    /// A file: `terraform.tfstate`, what `terraform state pull` or
    /// `terraform show -json` printed.
    Local(PathBuf),
    /// The S3 backend's object.
    S3(S3Object),
}

/// An object of the S3 backend: the state, or its lock file.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct S3Object {
    /// The bucket.
    pub bucket: String,
    /// The key: the backend's `key`, or `env:/<workspace>/<key>`.
    pub key: String,
}

impl S3Object {
    /// The S3 backend's native lock (`use_lockfile`): `<key>.tflock` in the
    /// same bucket.
    pub fn lock_file(&self) -> S3Object {
        S3Object {
            bucket: self.bucket.clone(),
            key: format!("{}.tflock", self.key),
        }
    }

    /// The `LockID` of the state's item in a DynamoDB lock table:
    /// `<bucket>/<key>`.
    pub fn lock_id(&self) -> String {
        format!("{}/{}", self.bucket, self.key)
    }
}

impl fmt::Display for S3Object {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "s3://{}/{}", self.bucket, self.key)
    }
}

impl fmt::Display for StateLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StateLocation::Local(path) => write!(f, "{}", path.display()),
            StateLocation::S3(object) => object.fmt(f),
        }
    }
}

/// Why a state's location is refused.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum LocationError {
    /// Nothing given.
    #[error("a Terraform state's location is empty: give a path or s3://bucket/key")]
    Empty,
    /// `s3://` without a key, or with a key that names a folder.
    #[error(
        "{0} names no state object: give s3://bucket/key, the backend's bucket and key (a workspace's: s3://bucket/env:/WORKSPACE/key)"
    )]
    NoKey(String),
    /// A bucket name S3 would not accept.
    #[error(
        "{0} is not an S3 bucket name: 3 to 63 lowercase letters, digits, dots and hyphens, beginning and ending with a letter or digit"
    )]
    Bucket(String),
}

impl FromStr for StateLocation {
    type Err = LocationError;

    /// `s3://bucket/key`, else a local path.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let shown = || nacl_drift_model::sanitize::cut(text);
        if text.is_empty() {
            return Err(LocationError::Empty);
        }
        let Some(rest) = text.strip_prefix("s3://") else {
            return Ok(StateLocation::Local(PathBuf::from(text)));
        };
        let Some((bucket, key)) = rest.split_once('/') else {
            return Err(LocationError::NoKey(shown()));
        };
        if key.is_empty() || key.ends_with('/') {
            return Err(LocationError::NoKey(shown()));
        }
        let edge_ok =
            |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
        let bucket_ok = (3..=63).contains(&bucket.len())
            && bucket
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-')
            && edge_ok(bucket.chars().next())
            && edge_ok(bucket.chars().last());
        if !bucket_ok {
            return Err(LocationError::Bucket(nacl_drift_model::sanitize::cut(
                bucket,
            )));
        }
        Ok(StateLocation::S3(S3Object {
            bucket: bucket.to_owned(),
            key: key.to_owned(),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::{LocationError, S3Object, StateLocation};

    fn parsed(text: &str) -> Result<StateLocation, LocationError> {
        text.parse()
    }

    #[test]
    fn an_s3_url_is_the_backends_bucket_and_key_and_anything_else_a_path() {
        let workspace = S3Object {
            bucket: "acme-tfstate".to_owned(),
            key: "env:/staging/network/terraform.tfstate".to_owned(),
        };
        assert_eq!(
            parsed("s3://acme-tfstate/env:/staging/network/terraform.tfstate"),
            Ok(StateLocation::S3(workspace.clone()))
        );
        assert_eq!(
            workspace.lock_file().to_string(),
            "s3://acme-tfstate/env:/staging/network/terraform.tfstate.tflock"
        );
        assert_eq!(
            workspace.lock_id(),
            "acme-tfstate/env:/staging/network/terraform.tfstate"
        );
        assert_eq!(
            parsed("infra/terraform.tfstate"),
            Ok(StateLocation::Local("infra/terraform.tfstate".into()))
        );
    }

    #[test]
    fn an_s3_url_without_key_or_with_a_bad_bucket_is_refused() {
        assert_eq!(parsed(""), Err(LocationError::Empty));
        for text in [
            "s3://acme-tfstate",
            "s3://acme-tfstate/",
            "s3://acme/infra/",
        ] {
            assert_eq!(parsed(text), Err(LocationError::NoKey(text.to_owned())));
        }
        for bucket in ["Acme", "ab", "-acme", "acme_state", "acme\u{1b}[2J"] {
            let error = parsed(&format!("s3://{bucket}/terraform.tfstate")).expect_err(bucket);
            assert!(matches!(error, LocationError::Bucket(_)), "{bucket}");
            assert!(!error.to_string().contains('\u{1b}'));
        }
    }
}
