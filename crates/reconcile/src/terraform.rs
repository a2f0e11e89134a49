//! Terraform and OpenTofu states as intent: [`WithTerraform`] judges the
//! NACLs a state holds against it and every other against the baselines;
//! [`TerraformStates`] reads each state (a local file, or the S3 backend's
//! object through a [`StateStore`], the AWS edge's port), again only once
//! it changed, and tells whether a Terraform run holds its lock;
//! [`Addresses`] says where each NACL and entry is declared.

use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::SystemTime;

use nacl_drift_diff::Change;
use nacl_drift_model::{
    AccountId, Baseline, BaselineError, EntryKey, NetworkAclId, Region, held_twice,
    read_baseline_dir, read_region_records,
};
use nacl_drift_terraform::{
    HeldLock, S3Object, StateIntent, StateLocation, StateLock, local_lock, parse_state, read_state,
};

use crate::intent::{BaselineFolder, IntentRead, IntentSource};
use crate::{Baselines, ReconcileError, SourceError};

/// A call to the S3 backend's bucket or lock table.
pub type StoreCall<'a, T> = Pin<Box<dyn Future<Output = Result<T, SourceError>> + Send + 'a>>;

/// Where states in S3 and their locks are read: the AWS edge implements it
/// with S3 and DynamoDB.
pub trait StateStore: Send + Sync {
    /// The object, unless its ETag is still `etag`.
    fn get<'a>(&'a self, object: &'a S3Object, etag: Option<&'a str>) -> StoreCall<'a, Fetched>;

    /// The lock info of the item `lock_id` in the DynamoDB lock table
    /// `table`, read consistently; `None` when there is no such item (the
    /// lock is free).
    fn lock_item<'a>(&'a self, table: &'a str, lock_id: &'a str) -> StoreCall<'a, Option<Vec<u8>>>;
}

/// What a conditional read of an object found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fetched {
    /// Its ETag is still the one given.
    Unchanged,
    /// There is no object at the key.
    Missing,
    /// The object, and its ETag.
    Object {
        /// Its ETag, to read it again only once it changed.
        etag: Option<String>,
        /// Its bytes.
        body: Vec<u8>,
    },
}

/// The Terraform or OpenTofu states of a run, each read as it was last
/// read while it has not changed.
#[derive(Clone, Default)]
pub struct TerraformStates {
    /// Each state: raw state, `terraform show -json`, or plan JSON.
    pub locations: Vec<StateLocation>,
    /// The S3 backend's DynamoDB lock table, whose item for each state in
    /// S3 is a lock beside its `.tflock`.
    pub lock_table: Option<String>,
    /// Where states in S3 are read.
    store: Option<Arc<dyn StateStore>>,
    /// Each state as last read.
    read: Arc<Mutex<BTreeMap<StateLocation, StateRead>>>,
}

/// A state as read: what said it had not changed then, and its NACLs.
type StateRead = (Stamp, Arc<StateIntent>);

/// What says that a state has not changed since it was read.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Stamp {
    /// A file's modification time and length.
    File(SystemTime, u64),
    /// An object's ETag.
    ETag(String),
}

impl fmt::Debug for TerraformStates {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TerraformStates")
            .field("locations", &self.locations)
            .field("lock_table", &self.lock_table)
            .field("store", &self.store.is_some())
            .finish_non_exhaustive()
    }
}

impl TerraformStates {
    /// The states at `locations`, with the S3 backend's lock table if any.
    pub fn new(locations: Vec<StateLocation>, lock_table: Option<String>) -> Self {
        TerraformStates {
            locations,
            lock_table,
            ..TerraformStates::default()
        }
    }

    /// The same, reading states in S3 and their locks through `store`.
    pub fn reading_s3_through(self, store: impl StateStore + 'static) -> Self {
        TerraformStates {
            store: Some(Arc::new(store)),
            ..self
        }
    }

    /// The S3 backend's port, for the state `object`.
    fn store(&self, object: &S3Object) -> Result<&dyn StateStore, ReconcileError> {
        self.store
            .as_deref()
            .ok_or_else(|| ReconcileError::StateStore {
                what: format!("the Terraform state {object}"),
                source: "no AWS access was set up to read states in S3".into(),
            })
    }

    /// The NACLs of the state at `location`: as read before while it has
    /// not changed (the same modification time and length, or ETag), else
    /// read afresh. A NACL whose resources name no region takes the one
    /// region of `regions`, if there is one.
    pub async fn intent_of(
        &self,
        location: &StateLocation,
        regions: &[Region],
    ) -> Result<Arc<StateIntent>, ReconcileError> {
        let region = match regions {
            [region] => Some(region),
            _ => None,
        };
        let known = self.known(location);
        let (stamp, intent) = match location {
            StateLocation::Local(path) => {
                let stamp = std::fs::metadata(path)
                    .ok()
                    .and_then(|meta| Some(Stamp::File(meta.modified().ok()?, meta.len())));
                if let (Some(stamp), Some((seen, intent))) = (&stamp, known)
                    && *stamp == seen
                {
                    return Ok(intent);
                }
                (stamp, read_state(path, region)?)
            }
            StateLocation::S3(object) => {
                let etag = match &known {
                    Some((Stamp::ETag(etag), _)) => Some(etag.as_str()),
                    _ => None,
                };
                let fetched = self.store(object)?.get(object, etag).await;
                match fetched.map_err(|source| ReconcileError::StateStore {
                    what: format!("the Terraform state {object}"),
                    source,
                })? {
                    Fetched::Object { etag, body } => (
                        etag.map(Stamp::ETag),
                        parse_state(&object.to_string(), &body, region)?,
                    ),
                    Fetched::Missing => {
                        return Err(ReconcileError::StateMissing(object.to_string()));
                    }
                    Fetched::Unchanged => match known {
                        Some((_, intent)) => return Ok(intent),
                        None => {
                            return Err(ReconcileError::StateStore {
                                what: format!("the Terraform state {object}"),
                                source: "S3 answered 'not modified' to a first read".into(),
                            });
                        }
                    },
                }
            }
        };
        let intent = Arc::new(intent);
        let mut read = self.read.lock().unwrap_or_else(PoisonError::into_inner);
        match stamp {
            Some(stamp) => {
                read.insert(location.clone(), (stamp, Arc::clone(&intent)));
            }
            None => {
                read.remove(location);
            }
        }
        Ok(intent)
    }

    /// The state at `location` as last read, and what it was read at.
    fn known(&self, location: &StateLocation) -> Option<StateRead> {
        let read = self.read.lock().unwrap_or_else(PoisonError::into_inner);
        read.get(location)
            .map(|(stamp, intent)| (stamp.clone(), Arc::clone(intent)))
    }

    /// The lock a Terraform run holds on the state at `location`, if any:
    /// the local backend's, or in S3 its `.tflock` and its item in the lock
    /// table. A lock that cannot be read is an error, never free.
    pub async fn lock_of(
        &self,
        location: &StateLocation,
    ) -> Result<Option<StateLock>, ReconcileError> {
        let object = match location {
            StateLocation::Local(path) => return Ok(local_lock(path)?),
            StateLocation::S3(object) => object,
        };
        let store = self.store(object)?;
        let unknown = |what: String| move |source| ReconcileError::StateStore { what, source };
        let lock_file = object.lock_file();
        let held =
            |held, info: Option<&[u8]>| Some(StateLock::with_info(location.clone(), held, info));
        match store
            .get(&lock_file, None)
            .await
            .map_err(unknown(format!("Terraform's lock file {lock_file}")))?
        {
            Fetched::Missing => {}
            Fetched::Object { body, .. } => return Ok(held(HeldLock::LockFile, Some(&body))),
            Fetched::Unchanged => return Ok(held(HeldLock::LockFile, None)),
        }
        if let Some(table) = &self.lock_table {
            let item = store
                .lock_item(table, &object.lock_id())
                .await
                .map_err(unknown(format!(
                    "the lock of {object} in the DynamoDB table {table}"
                )))?;
            if let Some(info) = item {
                return Ok(held(HeldLock::LockTable(table.clone()), Some(&info)));
            }
        }
        Ok(None)
    }
}

/// The YAML baselines under a folder and the NACLs of Terraform or OpenTofu
/// states: a NACL a state holds is judged against that state, every other
/// against the baselines. A NACL held by both is refused, naming both.
#[derive(Clone, Debug, Default)]
pub struct WithTerraform {
    /// The baselines (the folder may hold none, or not be there).
    pub folder: BaselineFolder,
    /// The states; the guard reads the intent at every reconcile, and a
    /// state is parsed again only when it changed.
    pub states: TerraformStates,
}

impl WithTerraform {
    /// The baselines with the NACLs of `intents` (each state's, by where it
    /// is), of `regions` alone when not empty.
    fn with_states(
        &self,
        regions: &[Region],
        intents: Vec<(&StateLocation, Arc<StateIntent>)>,
    ) -> Result<Baselines, ReconcileError> {
        let dir = &self.folder.path;
        let (mut files, empty_regions) = match read_baseline_dir(dir, self.folder.cache.as_ref()) {
            Ok(files) => {
                let empty: Vec<(AccountId, Region)> = read_region_records(dir)?
                    .into_iter()
                    .map(|(_, record)| (record.account, record.region))
                    .collect();
                (files, empty)
            }
            // The states alone may be the intent.
            Err(BaselineError::NoFolder(_)) if !intents.is_empty() => (Vec::new(), Vec::new()),
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
        let mut from_states: Vec<(PathBuf, Baseline)> = Vec::new();
        let mut addresses = Addresses::default();
        let mut notes = Vec::new();
        for (location, intent) in &intents {
            if let Some((id, baseline)) = intent
                .acls
                .keys()
                .find_map(|id| in_baselines.get(id).map(|baseline| (id, baseline)))
            {
                return Err(ReconcileError::HeldByBoth {
                    network_acl_id: id.clone(),
                    baseline: baseline.to_path_buf(),
                    state: location.to_string(),
                    address: intent.acls[id].address.clone(),
                });
            }
            addresses.hold(intent);
            if !intent.changed_outside.is_empty() {
                notes.push(format!(
                    "{location}: the plan's refresh found {} changed outside Terraform; judged against its planned values",
                    intent.changed_outside.join(", ")
                ));
            }
            from_states.extend(
                intent
                    .baselines()
                    .into_iter()
                    .map(|baseline| (PathBuf::from(location.to_string()), baseline)),
            );
        }
        // Two states that hold one NACL or subnet, or a subnet both a state
        // and a baseline put on a NACL (the baselines alone were checked as
        // they were read).
        let any_from_states = !from_states.is_empty();
        files.extend(from_states);
        if any_from_states && let Some(error) = held_twice(&files).into_iter().next() {
            return Err(error.into());
        }
        let mut baselines = Baselines::of(dir, files, empty_regions)?.in_regions(regions)?;
        baselines.addresses = addresses;
        baselines.notes = notes;
        Ok(baselines)
    }
}

impl IntentSource for WithTerraform {
    fn location(&self) -> &Path {
        &self.folder.path
    }

    fn intent<'a>(&'a self, regions: &'a [Region]) -> IntentRead<'a, Baselines> {
        Box::pin(async move {
            let mut intents = Vec::new();
            for location in &self.states.locations {
                intents.push((location, self.states.intent_of(location, regions).await?));
            }
            self.with_states(regions, intents)
        })
    }

    fn lock(&self) -> IntentRead<'_, Option<StateLock>> {
        Box::pin(async move {
            for location in &self.states.locations {
                if let Some(lock) = self.states.lock_of(location).await? {
                    return Ok(Some(lock));
                }
            }
            Ok(None)
        })
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
    use std::collections::BTreeMap;
    use std::fs::File;
    use std::sync::{Arc, Mutex};

    use nacl_drift_terraform::{S3Object, StateLocation};

    use super::{
        BaselineFolder, Fetched, IntentSource, StateStore, StoreCall, TerraformStates,
        WithTerraform,
    };

    const STATE: &str = include_str!("../../../tests/fixtures/terraform/module-style.tfstate");

    fn with_states(locations: Vec<StateLocation>, lock_table: Option<&str>) -> WithTerraform {
        WithTerraform {
            folder: BaselineFolder::new("no-baselines"),
            states: TerraformStates::new(locations, lock_table.map(str::to_owned)),
        }
    }

    #[tokio::test]
    async fn a_local_state_is_parsed_again_only_once_it_changed() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("terraform.tfstate");
        std::fs::write(&path, STATE).expect("write the state");
        let intent = with_states(vec![StateLocation::Local(path.clone())], None);
        let first = intent.intent(&[]).await.expect("the state's intent");
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
        let again = intent.intent(&[]).await.expect("as read");
        assert_eq!(again.vpcs(), first.vpcs());

        // Changed: read again.
        std::fs::write(&path, "").expect("truncate");
        let error = intent.intent(&[]).await.expect_err("an empty state");
        assert!(
            error.to_string().contains("is not a Terraform state"),
            "{error}"
        );
    }

    /// A bucket and a lock table in memory, counting what is fetched whole.
    #[derive(Default)]
    struct Bucket {
        objects: Mutex<BTreeMap<String, (String, Vec<u8>)>>,
        items: Mutex<BTreeMap<String, Vec<u8>>>,
        bodies_sent: Mutex<usize>,
        failing: bool,
    }

    impl Bucket {
        fn put(&self, key: &str, etag: &str, body: &str) {
            let object = (etag.to_owned(), body.as_bytes().to_vec());
            self.objects
                .lock()
                .expect("the bucket")
                .insert(key.to_owned(), object);
        }
    }

    impl StateStore for Arc<Bucket> {
        fn get<'a>(
            &'a self,
            object: &'a S3Object,
            etag: Option<&'a str>,
        ) -> StoreCall<'a, Fetched> {
            Box::pin(async move {
                if self.failing {
                    return Err("AccessDenied: not yours".into());
                }
                let objects = self.objects.lock().expect("the bucket");
                Ok(match objects.get(&object.key) {
                    None => Fetched::Missing,
                    Some((now, _)) if Some(now.as_str()) == etag => Fetched::Unchanged,
                    Some((now, body)) => {
                        *self.bodies_sent.lock().expect("the bucket") += 1;
                        Fetched::Object {
                            etag: Some(now.clone()),
                            body: body.clone(),
                        }
                    }
                })
            })
        }

        fn lock_item<'a>(
            &'a self,
            _table: &'a str,
            lock_id: &'a str,
        ) -> StoreCall<'a, Option<Vec<u8>>> {
            Box::pin(
                async move { Ok(self.items.lock().expect("the bucket").get(lock_id).cloned()) },
            )
        }
    }

    fn in_s3(key: &str) -> StateLocation {
        StateLocation::S3(S3Object {
            bucket: "acme-tfstate".to_owned(),
            key: key.to_owned(),
        })
    }

    #[tokio::test]
    async fn a_state_in_s3_is_fetched_again_only_once_its_etag_changed() {
        let bucket = Arc::new(Bucket::default());
        bucket.put("env:/prod/terraform.tfstate", "\"v1\"", STATE);
        let key = "env:/prod/terraform.tfstate";
        let mut intent = with_states(vec![in_s3(key)], None);
        intent.states = intent.states.reading_s3_through(Arc::clone(&bucket));
        let first = intent.intent(&[]).await.expect("the state's intent");
        let again = intent.intent(&[]).await.expect("unchanged");
        assert_eq!(again.vpcs(), first.vpcs());
        assert_eq!(*bucket.bodies_sent.lock().expect("the bucket"), 1, "once");

        bucket.put(key, "\"v2\"", "{");
        let error = intent.intent(&[]).await.expect_err("changed, cut off");
        assert!(
            error.to_string().starts_with(
                "s3://acme-tfstate/env:/prod/terraform.tfstate is not a Terraform state"
            ),
            "{error}"
        );
        bucket.objects.lock().expect("the bucket").clear();
        let error = intent.intent(&[]).await.expect_err("gone");
        assert_eq!(
            error.to_string(),
            "the Terraform state s3://acme-tfstate/env:/prod/terraform.tfstate is not there: check the backend's bucket and key (a workspace's state is s3://BUCKET/env:/WORKSPACE/KEY)"
        );
    }

    #[tokio::test]
    async fn an_s3_state_is_locked_by_its_lock_file_or_its_table_item_and_unknown_is_never_free() {
        let bucket = Arc::new(Bucket::default());
        let key = "network/terraform.tfstate";
        bucket.put(key, "\"v1\"", STATE);
        let mut intent = with_states(vec![in_s3(key)], Some("terraform-locks"));
        intent.states = intent.states.reading_s3_through(Arc::clone(&bucket));
        assert_eq!(intent.lock().await.expect("read"), None);

        // The table's `-md5` item is a digest, not a lock.
        let digest = "acme-tfstate/network/terraform.tfstate-md5";
        bucket
            .items
            .lock()
            .expect("the bucket")
            .insert(digest.to_owned(), Vec::new());
        assert_eq!(intent.lock().await.expect("read"), None);

        let info = br#"{"Operation":"OperationTypeApply","Who":"alice@ci"}"#.to_vec();
        let lock_id = "acme-tfstate/network/terraform.tfstate";
        bucket
            .items
            .lock()
            .expect("the bucket")
            .insert(lock_id.to_owned(), info);
        let held = intent.lock().await.expect("read").expect("held");
        assert_eq!(
            held.to_string(),
            "Terraform's lock on s3://acme-tfstate/network/terraform.tfstate in the DynamoDB table terraform-locks (OperationTypeApply by alice@ci)"
        );
        bucket.items.lock().expect("the bucket").clear();
        bucket.put("network/terraform.tfstate.tflock", "\"l\"", "{}");
        let held = intent.lock().await.expect("read").expect("held");
        assert_eq!(
            held.to_string(),
            "Terraform's lock file s3://acme-tfstate/network/terraform.tfstate.tflock"
        );

        let mut denied = with_states(vec![in_s3(key)], None);
        let failing = Bucket {
            failing: true,
            ..Bucket::default()
        };
        denied.states = denied.states.reading_s3_through(Arc::new(failing));
        let error = denied.lock().await.expect_err("unknown");
        assert_eq!(
            error.to_string(),
            "cannot read Terraform's lock file s3://acme-tfstate/network/terraform.tfstate.tflock"
        );
        let no_store = with_states(vec![in_s3(key)], None);
        let error = no_store.intent(&[]).await.expect_err("no store");
        assert_eq!(
            error.to_string(),
            "cannot read the Terraform state s3://acme-tfstate/network/terraform.tfstate"
        );
    }
}
