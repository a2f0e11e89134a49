//! A region a snapshot read that held no VPC of an account:
//! `<account>/<region>/no-vpcs.yaml`. It keeps the region in the
//! baselines' scope, so that a VPC made there later is drift
//! (`network_acl_added`), and `diff` compares instead of asking for a
//! snapshot.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::baseline::{SchemaVersion, Scope};
use crate::error::BaselineError;
use crate::ids::{AccountId, Region};
use crate::limits::{MAX_YAML_BYTES, check_yaml, read_bounded};
use crate::store::{WriteOutcome, path_inside, subfolders, write_if_changed};

/// The name of a region record in its region's folder.
pub const NO_VPCS_FILE: &str = "no-vpcs.yaml";

const HEADER: &str = "# nacl-drift: this region was read and held no VPC of this account. A VPC\n\
# made here later is drift. Written by `nacl-drift snapshot`, which removes it\n\
# when the region holds a VPC again.\n";

/// A region that held no VPC of `account` when a snapshot read it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegionRecord {
    schema_version: SchemaVersion,
    /// The account.
    pub account: AccountId,
    /// The region.
    pub region: Region,
    /// What the snapshot looked at: its regions, with no VPC filter.
    pub scope: Scope,
}

impl RegionRecord {
    /// The record of `region`, read by a snapshot of `scope`.
    pub fn new(account: AccountId, region: Region, scope: Scope) -> Self {
        RegionRecord {
            schema_version: SchemaVersion,
            account,
            region,
            scope,
        }
    }

    /// `<account>/<region>/no-vpcs.yaml`.
    pub fn relative_path(&self) -> PathBuf {
        relative_path(&self.account, &self.region)
    }

    /// The file's exact bytes.
    pub fn to_yaml(&self) -> String {
        let body = serde_yaml::to_string(self).expect("a region record always serialises");
        format!("{HEADER}{body}")
    }

    fn from_yaml(path: &Path, text: &str) -> Result<RegionRecord, BaselineError> {
        check_yaml(text).map_err(|message| BaselineError::invalid(path.to_owned(), message))?;
        let record: RegionRecord = serde_yaml::from_str(text)
            .map_err(|error| BaselineError::from_yaml(path.to_owned(), &error))?;
        let invalid = |message: String| Err(BaselineError::invalid(path.to_owned(), message));
        if !record.scope.regions.contains(&record.region) {
            return invalid(format!(
                "scope.regions does not include this file's region `{}`",
                record.region
            ));
        }
        if record.scope.vpc_ids.is_some() {
            return invalid(
                "a region record covers every VPC of its region: it has no scope.vpc_ids"
                    .to_owned(),
            );
        }
        if !path.ends_with(record.relative_path()) {
            return invalid(format!(
                "holds account {}, region {}, so it belongs at <baseline-dir>/{}",
                record.account,
                record.region,
                record.relative_path().display()
            ));
        }
        Ok(record)
    }
}

fn relative_path(account: &AccountId, region: &Region) -> PathBuf {
    [account.as_str(), region.as_str(), NO_VPCS_FILE]
        .iter()
        .collect()
}

/// Every region record under `dir`, sorted by path; an error names the
/// first invalid one.
pub fn read_region_records(dir: &Path) -> Result<Vec<(PathBuf, RegionRecord)>, BaselineError> {
    let mut records = Vec::new();
    if !dir.exists() {
        return Err(BaselineError::NoFolder(dir.to_owned()));
    }
    for account_dir in subfolders(dir)? {
        for region_dir in subfolders(&account_dir)? {
            let path = region_dir.join(NO_VPCS_FILE);
            if !path.is_file() {
                continue;
            }
            let text =
                read_bounded(&path, MAX_YAML_BYTES).map_err(|source| BaselineError::Read {
                    path: path.clone(),
                    source,
                })?;
            let record = RegionRecord::from_yaml(&path, &text)?;
            records.push((path, record));
        }
    }
    records.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(records)
}

/// Writes `record` under `dir`, unless the file holds it already.
pub fn write_region_record(
    dir: &Path,
    record: &RegionRecord,
) -> Result<(PathBuf, WriteOutcome), BaselineError> {
    let path = path_inside(dir, &record.relative_path())?;
    let outcome = write_if_changed(&path, record.to_yaml().as_bytes())?;
    Ok((path, outcome))
}

/// Removes the record of `account` in `region`, if there is one: the
/// region holds a VPC again.
pub fn remove_region_record(
    dir: &Path,
    account: &AccountId,
    region: &Region,
) -> Result<Option<PathBuf>, BaselineError> {
    let path = path_inside(dir, &relative_path(account, region))?;
    match fs::remove_file(&path) {
        Ok(()) => Ok(Some(path)),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(BaselineError::Write { path, source }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_round_trips_and_must_sit_where_it_says() {
        let dir = tempfile::tempdir().expect("temp dir");
        let region = Region::parse("ap-south-1").expect("region");
        let record = RegionRecord::new(
            AccountId::parse("111122223333").expect("account"),
            region.clone(),
            Scope {
                regions: [region].into(),
                vpc_ids: None,
            },
        );
        let (path, outcome) = write_region_record(dir.path(), &record).expect("write");
        assert_eq!(outcome, WriteOutcome::Created);
        let (_, again) = write_region_record(dir.path(), &record).expect("write");
        assert_eq!(again, WriteOutcome::Unchanged);
        assert_eq!(
            read_region_records(dir.path()).expect("read"),
            vec![(path.clone(), record.clone())]
        );
        let elsewhere = dir.path().join("111122223333/eu-west-1");
        fs::create_dir_all(&elsewhere).expect("mkdir");
        fs::rename(&path, elsewhere.join(NO_VPCS_FILE)).expect("move");
        let error = read_region_records(dir.path()).expect_err("misplaced");
        assert!(error.to_string().contains("so it belongs at"), "{error}");
        assert_eq!(
            remove_region_record(dir.path(), &record.account, &record.region).expect("remove"),
            None
        );
    }
}
