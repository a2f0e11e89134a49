//! All user-facing output: tables and lines on stdout, errors on stderr.
//! Colour only on a terminal, and never when NO_COLOR is set.

use std::io::{self, IsTerminal, Write};

use comfy_table::{Cell, Color, ContentArrangement, Table, presets};

/// Writes command output to stdout.
pub struct Printer {
    out: io::Stdout,
    terminal: bool,
    color: bool,
}

impl Printer {
    pub fn stdout() -> Self {
        let out = io::stdout();
        let terminal = out.is_terminal();
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|value| !value.is_empty());
        Printer {
            out,
            terminal,
            color: terminal && !no_color,
        }
    }

    /// A table with nacl-drift's look and the given header, sized to the
    /// terminal when there is one.
    pub fn table<I, S>(&self, header: I) -> Table
    where
        I: IntoIterator<Item = S>,
        S: Into<Cell>,
    {
        let mut table = Table::new();
        table.load_preset(presets::UTF8_FULL_CONDENSED);
        if self.terminal {
            table.set_content_arrangement(ContentArrangement::Dynamic);
        }
        if !self.color {
            table.force_no_tty();
        }
        table.set_header(header);
        table
    }

    /// A cell in `color`, when colour is on.
    pub fn colored(&self, cell: Cell, color: Color) -> Cell {
        if self.color { cell.fg(color) } else { cell }
    }

    pub fn print_table(&mut self, table: &Table) {
        self.line(table.to_string());
    }

    pub fn line(&mut self, text: impl AsRef<str>) {
        // A closed pipe (`| head`) is not worth a panic.
        let _ = writeln!(self.out, "{}", text.as_ref());
    }

    /// Sends what was printed on at once (a long-running command's lines).
    pub fn flush(&mut self) {
        let _ = self.out.flush();
    }

    /// Text that carries its own line ends.
    pub fn text(&mut self, text: &str) {
        let _ = write!(self.out, "{text}");
    }

    /// A line in `color`, when colour is on.
    pub fn styled_line(&mut self, text: &str, color: Option<Color>) {
        let code = match (self.color, color) {
            (true, Some(Color::Red)) => "31",
            (true, Some(Color::Green)) => "32",
            (true, Some(Color::Yellow)) => "33",
            (true, Some(Color::Cyan)) => "36",
            _ => return self.line(text),
        };
        let _ = writeln!(self.out, "\x1b[{code}m{text}\x1b[0m");
    }
}

impl Printer {
    /// A question on stderr, answered on the same line.
    pub fn prompt(&self, text: &str) -> io::Result<()> {
        let mut stderr = io::stderr().lock();
        write!(stderr, "{text}")?;
        stderr.flush()
    }

    /// A note on stderr, one line: something passed over, for the log.
    pub fn note(&self, text: &str) {
        let _ = writeln!(io::stderr().lock(), "note: {text}");
    }

    /// A warning on stderr, one line.
    pub fn warning(&self, text: &str) {
        let _ = writeln!(io::stderr().lock(), "warning: {text}");
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
