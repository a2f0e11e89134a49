//! Baseline files on disk: `<dir>/<account>/<region>/<vpc-id>.yaml`.

use std::collections::HashMap;
use std::fs;
use std::io::{self, Write};
use std::path::{Component, Path, PathBuf};

use rayon::prelude::*;

use crate::baseline::Baseline;
use crate::error::BaselineError;
use crate::ids::{AccountId, NetworkAclId, Region, SubnetId, VpcId};
use crate::labels::{AclNotes, SubnetLabels, labels_in, with_labels};
use crate::limits::{MAX_YAML_BYTES, check_yaml, read_bounded};
use crate::parse_cache::ParseCache;
use crate::region_record::NO_VPCS_FILE;
use crate::yaml11::quote_tags;

/// The first lines of every baseline file.
const HEADER: &str = "# nacl-drift baseline: the reviewed state of this VPC's network ACLs.\n\
# Written by `nacl-drift snapshot`; check edits with `nacl-drift validate`.\n";

/// What writing a baseline did to the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WriteOutcome {
    /// The file did not exist.
    Created,
    /// The file held other bytes.
    Updated,
    /// The file already held exactly these bytes, so it was not touched.
    Unchanged,
}

impl Baseline {
    /// Where this baseline lives, relative to the baseline directory.
    pub fn relative_path(&self) -> PathBuf {
        relative_path(&self.account, &self.region, &self.vpc_id)
    }

    /// The file's exact bytes, without labels.
    pub fn to_yaml(&self) -> String {
        let body = serde_yaml::to_string(self).expect("a baseline always serialises to YAML");
        format!("{HEADER}{}", quote_tags(&body))
    }

    /// The file's exact bytes as snapshot writes them: each NACL's Name
    /// and each subnet's label beside its id ([`crate::labels`]).
    pub fn to_labelled_yaml(&self, labels: &SubnetLabels) -> String {
        self.to_noted_yaml(labels, &AclNotes::new())
    }

    /// The same, with `notes` after the NACLs' Names.
    pub fn to_noted_yaml(&self, labels: &SubnetLabels, notes: &AclNotes) -> String {
        with_labels(&self.to_yaml(), self, labels, notes)
    }

    /// Parses and validates a baseline; `path` only names it in errors.
    pub fn from_yaml(path: &Path, text: &str) -> Result<Baseline, BaselineError> {
        check_yaml(text).map_err(|message| BaselineError::invalid(path.to_owned(), message))?;
        let baseline: Baseline = serde_yaml::from_str(text)
            .map_err(|error| BaselineError::from_yaml(path.to_owned(), &error))?;
        baseline
            .check()
            .map_err(|message| BaselineError::invalid(path.to_owned(), message))?;
        Ok(baseline)
    }
}

/// Reads and validates one baseline file. The file must sit where its own
/// account, region and VPC put it: `.../<account>/<region>/<vpc-id>.yaml`.
pub fn read_baseline(path: &Path) -> Result<Baseline, BaselineError> {
    read_baseline_through(path, None)
}

/// [`read_baseline`], taking the parse from `cache` when it holds one of
/// these bytes.
fn read_baseline_through(
    path: &Path,
    cache: Option<&ParseCache>,
) -> Result<Baseline, BaselineError> {
    let text = read_bounded(path, MAX_YAML_BYTES).map_err(|source| BaselineError::Read {
        path: path.to_owned(),
        source,
    })?;
    let baseline = match cache {
        Some(cache) => cache.parse(path, &text)?,
        None => Baseline::from_yaml(path, &text)?,
    };
    let expected = baseline.relative_path();
    if !path.ends_with(&expected) {
        return Err(BaselineError::invalid(
            path.to_owned(),
            format!(
                "holds account {}, region {}, VPC {}, so it belongs at <baseline-dir>/{}",
                baseline.account,
                baseline.region,
                baseline.vpc_id,
                expected.display()
            ),
        ));
    }
    Ok(baseline)
}

/// Reads every baseline under `dir`, sorted by path, parsing files in
/// parallel, or taking their parses from `cache`. The error is that of the
/// first invalid file by path, else the first NACL or subnet that two
/// files hold ([`held_twice`]).
pub fn read_baseline_dir(
    dir: &Path,
    cache: Option<&ParseCache>,
) -> Result<Vec<(PathBuf, Baseline)>, BaselineError> {
    let files: Vec<(PathBuf, Baseline)> = baseline_paths(dir)?
        .into_par_iter()
        .map(|path| read_baseline_through(&path, cache).map(|baseline| (path, baseline)))
        .collect::<Result<_, _>>()?;
    match held_twice(&files).into_iter().next() {
        Some(error) => Err(error),
        None => Ok(files),
    }
}

/// Each NACL id and subnet id that a second file holds too, as the error
/// of that file: a file speaks for its own VPC alone, so two files that
/// name the same NACL or subnet would undo each other's restores.
pub fn held_twice(files: &[(PathBuf, Baseline)]) -> Vec<BaselineError> {
    /// What a file holds that no other may: named only for an error.
    #[derive(PartialEq, Eq, Hash)]
    enum Held<'a> {
        Acl(&'a NetworkAclId),
        Subnet(&'a SubnetId),
    }
    let mut holders: HashMap<Held, &Path> = HashMap::new();
    let mut errors = Vec::new();
    for (path, baseline) in files {
        for acl in &baseline.network_acls {
            let held =
                std::iter::once(Held::Acl(&acl.id)).chain(acl.subnets.iter().map(Held::Subnet));
            for what in held {
                match holders.get(&what) {
                    Some(other) => errors.push(BaselineError::HeldTwice {
                        path: path.clone(),
                        what: match what {
                            Held::Acl(id) => format!("network ACL {id}"),
                            Held::Subnet(id) => format!("subnet {id}"),
                        },
                        other: other.to_path_buf(),
                    }),
                    None => {
                        holders.insert(what, path);
                    }
                }
            }
        }
    }
    errors
}

/// The baseline files under `dir`, sorted: `*.yaml` two folders down, but
/// the region records ([`crate::region_record`]). Anything else (a README,
/// say) is not a baseline and is left alone.
pub fn baseline_paths(dir: &Path) -> Result<Vec<PathBuf>, BaselineError> {
    if !dir.exists() {
        return Err(BaselineError::NoFolder(dir.to_owned()));
    }
    let mut paths = Vec::new();
    for account_dir in subfolders(dir)? {
        for region_dir in subfolders(&account_dir)? {
            paths.extend(yaml_files(&region_dir)?);
        }
    }
    paths.sort();
    Ok(paths)
}

/// The VPC ids that have a baseline file for `account` in `region`. A
/// `.yaml` file whose name is not a VPC id is no baseline of a VPC, and is
/// left out (validate reports it).
pub fn vpc_ids_with_baselines(
    dir: &Path,
    account: &AccountId,
    region: &Region,
) -> Result<Vec<VpcId>, BaselineError> {
    let folder = dir.join(account.as_str()).join(region.as_str());
    if !folder.is_dir() {
        return Ok(Vec::new());
    }
    let mut vpc_ids: Vec<VpcId> = yaml_files(&folder)?
        .iter()
        .filter_map(|path| VpcId::parse(path.file_stem()?.to_str()?).ok())
        .collect();
    vpc_ids.sort();
    Ok(vpc_ids)
}

/// Where the baseline of a VPC is under `dir`, whether or not it exists.
pub fn baseline_path(
    dir: &Path,
    account: &AccountId,
    region: &Region,
    vpc_id: &VpcId,
) -> Result<PathBuf, BaselineError> {
    path_inside(dir, &relative_path(account, region, vpc_id))
}

/// Deletes the baseline of a VPC, returning the path it had.
pub fn remove_baseline(
    dir: &Path,
    account: &AccountId,
    region: &Region,
    vpc_id: &VpcId,
) -> Result<PathBuf, BaselineError> {
    let path = baseline_path(dir, account, region, vpc_id)?;
    fs::remove_file(&path).map_err(|source| BaselineError::Write {
        path: path.clone(),
        source,
    })?;
    Ok(path)
}

/// `<account>/<region>/<vpc-id>.yaml`.
fn relative_path(account: &AccountId, region: &Region, vpc_id: &VpcId) -> PathBuf {
    [account.as_str(), region.as_str(), &format!("{vpc_id}.yaml")]
        .iter()
        .collect()
}

/// `dir` joined with `relative`, when that path is strictly inside `dir`:
/// `relative` is only plain names (no `..`, no root, no prefix), and no
/// folder between `dir` and the file is a symbolic link that could lead
/// elsewhere. The ids in a path are valid by construction; this is the
/// second line of defence, whatever a caller passes.
pub(crate) fn path_inside(dir: &Path, relative: &Path) -> Result<PathBuf, BaselineError> {
    let outside = || BaselineError::OutsideDir {
        path: dir.join(relative),
        dir: dir.to_owned(),
    };
    let names: Vec<_> = relative.components().collect();
    if names.is_empty()
        || !names
            .iter()
            .all(|name| matches!(name, Component::Normal(_)))
    {
        return Err(outside());
    }
    let mut folder = dir.to_owned();
    for name in &names[..names.len() - 1] {
        folder.push(name);
        if fs::symlink_metadata(&folder).is_ok_and(|meta| meta.file_type().is_symlink()) {
            return Err(outside());
        }
    }
    Ok(dir.join(relative))
}

fn read_error(path: &Path) -> impl FnOnce(io::Error) -> BaselineError {
    let path = path.to_owned();
    move |source| BaselineError::Read { path, source }
}

fn folder_items(folder: &Path) -> Result<Vec<PathBuf>, BaselineError> {
    fs::read_dir(folder)
        .map_err(read_error(folder))?
        .map(|item| item.map(|item| item.path()).map_err(read_error(folder)))
        .collect()
}

pub(crate) fn subfolders(folder: &Path) -> Result<Vec<PathBuf>, BaselineError> {
    let mut items = folder_items(folder)?;
    items.retain(|path| path.is_dir());
    Ok(items)
}

/// The `.yaml` files of `folder` but its region record.
fn yaml_files(folder: &Path) -> Result<Vec<PathBuf>, BaselineError> {
    let mut items = folder_items(folder)?;
    items.retain(|path| {
        path.is_file()
            && path.extension().is_some_and(|ext| ext == "yaml")
            && path.file_name().is_some_and(|name| name != NO_VPCS_FILE)
    });
    Ok(items)
}

/// Writes `baseline` under `dir` atomically (a temporary file in the same
/// folder, then a rename), and leaves untouched a file that already holds
/// the same bytes, or differs only in `scope.regions` while still naming
/// this region: a snapshot of fewer regions than the last one does not
/// rewrite a file just to record that.
///
/// The file's subnets carry their `labels`; a subnet with none here keeps
/// the label the file gave it.
pub fn write_baseline(
    dir: &Path,
    baseline: &Baseline,
    labels: &SubnetLabels,
) -> Result<(PathBuf, WriteOutcome), BaselineError> {
    write_noted_baseline(dir, baseline, labels, &AclNotes::new())
}

/// The same, with `notes` after the NACLs' Names (their Terraform
/// addresses).
pub fn write_noted_baseline(
    dir: &Path,
    baseline: &Baseline,
    labels: &SubnetLabels,
    notes: &AclNotes,
) -> Result<(PathBuf, WriteOutcome), BaselineError> {
    let path = path_inside(dir, &baseline.relative_path())?;
    let existing = existing_bytes(&path)?;
    let mut labels_kept = existing
        .as_deref()
        .map(|bytes| labels_in(&String::from_utf8_lossy(bytes)))
        .unwrap_or_default();
    labels_kept.extend(labels.iter().map(|(id, label)| (id.clone(), label.clone())));
    let yaml = baseline.to_noted_yaml(&labels_kept, notes);
    if let Some(existing) = &existing
        && existing != yaml.as_bytes()
        && same_but_for_regions(&path, existing, baseline, (&labels_kept, notes))
    {
        return Ok((path, WriteOutcome::Unchanged));
    }
    let outcome = write_over(&path, yaml.as_bytes(), existing.as_deref())?;
    Ok((path, outcome))
}

/// Writes `bytes` to `path` atomically, unless the file holds them already.
pub(crate) fn write_if_changed(path: &Path, bytes: &[u8]) -> Result<WriteOutcome, BaselineError> {
    write_over(path, bytes, existing_bytes(path)?.as_deref())
}

/// The bytes of the file at `path`; `None` when there is none.
fn existing_bytes(path: &Path) -> Result<Option<Vec<u8>>, BaselineError> {
    match fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(BaselineError::Read {
            path: path.to_owned(),
            source,
        }),
    }
}

/// Writes `bytes` over the file that held `existing`, unless they are
/// the same.
fn write_over(
    path: &Path,
    bytes: &[u8],
    existing: Option<&[u8]>,
) -> Result<WriteOutcome, BaselineError> {
    let outcome = match existing {
        Some(existing) if existing == bytes => return Ok(WriteOutcome::Unchanged),
        Some(_) => WriteOutcome::Updated,
        None => WriteOutcome::Created,
    };
    write_atomically(path, bytes, Kept::Reviewed).map_err(|source| BaselineError::Write {
        path: path.to_owned(),
        source,
    })?;
    Ok(outcome)
}

/// Whether the file's `existing` bytes are `baseline` but for the regions
/// of its scope, which still name the baseline's region.
fn same_but_for_regions(
    path: &Path,
    existing: &[u8],
    baseline: &Baseline,
    (labels, notes): (&SubnetLabels, &AclNotes),
) -> bool {
    let Some(written) = std::str::from_utf8(existing)
        .ok()
        .and_then(|text| Baseline::from_yaml(path, text).ok())
    else {
        return false;
    };
    if !written.scope.regions.contains(&baseline.region) {
        return false;
    }
    let mut widened = baseline.clone();
    widened.scope.regions = written.scope.regions;
    widened.to_noted_yaml(labels, notes).as_bytes() == existing
}

/// What a file written atomically is, which decides its mode and whether
/// it is synced to disk.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kept {
    /// A file people review: a new one gets the mode any file the user
    /// creates gets (0666 less the umask), a replaced one keeps its mode;
    /// synced to disk before the rename.
    Reviewed,
    /// A cache's: mode 0600, the user's alone; not synced (a torn entry is
    /// only a miss).
    Cached,
}

/// Writes through a temporary file (`.tmp…`) in the same folder, then a
/// rename, so that a reader sees all of it or none.
pub(crate) fn write_atomically(path: &Path, bytes: &[u8], kept: Kept) -> io::Result<()> {
    let folder = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(folder)?;
    let mut builder = tempfile::Builder::new();
    #[cfg(unix)]
    if kept == Kept::Reviewed {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(fs::Permissions::from_mode(0o666));
    }
    let mut temporary = builder.tempfile_in(folder)?;
    let existing = fs::metadata(path).ok().filter(|_| kept == Kept::Reviewed);
    if let Some(existing) = existing {
        temporary
            .as_file()
            .set_permissions(existing.permissions())?;
    }
    temporary.write_all(bytes)?;
    if kept == Kept::Reviewed {
        temporary.as_file().sync_all()?;
    }
    temporary.persist(path).map_err(|error| error.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::baseline::Scope;

    fn baseline() -> Baseline {
        let region = Region::parse("us-east-1").expect("region");
        Baseline::new(
            AccountId::parse("111122223333").expect("account"),
            region.clone(),
            VpcId::parse("vpc-0prod").expect("VPC id"),
            Scope {
                regions: [region].into(),
                vpc_ids: None,
            },
            Vec::new(),
        )
    }

    #[test]
    fn only_plain_names_below_the_directory() {
        let dir = Path::new("/tmp/baselines");
        for outside in ["../x.yaml", "/etc/x.yaml", "a/../../x.yaml", "./x.yaml", ""] {
            assert!(
                matches!(
                    path_inside(dir, Path::new(outside)),
                    Err(BaselineError::OutsideDir { .. })
                ),
                "{outside}"
            );
        }
        assert_eq!(
            path_inside(dir, Path::new("a/b/c.yaml")).expect("inside"),
            dir.join("a/b/c.yaml")
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_folder_that_links_elsewhere_is_refused_and_nothing_is_written() {
        let root = tempfile::tempdir().expect("temp dir");
        let dir = root.path().join("baselines");
        let elsewhere = root.path().join("elsewhere");
        fs::create_dir_all(&dir).expect("mkdir");
        fs::create_dir_all(&elsewhere).expect("mkdir");
        std::os::unix::fs::symlink(&elsewhere, dir.join("111122223333")).expect("symlink");

        let error =
            write_baseline(&dir, &baseline(), &SubnetLabels::new()).expect_err("through a link");
        assert_eq!(
            error.to_string(),
            format!(
                "refusing to write {}: it is not strictly inside the baseline directory {}",
                dir.join("111122223333/us-east-1/vpc-0prod.yaml").display(),
                dir.display()
            )
        );
        assert_eq!(fs::read_dir(&elsewhere).expect("read").count(), 0);
        let baseline = baseline();
        let removed = remove_baseline(&dir, &baseline.account, &baseline.region, &baseline.vpc_id);
        assert!(matches!(removed, Err(BaselineError::OutsideDir { .. })));
    }

    #[test]
    fn fewer_regions_in_the_scope_alone_rewrite_nothing() {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut wide = baseline();
        wide.scope
            .regions
            .insert(Region::parse("eu-west-1").expect("region"));
        let (path, _) = write_baseline(dir.path(), &wide, &SubnetLabels::new()).expect("write");
        let before = fs::read(&path).expect("read");
        let narrow = baseline();
        let (_, outcome) =
            write_baseline(dir.path(), &narrow, &SubnetLabels::new()).expect("write");
        assert_eq!(outcome, WriteOutcome::Unchanged);
        assert_eq!(fs::read(&path).expect("read"), before);
        // Any other difference writes the file, with the new scope.
        let mut filtered = baseline();
        filtered.scope.vpc_ids = Some([filtered.vpc_id.clone()].into());
        let (_, outcome) =
            write_baseline(dir.path(), &filtered, &SubnetLabels::new()).expect("write");
        assert_eq!(outcome, WriteOutcome::Updated);
        assert_eq!(
            fs::read(&path).expect("read"),
            filtered.to_yaml().as_bytes()
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_replaced_file_keeps_its_mode() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("temp dir");
        let mut baseline = baseline();
        let (path, _) = write_baseline(dir.path(), &baseline, &SubnetLabels::new()).expect("write");
        fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).expect("chmod");
        baseline.scope.vpc_ids = Some([baseline.vpc_id.clone()].into());
        let (_, outcome) =
            write_baseline(dir.path(), &baseline, &SubnetLabels::new()).expect("write");
        assert_eq!(outcome, WriteOutcome::Updated);
        let mode = fs::metadata(&path).expect("stat").permissions().mode();
        assert_eq!(mode & 0o777, 0o640);
    }
}
