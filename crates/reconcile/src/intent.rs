//! Where the intended state comes from: a port. `compare` takes
//! [`Baselines`] whatever their source, so that a second source of intent
//! (a Terraform state: [`WithTerraform`]) or a second notion of time (the
//! baselines as they stood when an incident began) plugs in here, and
//! nowhere else.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use nacl_drift_diff::Change;
use nacl_drift_model::{
    AccountId, Baseline, BaselineError, EntryKey, NetworkAclId, Region, held_twice,
    read_baseline_dir, read_region_records,
};
use nacl_drift_terraform::{StateIntent, StateLock, local_lock, read_state};

use crate::{Baselines, ReconcileError};

/// A source of intent: what every NACL of the VPCs it covers should be.
pub trait IntentSource: Send + Sync {
    /// Where the intent is, for people: the baseline folder.
    fn location(&self) -> &Path;

    /// The intent, read afresh: of `regions` alone (each one's scope
    /// narrowed to them) when `regions` is not empty.
    fn intent(&self, regions: &[Region]) -> Result<Baselines, ReconcileError>;

    /// Whether the intent is being changed right now (a `terraform apply`
    /// holds a state's lock): then nothing may be restored to it.
    fn lock(&self) -> Result<Option<StateLock>, ReconcileError> {
        Ok(None)
    }
}

/// The YAML baselines under a folder, as `snapshot` writes them and people
/// review them: the first source of intent.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BaselineFolder(pub PathBuf);

impl IntentSource for BaselineFolder {
    fn location(&self) -> &Path {
        &self.0
    }

    fn intent(&self, regions: &[Region]) -> Result<Baselines, ReconcileError> {
        Baselines::read(&self.0)?.in_regions(regions)
    }
}

/// The YAML baselines under a folder and the NACLs of Terraform or OpenTofu
/// states: a NACL a state holds is judged against that state, every other
/// against the baselines. A NACL held by both is refused, naming both.
#[derive(Clone, Debug, Default)]
pub struct WithTerraform {
    /// The baselines (the folder may hold none, or not be there).
    pub folder: BaselineFolder,
    /// The states, each a local file: raw state, `terraform show -json`,
    /// or plan JSON.
    pub states: Vec<PathBuf>,
    /// Each state as last read: the guard reads the intent at every
    /// reconcile, and a state is parsed again only when it changed.
    pub read: StatesRead,
}

/// The states read so far, each with the modification time and length it
/// had then.
#[derive(Clone, Debug, Default)]
pub struct StatesRead(Arc<Mutex<BTreeMap<PathBuf, StateRead>>>);

/// A state as read: its modification time and length then, and its NACLs.
type StateRead = (SystemTime, u64, Arc<StateIntent>);

impl StatesRead {
    /// The NACLs of the state at `path`: as read before while its
    /// modification time and length are the same, else read afresh.
    fn intent(
        &self,
        path: &Path,
        region: Option<&Region>,
    ) -> Result<Arc<StateIntent>, ReconcileError> {
        let stamp = std::fs::metadata(path)
            .ok()
            .and_then(|meta| Some((meta.modified().ok()?, meta.len())));
        let mut read = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let (Some((modified, len)), Some((seen, seen_len, intent))) = (stamp, read.get(path))
            && modified == *seen
            && len == *seen_len
        {
            return Ok(Arc::clone(intent));
        }
        let intent = Arc::new(read_state(path, region)?);
        match stamp {
            Some((modified, len)) => {
                read.insert(path.to_owned(), (modified, len, Arc::clone(&intent)));
            }
            None => {
                read.remove(path);
            }
        }
        Ok(intent)
    }
}

impl IntentSource for WithTerraform {
    fn location(&self) -> &Path {
        &self.folder.0
    }

    fn intent(&self, regions: &[Region]) -> Result<Baselines, ReconcileError> {
        let dir = &self.folder.0;
        let (mut files, empty_regions) = match read_baseline_dir(dir) {
            Ok(files) => {
                let empty: Vec<(AccountId, Region)> = read_region_records(dir)?
                    .into_iter()
                    .map(|(_, record)| (record.account, record.region))
                    .collect();
                (files, empty)
            }
            // The states alone may be the intent.
            Err(BaselineError::NoFolder(_)) if !self.states.is_empty() => (Vec::new(), Vec::new()),
            Err(error) => return Err(error.into()),
        };
        let in_baselines: BTreeMap<&NetworkAclId, &Path> = files
            .iter()
            .flat_map(|(path, baseline)| {
                baseline
                    .network_acls
                    .iter()
                    .map(move |acl| (&acl.id, path.as_path()))
            })
            .collect();
        // A state that names no region of its own takes the one region
        // asked for, if one was.
        let region = match regions {
            [region] => Some(region),
            _ => None,
        };
        let mut from_states: Vec<(PathBuf, Baseline)> = Vec::new();
        let mut addresses = Addresses::default();
        let mut notes = Vec::new();
        for path in &self.states {
            let intent = self.read.intent(path, region)?;
            if let Some((id, baseline)) = intent
                .acls
                .keys()
                .find_map(|id| in_baselines.get(id).map(|baseline| (id, baseline)))
            {
                return Err(ReconcileError::HeldByBoth {
                    network_acl_id: id.clone(),
                    baseline: baseline.to_path_buf(),
                    state: path.display().to_string(),
                    address: intent.acls[id].address.clone(),
                });
            }
            addresses.hold(&intent);
            if !intent.changed_outside.is_empty() {
                notes.push(format!(
                    "{}: the plan's refresh found {} changed outside Terraform; judged against its planned values",
                    path.display(),
                    intent.changed_outside.join(", ")
                ));
            }
            from_states.extend(
                intent
                    .baselines()
                    .into_iter()
                    .map(|baseline| (path.clone(), baseline)),
            );
        }
        files.extend(from_states);
        // Two states that hold one NACL or subnet, or a subnet both a state
        // and a baseline put on a NACL.
        if let Some(error) = held_twice(&files).into_iter().next() {
            return Err(error.into());
        }
        let mut baselines = Baselines::of(dir, files, empty_regions)?.in_regions(regions)?;
        baselines.addresses = addresses;
        baselines.notes = notes;
        Ok(baselines)
    }

    fn lock(&self) -> Result<Option<StateLock>, ReconcileError> {
        for state in &self.states {
            if let Some(lock) = local_lock(state)? {
                return Ok(Some(lock));
            }
        }
        Ok(None)
    }
}

/// Where each NACL and entry that a Terraform state holds is declared: its
/// Terraform address.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Addresses {
    acls: BTreeMap<NetworkAclId, String>,
    entries: BTreeMap<(NetworkAclId, EntryKey), String>,
}

impl Addresses {
    /// Takes in the addresses of `intent`.
    fn hold(&mut self, intent: &StateIntent) {
        for (id, held) in &intent.acls {
            self.acls.insert(id.clone(), held.address.clone());
            for (key, address) in &held.entry_addresses {
                self.entries.insert((id.clone(), *key), address.clone());
            }
        }
    }

    /// Whether a state holds the NACL `id`.
    pub fn holds(&self, id: &NetworkAclId) -> bool {
        self.acls.contains_key(id)
    }

    /// The address that declares the intent of `change`: its entry's rule
    /// resource, else its ACL; `None` when no state holds its NACL.
    pub fn of(&self, change: &Change) -> Option<&str> {
        let id = &change.network_acl_id;
        change
            .drift
            .entry_key()
            .and_then(|key| self.entries.get(&(id.clone(), key)))
            .or_else(|| self.acls.get(id))
            .map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use std::fs::File;

    use super::{BaselineFolder, IntentSource, WithTerraform};

    const STATE: &str = include_str!("../../../tests/fixtures/terraform/module-style.tfstate");

    #[test]
    fn a_state_is_parsed_again_only_once_it_changed() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("terraform.tfstate");
        std::fs::write(&path, STATE).expect("write the state");
        let intent = WithTerraform {
            folder: BaselineFolder(dir.path().join("no-baselines")),
            states: vec![path.clone()],
            ..WithTerraform::default()
        };
        let first = intent.intent(&[]).expect("the state's intent");
        assert_eq!(first.vpcs().len(), 1);

        // The same length and time, other bytes: what was read stands.
        let modified = std::fs::metadata(&path)
            .and_then(|m| m.modified())
            .expect("mtime");
        std::fs::write(&path, " ".repeat(STATE.len())).expect("overwrite");
        File::options()
            .write(true)
            .open(&path)
            .and_then(|file| file.set_modified(modified))
            .expect("set the time back");
        assert_eq!(intent.intent(&[]).expect("as read").vpcs(), first.vpcs());

        // Changed: read again.
        std::fs::write(&path, "").expect("truncate");
        let error = intent.intent(&[]).expect_err("an empty state").to_string();
        assert!(error.contains("is not a Terraform state"), "{error}");
    }
}
