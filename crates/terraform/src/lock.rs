//! Whether Terraform holds a state's lock, and who.
//!
//! - The local backend takes a POSIX record lock (fcntl) on the state file,
//!   then writes its lock info beside it (`.terraform.tfstate.lock.info`).
//!   The info file alone is a crashed run's, not a held lock: the fcntl
//!   lock dies with its process.
//! - The S3 backend's lock is the object `<key>.tflock` (`use_lockfile`),
//!   or the item `<bucket>/<key>` of a DynamoDB table, or both; each holds
//!   the same lock info. They are read through the AWS edge; this module
//!   reads what they hold.

use std::fmt;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::{StateLocation, TerraformError};

/// A held lock on a state, and what its lock info says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StateLock {
    /// The state.
    pub state: StateLocation,
    /// Which lock is held.
    pub held: HeldLock,
    /// `OperationTypeApply`, `OperationTypePlan`, `state-rm`, ...
    pub operation: Option<String>,
    /// `user@hostname`.
    pub who: Option<String>,
    /// When it was taken, as Terraform writes it (RFC 3339).
    pub created: Option<String>,
}

/// Which of a state's locks is held.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HeldLock {
    /// The local backend's record lock on the state file.
    Local,
    /// The S3 backend's `<key>.tflock` object.
    LockFile,
    /// The state's item in this DynamoDB table.
    LockTable(String),
}

impl StateLock {
    /// The lock `held` on `state`, with what the lock info `info` says (the
    /// JSON Terraform writes; anything else says nothing).
    pub fn with_info(state: StateLocation, held: HeldLock, info: Option<&[u8]>) -> StateLock {
        let info: Option<Value> = info.and_then(|bytes| serde_json::from_slice(bytes).ok());
        let field = |name: &str| {
            info.as_ref()
                .and_then(|info| info.get(name))
                .and_then(Value::as_str)
                .filter(|text| !text.is_empty())
                .map(str::to_owned)
        };
        StateLock {
            operation: field("Operation"),
            who: field("Who"),
            created: field("Created"),
            state,
            held,
        }
    }
}

impl fmt::Display for StateLock {
    /// `Terraform's lock on infra/terraform.tfstate (OperationTypeApply by
    /// alice@build-7 since 2026-03-04T10:11:12Z)`; each value escaped.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use nacl_drift_model::sanitize::Shown;
        let state = self.state.to_string();
        match (&self.held, &self.state) {
            (HeldLock::LockFile, StateLocation::S3(object)) => write!(
                f,
                "Terraform's lock file {}",
                Shown(&object.lock_file().to_string())
            )?,
            (HeldLock::LockTable(table), _) => write!(
                f,
                "Terraform's lock on {} in the DynamoDB table {}",
                Shown(&state),
                Shown(table)
            )?,
            _ => write!(f, "Terraform's lock on {}", Shown(&state))?,
        }
        let mut parts = Vec::new();
        if let Some(operation) = &self.operation {
            parts.push(Shown(operation).to_string());
        }
        if let Some(who) = &self.who {
            parts.push(format!("by {}", Shown(who)));
        }
        if let Some(created) = &self.created {
            parts.push(format!("since {}", Shown(created)));
        }
        if !parts.is_empty() {
            write!(f, " ({})", parts.join(" "))?;
        }
        Ok(())
    }
}

/// The lock info file of the local state at `state`: `.NAME.lock.info`
/// beside it, a leading dot of the name dropped first.
fn info_path(state: &Path) -> PathBuf {
    let name = state
        .file_name()
        .map(|name| name.to_string_lossy().trim_start_matches('.').to_owned())
        .unwrap_or_default();
    state.with_file_name(format!(".{name}.lock.info"))
}

/// The lock another process holds on the local state at `state`, if any.
pub fn local_lock(state: &Path) -> Result<Option<StateLock>, TerraformError> {
    if !is_locked(state)? {
        return Ok(None);
    }
    let info = std::fs::read(info_path(state)).ok();
    Ok(Some(StateLock::with_info(
        StateLocation::Local(state.to_owned()),
        HeldLock::Local,
        info.as_deref(),
    )))
}

/// Whether another process holds a record lock on `state`: a shared lock
/// asked without waiting, and dropped at once, is refused.
#[cfg(unix)]
fn is_locked(state: &Path) -> Result<bool, TerraformError> {
    use rustix::fs::{FlockOperation, fcntl_lock};
    use rustix::io::Errno;
    // A state that cannot be opened (gone, unreadable) says nothing of its
    // lock: unknown, never "free".
    let file = std::fs::File::open(state).map_err(|source| TerraformError::Read {
        label: state.display().to_string(),
        source,
    })?;
    match fcntl_lock(&file, FlockOperation::NonBlockingLockShared) {
        Ok(()) => {
            let _ = fcntl_lock(&file, FlockOperation::NonBlockingUnlock);
            Ok(false)
        }
        Err(Errno::AGAIN | Errno::ACCESS) => Ok(true),
        Err(error) => Err(TerraformError::Read {
            label: state.display().to_string(),
            source: error.into(),
        }),
    }
}

/// Elsewhere, the lock info file alone says.
#[cfg(not(unix))]
fn is_locked(state: &Path) -> Result<bool, TerraformError> {
    Ok(info_path(state).exists())
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::{HeldLock, StateLock, info_path, local_lock};
    use crate::{S3Object, StateLocation};

    #[test]
    fn the_lock_of_a_state_that_cannot_be_opened_is_unknown_never_free() {
        let dir = tempfile::tempdir().expect("temp dir");
        let gone = dir.path().join("terraform.tfstate");
        let error = local_lock(&gone).expect_err("unknown").to_string();
        assert!(
            error.starts_with("cannot read the Terraform state"),
            "{error}"
        );
    }

    #[test]
    fn the_info_file_sits_beside_the_state_without_a_second_dot() {
        assert_eq!(
            info_path(Path::new("infra/terraform.tfstate")),
            Path::new("infra/.terraform.tfstate.lock.info")
        );
        assert_eq!(
            info_path(Path::new(".hidden.tfstate")),
            Path::new(".hidden.tfstate.lock.info")
        );
    }

    #[test]
    fn a_lock_names_its_operation_holder_and_time_escaped() {
        let info = br#"{"ID":"5f0e8c1a","Operation":"OperationTypeApply","Info":"","Who":"alice@build-7\u001b[2J","Version":"1.5.7","Created":"2026-03-04T10:11:12.345678Z","Path":"terraform.tfstate"}"#;
        let local = StateLocation::Local("infra/terraform.tfstate".into());
        let lock = StateLock::with_info(local, HeldLock::Local, Some(info));
        let text = lock.to_string();
        assert!(text.starts_with(
            "Terraform's lock on infra/terraform.tfstate (OperationTypeApply by alice@build-7"
        ));
        assert!(text.ends_with("since 2026-03-04T10:11:12.345678Z)"));
        assert!(!text.contains('\u{1b}'), "{text}");
    }

    #[test]
    fn an_s3_lock_names_its_lock_file_or_table_and_unreadable_info_says_nothing() {
        let state = StateLocation::S3(S3Object {
            bucket: "acme-tfstate".to_owned(),
            key: "env:/staging/terraform.tfstate".to_owned(),
        });
        let info = br#"{"ID":"1","Operation":"OperationTypePlan","Who":"ci@runner","Created":"2026-12-07T10:00:00Z"}"#;
        let file = StateLock::with_info(state.clone(), HeldLock::LockFile, Some(info));
        assert_eq!(
            file.to_string(),
            "Terraform's lock file s3://acme-tfstate/env:/staging/terraform.tfstate.tflock (OperationTypePlan by ci@runner since 2026-12-07T10:00:00Z)"
        );
        let table = HeldLock::LockTable("terraform-locks".to_owned());
        let item = StateLock::with_info(state, table, Some(b"not json"));
        assert_eq!(
            item.to_string(),
            "Terraform's lock on s3://acme-tfstate/env:/staging/terraform.tfstate in the DynamoDB table terraform-locks"
        );
    }
}
