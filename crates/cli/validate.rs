//! `nacl-drift validate`: check baseline files without calling AWS.
//!
//! Every file is checked, and every invalid one reported, before the
//! command exits 1; CI and pre-commit hooks see all problems at once.

use std::path::PathBuf;

use anyhow::{Result, bail};
use nacl_drift_config::Config;
use nacl_drift_model::{
    BaselineError, baseline_paths, held_twice, read_baseline, read_region_records,
};
use rayon::prelude::*;

use crate::baseline_dir::BaselineDir;
use crate::exit_status::ExitStatus;
use nacl_drift_printer::{Printer, counted};

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    baselines: BaselineDir,

    /// Check only these files, or the baselines of these folders (default:
    /// every baseline in the folder).
    #[arg(value_name = "FILE")]
    files: Vec<PathBuf>,
}

pub fn run(args: Args, config: &Config, printer: &mut Printer) -> Result<ExitStatus> {
    let baseline_dir = args.baselines.resolve(config);
    let folders = if args.files.is_empty() {
        vec![baseline_dir.clone()]
    } else {
        args.files
            .iter()
            .filter(|path| path.is_dir())
            .cloned()
            .collect()
    };
    let mut paths: Vec<PathBuf> = args
        .files
        .into_iter()
        .filter(|path| !path.is_dir())
        .collect();
    let mut records = 0;
    let mut invalid = 0;
    for folder in &folders {
        paths.extend(baseline_paths(folder)?);
        match read_region_records(folder) {
            Ok(found) => records += found.len(),
            Err(error) => {
                printer.failure(&error);
                invalid += 1;
            }
        }
    }
    if paths.is_empty() && records == 0 && invalid == 0 {
        bail!("no baseline files in {}", baseline_dir.display());
    }
    let mut table = printer.table(["file", "NACLs", "entries", "subnets"]);
    let results: Vec<_> = paths.par_iter().map(|path| read_baseline(path)).collect();
    let mut valid = Vec::new();
    for (path, result) in paths.iter().zip(results) {
        match result {
            Ok(baseline) => {
                let acls = &baseline.network_acls;
                table.add_row([
                    Printer::cell(path.display().to_string()),
                    Printer::cell(acls.len().to_string()),
                    Printer::cell(
                        acls.iter()
                            .map(|acl| acl.entries.len())
                            .sum::<usize>()
                            .to_string(),
                    ),
                    Printer::cell(
                        acls.iter()
                            .map(|acl| acl.subnets.len())
                            .sum::<usize>()
                            .to_string(),
                    ),
                ]);
                valid.push((path.clone(), baseline));
            }
            Err(error) => {
                printer.failure(&error);
                invalid += 1;
            }
        }
    }
    let conflicts = held_twice(&valid);
    let mut conflicting = std::collections::BTreeSet::new();
    for error in conflicts {
        if let BaselineError::HeldTwice { path, .. } = &error {
            conflicting.insert(path.clone());
        }
        printer.failure(&error);
    }
    invalid += conflicting.len();
    if invalid > 0 {
        bail!(
            "{invalid} of {} {} invalid",
            counted(paths.len(), "baseline file", "baseline files"),
            if invalid == 1 { "is" } else { "are" }
        );
    }
    if !paths.is_empty() {
        printer.print_table(table);
    }
    let records = if records > 0 {
        format!(
            ", and {} of a region that held no VPC",
            counted(records, "record", "records")
        )
    } else {
        String::new()
    };
    printer.line(format!(
        "{} {} valid{records}",
        counted(paths.len(), "baseline file", "baseline files"),
        if paths.len() == 1 { "is" } else { "are" }
    ));
    Ok(ExitStatus::Success)
}
