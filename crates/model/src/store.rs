//! Baseline files on disk: `<dir>/<account>/<region>/<vpc-id>.yaml`.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::baseline::Baseline;
use crate::error::BaselineError;

/// The first lines of every baseline file.
const HEADER: &str = "# nacl-drift baseline: the reviewed state of this VPC's network ACLs.\n\
# Written by `nacl-drift snapshot`; check edits with `nacl-drift validate`.\n";

/// What writing a baseline did to the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WriteOutcome {
    Created,
    Updated,
    /// The file already held exactly these bytes, so it was not touched.
    Unchanged,
}

impl Baseline {
    /// Where this baseline lives, relative to the baseline directory.
    pub fn relative_path(&self) -> PathBuf {
        [
            &self.account,
            &self.region,
            &format!("{}.yaml", self.vpc_id),
        ]
        .iter()
        .collect()
    }

    /// The file's exact bytes.
    pub fn to_yaml(&self) -> String {
        let body = serde_yaml::to_string(self).expect("a baseline always serialises to YAML");
        format!("{HEADER}{body}")
    }

    /// Parses and validates a baseline; `path` only names it in errors.
    pub fn from_yaml(path: &Path, text: &str) -> Result<Baseline, BaselineError> {
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
    let text = fs::read_to_string(path).map_err(|source| BaselineError::Read {
        path: path.to_owned(),
        source,
    })?;
    let baseline = Baseline::from_yaml(path, &text)?;
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
/// parallel. The error is that of the first invalid file by path.
pub fn read_baseline_dir(dir: &Path) -> Result<Vec<(PathBuf, Baseline)>, BaselineError> {
    baseline_paths(dir)?
        .into_par_iter()
        .map(|path| read_baseline(&path).map(|baseline| (path, baseline)))
        .collect()
}

/// The baseline files under `dir`, sorted: `*.yaml` two folders down.
/// Anything else (a README, say) is not a baseline and is left alone.
pub fn baseline_paths(dir: &Path) -> Result<Vec<PathBuf>, BaselineError> {
    let mut paths = Vec::new();
    for account_dir in subfolders(dir)? {
        for region_dir in subfolders(&account_dir)? {
            paths.extend(yaml_files(&region_dir)?);
        }
    }
    paths.sort();
    Ok(paths)
}

/// The VPC ids that have a baseline file for `account` in `region`.
pub fn vpc_ids_with_baselines(
    dir: &Path,
    account: &str,
    region: &str,
) -> Result<Vec<String>, BaselineError> {
    let folder = dir.join(account).join(region);
    if !folder.is_dir() {
        return Ok(Vec::new());
    }
    let mut vpc_ids: Vec<String> = yaml_files(&folder)?
        .iter()
        .filter_map(|path| Some(path.file_stem()?.to_str()?.to_owned()))
        .collect();
    vpc_ids.sort();
    Ok(vpc_ids)
}

/// Deletes the baseline of a VPC, returning the path it had.
pub fn remove_baseline(
    dir: &Path,
    account: &str,
    region: &str,
    vpc_id: &str,
) -> Result<PathBuf, BaselineError> {
    let path = dir
        .join(account)
        .join(region)
        .join(format!("{vpc_id}.yaml"));
    fs::remove_file(&path).map_err(|source| BaselineError::Write {
        path: path.clone(),
        source,
    })?;
    Ok(path)
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

fn subfolders(folder: &Path) -> Result<Vec<PathBuf>, BaselineError> {
    let mut items = folder_items(folder)?;
    items.retain(|path| path.is_dir());
    Ok(items)
}

fn yaml_files(folder: &Path) -> Result<Vec<PathBuf>, BaselineError> {
    let mut items = folder_items(folder)?;
    items.retain(|path| path.is_file() && path.extension().is_some_and(|ext| ext == "yaml"));
    Ok(items)
}

/// Writes `baseline` under `dir` atomically (a temporary file in the same
/// folder, then a rename), and leaves a file that already holds the same
/// bytes untouched.
pub fn write_baseline(
    dir: &Path,
    baseline: &Baseline,
) -> Result<(PathBuf, WriteOutcome), BaselineError> {
    let path = dir.join(baseline.relative_path());
    let yaml = baseline.to_yaml();
    let outcome = match fs::read(&path) {
        Ok(existing) if existing == yaml.as_bytes() => return Ok((path, WriteOutcome::Unchanged)),
        Ok(_) => WriteOutcome::Updated,
        Err(error) if error.kind() == io::ErrorKind::NotFound => WriteOutcome::Created,
        Err(source) => return Err(BaselineError::Read { path, source }),
    };
    write_atomically(&path, yaml.as_bytes()).map_err(|source| BaselineError::Write {
        path: path.clone(),
        source,
    })?;
    Ok((path, outcome))
}

fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let folder = path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(folder)?;
    let mut temporary = tempfile::NamedTempFile::new_in(folder)?;
    temporary.write_all(bytes)?;
    temporary.as_file().sync_all()?;
    temporary.persist(path).map_err(|error| error.error)?;
    Ok(())
}
