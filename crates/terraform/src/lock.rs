//! Whether Terraform holds a state's lock, and who: the local backend takes
//! a POSIX record lock (fcntl) on the state file, then writes its lock
//! info beside it (`.terraform.tfstate.lock.info`). The info file alone is
//! a crashed run's, not a held lock: the fcntl lock dies with its process.

use std::fmt;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::TerraformError;

/// A held lock on a state, and what its lock info says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StateLock {
    /// The state.
    pub state: PathBuf,
    /// `OperationTypeApply`, `OperationTypePlan`, `state-rm`, ...
    pub operation: Option<String>,
    /// `user@hostname`.
    pub who: Option<String>,
    /// When it was taken, as Terraform writes it (RFC 3339).
    pub created: Option<String>,
}

impl fmt::Display for StateLock {
    /// `Terraform's lock on infra/terraform.tfstate (OperationTypeApply by
    /// alice@build-7 since 2026-03-04T10:11:12Z)`; each value escaped.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use nacl_drift_model::sanitize::Shown;
        write!(
            f,
            "Terraform's lock on {}",
            Shown(&self.state.display().to_string())
        )?;
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
    let info: Option<Value> = std::fs::read(info_path(state))
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok());
    let field = |name: &str| {
        info.as_ref()
            .and_then(|info| info.get(name))
            .and_then(Value::as_str)
            .filter(|text| !text.is_empty())
            .map(str::to_owned)
    };
    Ok(Some(StateLock {
        state: state.to_owned(),
        operation: field("Operation"),
        who: field("Who"),
        created: field("Created"),
    }))
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

    use super::{StateLock, info_path, local_lock};

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
        let lock = StateLock {
            state: "infra/terraform.tfstate".into(),
            operation: Some("OperationTypeApply".to_owned()),
            who: Some("alice@build-7\u{1b}[2J".to_owned()),
            created: Some("2026-03-04T10:11:12.345678Z".to_owned()),
        };
        let text = lock.to_string();
        assert!(text.starts_with(
            "Terraform's lock on infra/terraform.tfstate (OperationTypeApply by alice@build-7"
        ));
        assert!(text.ends_with("since 2026-03-04T10:11:12.345678Z)"));
        assert!(!text.contains('\u{1b}'), "{text}");
    }
}
