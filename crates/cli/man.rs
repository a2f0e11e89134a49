//! `nacl-drift man [SUBCOMMAND]`: the manual page in roff, generated from
//! the same definitions as the command line itself.

use anyhow::{Result, bail};
use clap::CommandFactory;

use crate::Cli;
use crate::exit_status::ExitStatus;
use nacl_drift_printer::Printer;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// A subcommand's page (`nacl-drift-diff(1)`) instead of the main one.
    #[arg(value_name = "SUBCOMMAND")]
    subcommand: Option<String>,
}

pub fn run(args: Args, printer: &mut Printer) -> Result<ExitStatus> {
    let command = Cli::command();
    let page = match &args.subcommand {
        None => command,
        Some(name) => {
            let Some(subcommand) = command.find_subcommand(name) else {
                let names: Vec<&str> = command
                    .get_subcommands()
                    .filter(|subcommand| !subcommand.is_hide_set())
                    .map(clap::Command::get_name)
                    .collect();
                bail!(
                    "`{}` is not a subcommand of nacl-drift: expected one of {}",
                    nacl_drift_model::sanitize::cut(name),
                    names.join(", ")
                );
            };
            // The subcommand's own name, also when an alias named it.
            let page_name = format!("nacl-drift-{}", subcommand.get_name());
            subcommand.clone().name(page_name)
        }
    };
    let mut roff = Vec::new();
    clap_mangen::Man::new(page).render(&mut roff)?;
    printer.text(&String::from_utf8(roff)?);
    Ok(ExitStatus::Success)
}
