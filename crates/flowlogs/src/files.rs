//! The flow log files under a folder, and what their names say: S3 names
//! each file `<account>_vpcflowlogs_<region>_<flow-log-id>_<YYYYMMDDTHHmmZ>_<hash>.log.gz`,
//! so files of another account-region, or written far from every window,
//! are passed over unread. The time in a name is no filter of its records
//! (they are selected by their own start and end), only of files, with a
//! margin.

use std::path::{Path, PathBuf};

use crate::{FlowLogError, Query, Unreadable};

/// How far from every window a file's name may put it and still be read:
/// records arrive late, and the guide has said two things of the time in
/// a name.
const MARGIN: i64 = 3_600;

/// What a file's name says, when it is S3's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Named<'a> {
    pub(crate) account: &'a str,
    pub(crate) region: &'a str,
    pub(crate) at: i64,
}

/// Reads S3's file name; `None` for any other name.
pub(crate) fn named(path: &Path) -> Option<Named<'_>> {
    let name = path.file_name()?.to_str()?;
    let mut parts = name.split('_');
    let account = parts.next()?;
    (parts.next()? == "vpcflowlogs").then_some(())?;
    let region = parts.next()?;
    let _flow_log = parts.next()?;
    let stamp = parts.next()?;
    let digits = |range: std::ops::Range<usize>| {
        stamp
            .get(range)
            .filter(|d| d.bytes().all(|b| b.is_ascii_digit()))
    };
    let time = format!(
        "{}-{}-{}T{}:{}:00Z",
        digits(0..4)?,
        digits(4..6)?,
        digits(6..8)?,
        digits(9..11)?,
        digits(11..13)?
    );
    let at = humantime::parse_rfc3339(&time).ok()?;
    let at = at.duration_since(std::time::UNIX_EPOCH).ok()?.as_secs();
    Some(Named {
        account,
        region,
        at: i64::try_from(at).ok()?,
    })
}

/// Whether a file so named may hold a record of some query.
pub(crate) fn may_hold(named: &Named, queries: &[Query]) -> bool {
    queries.iter().any(|query| {
        query.account.as_str() == named.account
            && query.region.as_str() == named.region
            && named.at + MARGIN >= query.from
            && named.at - MARGIN <= query.until
    })
}

/// The files under `root` (or `root` itself), sorted; those that are no
/// flow log files go to the second list, with why.
pub(crate) fn list(root: &Path) -> Result<(Vec<PathBuf>, Vec<Unreadable>), FlowLogError> {
    let folder = |source| FlowLogError::Folder {
        path: root.to_owned(),
        source,
    };
    let mut files = Vec::new();
    let mut others = Vec::new();
    let mut folders = vec![root.to_owned()];
    if !std::fs::metadata(root).map_err(folder)?.is_dir() {
        folders.clear();
        files.push(root.to_owned());
    }
    while let Some(dir) = folders.pop() {
        for entry in std::fs::read_dir(&dir).map_err(folder)? {
            let entry = entry.map_err(folder)?;
            let path = entry.path();
            let name = path
                .file_name()
                .and_then(|name| name.to_str())
                .unwrap_or("");
            // A link to a folder is not followed: a link back up would
            // walk for ever.
            let link = entry.file_type().map_err(folder)?.is_symlink();
            if path.is_dir() && link {
                others.push(Unreadable {
                    path,
                    why: "a link to a folder: not followed".to_owned(),
                });
            } else if path.is_dir() {
                folders.push(path);
            } else if name.ends_with(".log.gz") || name.ends_with(".log") {
                files.push(path);
            } else {
                let why = if name.ends_with(".parquet") {
                    "Parquet flow logs are not read: deliver them as plain text (the default)"
                } else {
                    "not a flow log file (*.log.gz or *.log)"
                };
                others.push(Unreadable {
                    path,
                    why: why.to_owned(),
                });
            }
        }
    }
    files.sort();
    others.sort_by(|a, b| a.path.cmp(&b.path));
    Ok((files, others))
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::named;

    #[test]
    fn a_link_back_up_the_tree_is_named_not_followed() {
        let dir = tempfile::tempdir().expect("a folder");
        let day = dir.path().join("AWSLogs/2026/12/06");
        std::fs::create_dir_all(&day).expect("made");
        std::fs::write(day.join("flows.log"), "").expect("written");
        std::os::unix::fs::symlink(dir.path(), day.join("loop")).expect("a link");
        let (files, others) = super::list(dir.path()).expect("listed");
        assert_eq!(files, [day.join("flows.log")]);
        assert_eq!(others.len(), 1);
        assert_eq!(others[0].why, "a link to a folder: not followed");
    }

    #[test]
    fn s3s_file_name_gives_the_account_region_and_time() {
        let path = Path::new(
            "AWSLogs/123456789012/vpcflowlogs/us-east-1/2018/06/20/123456789012_vpcflowlogs_us-east-1_fl-1234abcd_20180620T1620Z_fe123456.log.gz",
        );
        let name = named(path).expect("S3's name");
        assert_eq!(name.account, "123456789012");
        assert_eq!(name.region, "us-east-1");
        assert_eq!(name.at, 1_529_511_600);
        assert_eq!(named(Path::new("flows.log")), None);
        assert_eq!(
            named(Path::new("1_vpcflowlogs_r_fl-1_2018062XT1620Z_x.log")),
            None
        );
    }
}
