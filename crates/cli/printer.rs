//! All user-facing output: tables and lines on stdout, errors on stderr.

use std::io::{self, IsTerminal, Write};

use comfy_table::{ContentArrangement, Table, presets};

/// Writes command output to stdout. Tables are sized to the terminal when
/// there is one, and drawn in plain ASCII-safe borders otherwise.
pub struct Printer {
    out: io::Stdout,
}

impl Printer {
    pub fn stdout() -> Self {
        Printer { out: io::stdout() }
    }

    /// A table with nacl-drift's look and the given header.
    pub fn table<I, S>(&self, header: I) -> Table
    where
        I: IntoIterator<Item = S>,
        S: Into<comfy_table::Cell>,
    {
        let mut table = Table::new();
        table.load_preset(presets::UTF8_FULL_CONDENSED);
        if self.out.is_terminal() {
            table.set_content_arrangement(ContentArrangement::Dynamic);
        }
        table.set_header(header);
        table
    }

    pub fn print_table(&mut self, table: &Table) {
        self.line(table.to_string());
    }

    pub fn line(&mut self, text: impl AsRef<str>) {
        // A closed pipe (`| head`) is not worth a panic.
        let _ = writeln!(self.out, "{}", text.as_ref());
    }
}

/// Prints an error as one line, then one line per cause.
pub fn print_error(error: &anyhow::Error) {
    let mut stderr = io::stderr().lock();
    let _ = writeln!(stderr, "error: {error}");
    for cause in error.chain().skip(1) {
        let _ = writeln!(stderr, "  caused by: {cause}");
    }
}
