//! `nacl-drift completions SHELL`: the shell completion script, generated
//! from the same definitions as the command line itself.

use anyhow::Result;
use clap::CommandFactory;
use clap_complete::Shell;

use crate::Cli;
use crate::exit_status::ExitStatus;
use nacl_drift_printer::Printer;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// The shell to complete for.
    #[arg(value_enum)]
    shell: Shell,
}

pub fn run(args: Args, printer: &mut Printer) -> Result<ExitStatus> {
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), "nacl-drift", &mut script);
    let mut script = String::from_utf8(script)?;
    if args.shell == Shell::Bash {
        // clap_complete's bash script names a subcommand's branch with the
        // binary's hyphen turned into `__subcmd__` (`nacl__subcmd__drift__
        // subcmd__diff`), but looks it up as `nacl__drift__subcmd__diff`:
        // no flag of any subcommand completes (clap-rs/clap#6421).
        script = script.replace("nacl__subcmd__drift__", "nacl__drift__");
    }
    printer.text(&script);
    Ok(ExitStatus::Success)
}
