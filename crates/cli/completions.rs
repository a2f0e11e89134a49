//! `nacl-drift completions SHELL`: the shell completion script, generated
//! from the same definitions as the command line itself.

use anyhow::Result;
use clap::CommandFactory;
use clap_complete::Shell;

use crate::Cli;
use crate::exit_status::ExitStatus;
use crate::printer::Printer;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The shell to complete for.
    #[arg(value_enum)]
    shell: Shell,
}

pub fn run(args: Args, printer: &mut Printer) -> Result<ExitStatus> {
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), "nacl-drift", &mut script);
    printer.text(&String::from_utf8(script)?);
    Ok(ExitStatus::Success)
}
