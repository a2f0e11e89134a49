//! The one sanitiser: how text that nacl-drift did not write (tags,
//! CloudTrail fields, queue messages, export and file contents, an
//! endpoint's error messages) may reach a terminal, markdown, a CI log or
//! an alert.
//!
//! A hostile value must not be able to move the cursor, retitle a window,
//! hide text, start a new line (a GitHub Actions workflow command such as
//! `::add-mask::` runs from the start of any line, and the runner splits
//! lines at a bare CR), reorder what is shown (bidi overrides) or inject
//! markdown. So:
//!
//! - [`shown`] (and [`Shown`] in format strings) writes every control
//!   character (C0 with CR, LF and TAB, DEL, C1), every bidi control and
//!   the Unicode line and paragraph separators escaped, as `\r`, `\x1b` or
//!   `\u202e`: visible, never acted on.
//! - [`lines`] does the same but keeps LF: for the printer, which receives
//!   whole texts of many lines, as a last line of defence.
//! - [`markdown`] escapes as [`shown`] does, then HTML, backticks, `|`,
//!   `[`, `]`, `!`, `@` and every other character that could start or
//!   change markup, so that a value is plain text wherever it stands.
//! - [`html`] escapes as [`shown`] does, then `&`, `<`, `>`, `"` and `'`
//!   as entities: a value never opens a tag, an attribute or an entity, in
//!   text or in a quoted attribute (the HTML report, its SVG).
//! - [`json`] writes the characters that JSON leaves raw (DEL, C1, bidi
//!   controls, the line separators) as `\uXXXX` in serialised JSON or
//!   SARIF.
//! - [`cut`] shortens a value quoted in an error, so that a 50 MB value is
//!   not echoed whole.

use std::borrow::Cow;
use std::fmt::{self, Write as _};

/// Whether `c` must never reach an output raw: a control character (C0,
/// DEL, C1), a bidi control, or a line or paragraph separator.
pub fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061C}'
                | '\u{200E}'
                | '\u{200F}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2066}'..='\u{2069}'
                | '\u{2028}'
                | '\u{2029}'
        )
}

/// `text` with every unsafe character escaped, LF included: one line.
pub fn shown(text: &str) -> Cow<'_, str> {
    escaped(text, |_| false)
}

/// `text` with every unsafe character but LF escaped.
pub fn lines(text: &str) -> Cow<'_, str> {
    escaped(text, |c| c == '\n')
}

/// Untrusted text in a format string: displays as [`shown`] writes it.
#[derive(Clone, Copy, Debug)]
pub struct Shown<'a>(pub &'a str);

impl fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&shown(self.0))
    }
}

fn escaped(text: &str, keep: impl Fn(char) -> bool) -> Cow<'_, str> {
    if all_safe(text, |c| !is_unsafe(c) || keep(c)) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if !is_unsafe(c) || keep(c) {
            out.push(c);
            continue;
        }
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x100 => {
                let _ = write!(out, "\\x{:02x}", u32::from(c));
            }
            c => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
        }
    }
    Cow::Owned(out)
}

/// `text` as plain text in markdown (a table cell, a list item, a heading):
/// unsafe characters escaped as by [`shown`], HTML's `<`, `>` and `&` as
/// entities, `@` followed by a zero-width space entity (no mention), the
/// punctuation that opens a span (backticks, `|`, brackets, `!`, emphasis,
/// `$` math, `#`) behind a backslash, and a leading `-`, `+`, `=` or `:`
/// too. So a value never starts a line, a block or a span.
pub fn markdown(text: &str) -> String {
    let shown = shown(text);
    let mut out = String::with_capacity(shown.len() + 8);
    for (index, c) in shown.chars().enumerate() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '@' => out.push_str("@&#8203;"),
            '\\' | '`' | '|' | '[' | ']' | '!' | '*' | '_' | '~' | '$' | '#' => {
                out.push('\\');
                out.push(c);
            }
            // What could open a block (a list, a quote, a rule, a
            // workflow command) were the value to start a line.
            '-' | '+' | '=' | ':' if index == 0 => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// `text` as HTML (or SVG) text or a quoted attribute value: unsafe
/// characters escaped as by [`shown`], then `&`, `<`, `>`, `"` and `'` as
/// entities.
pub fn html(text: &str) -> String {
    let shown = shown(text);
    let mut out = String::with_capacity(shown.len() + 8);
    for c in shown.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Serialised JSON with DEL, C1 and bidi controls and the line separators
/// written as `\uXXXX`. (They can only stand inside strings, where the
/// escape means the same character.)
pub fn json(serialized: String) -> String {
    if all_safe(&serialized, |c| !is_unsafe_in_json(c)) {
        return serialized;
    }
    let mut out = String::with_capacity(serialized.len() + 16);
    for c in serialized.chars() {
        if is_unsafe_in_json(c) {
            let _ = write!(out, "\\u{:04x}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    out
}

/// Whether every character of `text` is `safe`. Printable ASCII, most of
/// any text and always safe, is passed over a byte at a time; `safe`
/// judges each other character.
fn all_safe(text: &str, safe: impl Fn(char) -> bool) -> bool {
    let mut rest = text;
    loop {
        let printable = rest
            .bytes()
            .take_while(|byte| matches!(byte, b' '..=b'~'))
            .count();
        let mut others = rest[printable..].chars();
        match others.next() {
            None => return true,
            Some(c) if !safe(c) => return false,
            Some(_) => rest = others.as_str(),
        }
    }
}

/// JSON's own escapes cover C0; the line breaks between its lines stay.
fn is_unsafe_in_json(c: char) -> bool {
    is_unsafe(c) && u32::from(c) >= 0x20
}

/// The most characters of a value quoted in an error.
pub const QUOTED_MAX: usize = 80;

/// `text`, shown (see [`shown`]), and cut after [`QUOTED_MAX`] characters
/// with how much was left out: for a value quoted in an error message.
pub fn cut(text: &str) -> String {
    shown(&bounded(text, QUOTED_MAX)).into_owned()
}

/// `text` cut after `max` characters, with how much was left out: for a
/// field of untrusted input kept in memory or printed in a line.
pub fn bounded(text: &str, max: usize) -> Cow<'_, str> {
    match text.char_indices().nth(max) {
        None => Cow::Borrowed(text),
        Some((end, _)) => Cow::Owned(format!(
            "{}… ({} more characters)",
            &text[..end],
            text[end..].chars().count()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_bidi_and_separators_are_escaped() {
        assert_eq!(
            shown("a\rb\nc\td\x1b]0;t\x07\u{7f}\u{9b}\u{202e}e\u{2028}"),
            "a\\rb\\nc\\td\\x1b]0;t\\x07\\x7f\\x9b\\u202ee\\u2028"
        );
        assert!(matches!(
            shown("acl-0a1b prod (10.0.0.0/16)"),
            Cow::Borrowed(_)
        ));
        assert_eq!(lines("one\ntwo\r"), "one\ntwo\\r");
        assert_eq!(Shown("x\ny").to_string(), "x\\ny");
    }

    #[test]
    fn markdown_is_plain_text() {
        assert_eq!(
            markdown("a|b`c<!--d-->[e](f)![g] @team\r# h"),
            "a\\|b\\`c&lt;\\!--d--&gt;\\[e\\](f)\\!\\[g\\] @&#8203;team\\\\r\\# h"
        );
        assert_eq!(markdown("::error::x"), "\\::error::x");
    }

    #[test]
    fn html_is_text_in_an_element_and_in_a_quoted_attribute() {
        assert_eq!(
            html("<img src=x onerror=alert(1)> \"a\" 'b' &amp;\x1b[2J"),
            "&lt;img src=x onerror=alert(1)&gt; &quot;a&quot; &#39;b&#39; &amp;amp;\\x1b[2J"
        );
    }

    #[test]
    fn the_ascii_fast_path_judges_every_character_as_the_slow_one() {
        // Every character of the basic plane, and some of each other one.
        let chars = (0..=0xFFFF)
            .chain((0x10000..=0x10FFFF).step_by(251))
            .filter_map(char::from_u32);
        for c in chars {
            for text in [
                c.to_string(),
                format!("ab{c}"),
                format!("{c}\n{c}x"),
                format!("x\n{c}"),
            ] {
                for keep_lf in [false, true] {
                    let safe = |c: char| !is_unsafe(c) || (keep_lf && c == '\n');
                    assert_eq!(all_safe(&text, safe), text.chars().all(safe), "{text:?}");
                }
            }
        }
    }

    #[test]
    fn json_escapes_what_serde_leaves_raw() {
        let serialized = "{\n  \"a\": \"x\u{9b}\u{202e}\u{7f}y\"\n}".to_owned();
        assert_eq!(
            json(serialized),
            "{\n  \"a\": \"x\\u009b\\u202e\\u007fy\"\n}"
        );
    }

    #[test]
    fn a_long_value_is_cut() {
        let long = "x".repeat(50_000_000 / 1000);
        let quoted = cut(&long);
        assert!(quoted.ends_with("… (49920 more characters)"), "{quoted}");
        assert_eq!(cut("json"), "json");
    }
}
