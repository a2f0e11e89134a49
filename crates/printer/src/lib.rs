//! All user-facing output: tables and lines on stdout, notes and warnings
//! on stderr, and the reports in every format: a diff ([`diff`]: table,
//! JSON, unified, markdown, SARIF), a restore's plan ([`plan`]), lint
//! findings ([`lint`]), SARIF ([`sarif`]) and a snapshot's summary
//! ([`snapshot`]). Colour only on a terminal, and never when NO_COLOR is set.
//! In a crate of its own, as ripgrep's printer is: the binary parses
//! flags and calls a library; this is where the words are.
//!
//! Every text passes through the one sanitiser on its way out
//! ([`sanitize::lines`]): whatever a value held, no control character but
//! the line breaks of the text itself, and no bidi control, reaches a
//! terminal or a CI log raw. Values are escaped where they are put into a
//! line too ([`sanitize::Shown`]), so that they cannot break it; table
//! cells are made by [`Printer::cell`], which escapes its text.
//!
//! Depends on: model, analysis, assets, diff, apply, reconcile, snapshot, findings; no AWS SDK.

#![deny(missing_docs)]

pub mod accounts;
pub mod diff;
pub mod lint;
pub mod plan;
pub mod sarif;
pub mod snapshot;
pub mod timeline;

use std::io::{self, IsTerminal, Write};
use std::sync::{Arc, Mutex};

use comfy_table::{Cell, Color, ColumnConstraint, ContentArrangement, Table, Width, presets};
use nacl_drift_model::{AccountNames, sanitize};

/// The widest a table is made where no terminal gives a width: piped, in
/// a CI log, or on a terminal that reports 0 columns.
pub const PIPED_TABLE_WIDTH: u16 = 160;

/// The width that `COLUMNS` sets, as for `ls` and `git`, when it is a
/// number above 0.
fn columns_from_env() -> Option<u16> {
    let columns = std::env::var("COLUMNS").ok()?;
    columns.trim().parse().ok().filter(|width| *width > 0)
}

/// Writes command output to stdout, or into memory (a report written to
/// a file, a unit test); notes, warnings and errors to stderr, or into
/// memory (a unit test).
pub struct Printer {
    out: Box<dyn Write + Send>,
    err: Mutex<Box<dyn Write + Send>>,
    terminal: bool,
    color: bool,
    /// The accounts' names, shown beside their ids.
    accounts: AccountNames,
    /// Where [`Printer::record`] writes once what people read went to
    /// stderr ([`Printer::people_on_stderr`]).
    records: Option<Box<dyn Write + Send>>,
}

/// What a printer [`Printer::in_memory`] printed.
#[derive(Clone, Default)]
pub struct Printed(Arc<Mutex<Vec<u8>>>);

impl Printed {
    /// The bytes printed so far.
    pub fn bytes(&self) -> Vec<u8> {
        self.0.lock().map(|bytes| bytes.clone()).unwrap_or_default()
    }
}

impl Write for Printed {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        let mut held = self
            .0
            .lock()
            .map_err(|_| io::Error::other("a printer's memory was poisoned"))?;
        held.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Printer {
    /// A printer to stdout, in colour on a terminal unless NO_COLOR is set.
    pub fn stdout() -> Self {
        let out = io::stdout();
        let terminal = out.is_terminal();
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|value| !value.is_empty());
        Printer {
            out: Box::new(out),
            err: Mutex::new(Box::new(io::stderr())),
            terminal,
            color: terminal && !no_color,
            accounts: AccountNames::default(),
            records: None,
        }
    }

    /// A printer into memory, as piped: no colour, tables as wide as
    /// `COLUMNS` says, else 160 columns. Returns what it prints; its
    /// notes, warnings and errors go to stderr.
    pub fn in_memory() -> (Self, Printed) {
        let printed = Printed::default();
        let printer = Printer {
            out: Box::new(printed.clone()),
            err: Mutex::new(Box::new(io::stderr())),
            terminal: false,
            color: false,
            accounts: AccountNames::default(),
            records: None,
        };
        (printer, printed)
    }

    /// A printer into memory whose notes, warnings and errors go into
    /// memory too: what it prints, and what it says on stderr.
    pub fn capturing() -> (Self, Printed, Printed) {
        let (mut printer, printed) = Printer::in_memory();
        let said = Printed::default();
        printer.err = Mutex::new(Box::new(said.clone()));
        (printer, printed, said)
    }

    /// Shows `names` beside the accounts' ids from now on.
    pub fn name_accounts(&mut self, names: AccountNames) {
        self.accounts = names;
    }

    /// The accounts' names it shows.
    pub fn account_names(&self) -> &AccountNames {
        &self.accounts
    }

    /// A table with nacl-drift's look and the given header, at most as
    /// wide as `COLUMNS` says, else as the terminal, else
    /// [`PIPED_TABLE_WIDTH`].
    pub fn table<I, S>(&self, header: I) -> Table
    where
        I: IntoIterator<Item = S>,
        S: Into<Cell>,
    {
        let mut table = Table::new();
        table.load_preset(presets::UTF8_FULL_CONDENSED);
        table.set_content_arrangement(ContentArrangement::Dynamic);
        let terminal_width = table.width().filter(|width| self.terminal && *width > 0);
        table.set_width(
            columns_from_env()
                .or(terminal_width)
                .unwrap_or(PIPED_TABLE_WIDTH),
        );
        if !self.color {
            table.force_no_tty();
        }
        table.set_header(header);
        table
    }

    /// A table cell of `text`, whose line breaks stay and whose other
    /// unsafe characters are escaped; a value in it must be escaped where
    /// it was formatted in.
    pub fn cell(text: impl AsRef<str>) -> Cell {
        #[expect(
            clippy::disallowed_methods,
            reason = "the one place cells are made: their text is sanitised"
        )]
        Cell::new(sanitize::lines(text.as_ref()))
    }

    /// A cell in `color`, when colour is on.
    pub fn colored(&self, cell: Cell, color: Color) -> Cell {
        if self.color { cell.fg(color) } else { cell }
    }

    /// Prints `table`, whose lines wrap only between words: no column is
    /// narrower than its longest word, so that no id is ever cut, even
    /// when the table is then wider than its width.
    pub fn print_table(&mut self, mut table: Table) {
        let mut longest_words = vec![0_usize; table.column_count()];
        let header = table.header().into_iter();
        for row in header.chain(table.row_iter()) {
            for (cell, longest) in row.cell_iter().zip(&mut longest_words) {
                let words = cell.content();
                let longest_here = words.split_whitespace().map(|word| word.chars().count());
                *longest = longest_here.fold(*longest, usize::max);
            }
        }
        for (column, longest) in table.column_iter_mut().zip(longest_words) {
            let padding = usize::from(column.padding_width());
            let lower = u16::try_from(longest + padding).unwrap_or(u16::MAX);
            column.set_constraint(ColumnConstraint::LowerBoundary(Width::Fixed(lower)));
        }
        // Its cells are sanitised (`cell`); its own colour codes stay.
        let _ = writeln!(self.out, "{table}");
    }

    /// One line (or several, when `text` holds line breaks).
    pub fn line(&mut self, text: impl AsRef<str>) {
        // A closed pipe (`| head`) is not worth a panic.
        let _ = writeln!(self.out, "{}", sanitize::lines(text.as_ref()));
    }

    /// From now on, what people read goes to stderr, and the output holds
    /// only [`Printer::record`]'s: one JSON record, for a machine.
    pub fn people_on_stderr(&mut self) {
        let output = std::mem::replace(&mut self.out, Box::new(io::stderr()));
        self.records = Some(output);
    }

    /// A record for a machine: on the output, even once people's lines go
    /// to stderr. JSON, with the characters it leaves raw escaped.
    pub fn record(&mut self, json: String) {
        let json = sanitize::json(json);
        let _ = match &mut self.records {
            Some(output) => writeln!(output, "{json}"),
            None => writeln!(self.out, "{json}"),
        };
    }

    /// Sends what was printed on at once (a long-running command's lines).
    pub fn flush(&mut self) {
        let _ = self.out.flush();
    }

    /// Text that carries its own line ends.
    pub fn text(&mut self, text: &str) {
        let _ = write!(self.out, "{}", sanitize::lines(text));
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
        let _ = writeln!(self.out, "\x1b[{code}m{}\x1b[0m", sanitize::lines(text));
    }
}

impl Printer {
    /// The stderr writer, held while a message is written whole.
    fn stderr(&self) -> std::sync::MutexGuard<'_, Box<dyn Write + Send>> {
        // A writer that panicked mid-line still takes the next line.
        self.err
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A question on stderr, answered on the same line.
    pub fn prompt(&self, text: &str) -> io::Result<()> {
        let mut stderr = self.stderr();
        write!(stderr, "{}", sanitize::lines(text))?;
        stderr.flush()
    }

    /// A note on stderr, one line: something passed over, for the log.
    pub fn note(&self, text: &str) {
        let _ = writeln!(self.stderr(), "note: {}", sanitize::shown(text));
    }

    /// A warning on stderr, one line.
    pub fn warning(&self, text: &str) {
        let _ = writeln!(self.stderr(), "warning: {}", sanitize::shown(text));
    }

    /// Why a run fails, on stderr, one line.
    pub fn error(&self, text: &str) {
        let _ = writeln!(self.stderr(), "error: {}", sanitize::shown(text));
    }

    /// An error on stderr: one line, then one line per cause.
    pub fn failure(&self, error: &(dyn std::error::Error + 'static)) {
        let mut stderr = self.stderr();
        let _ = writeln!(stderr, "error: {}", sanitize::shown(&error.to_string()));
        let mut cause = error.source();
        while let Some(found) = cause {
            let _ = writeln!(
                stderr,
                "  caused by: {}",
                sanitize::shown(&found.to_string())
            );
            cause = found.source();
        }
    }

    /// What a command is about to work with, on stderr, one line.
    pub fn status(&self, text: &str) {
        let _ = writeln!(self.stderr(), "{}", sanitize::shown(text));
    }
}

/// `count` and its noun, singular for one: `1 call`, `3 calls`.
pub fn counted(count: usize, one: &str, many: &str) -> String {
    format!("{count} {}", if count == 1 { one } else { many })
}
