//! Parses the NACLs of a `describe-network-acls` export on all cores: the
//! list is cut into runs of about [`RUN_BYTES`], each run parsed by serde
//! on its own core, NACL after NACL.
//!
//! The cuts are guessed from the layout (the AWS CLI indents every NACL of
//! the list alike, and anything inside one deeper), and proven by the
//! parse: a run is taken only when it is exactly NACL objects, each but the
//! last followed by a comma, and the last run ends the list; a cut inside a
//! NACL leaves the run before it with an object that does not end. The
//! file without its NACLs ([`Runs::skeleton`]) is then parsed as an export
//! whose list is empty. A file is taken only when every part of it parses,
//! so it means exactly what a whole parse would make of it (but that
//! serde_json's limit of 128 nested levels counts from each NACL, not from
//! the file: a NACL may nest two levels deeper); any other file (one whose
//! list does not come first, or is not indented) is left to the whole
//! parse.

use std::ops::Range;

use memchr::memmem;
use serde::de::DeserializeOwned;

/// About how much of the list one run holds.
pub const RUN_BYTES: usize = 1 << 20;

/// An export's `NetworkAcls` list, cut into runs.
#[derive(Debug, PartialEq, Eq)]
pub struct Runs {
    /// The file up to the list's `[`.
    head: Range<usize>,
    /// The runs, from the first NACL to the end of the file.
    runs: Vec<Range<usize>>,
}

impl Runs {
    /// Where the list of the export `text` is, cut into runs; `None` when
    /// the list is not its first key, or does not start with an indented
    /// object (the layout the cuts are guessed from).
    pub fn of(text: &str) -> Option<Runs> {
        let bytes = text.as_bytes();
        let mut at = 0;
        for expected in [&b"{"[..], b"\"NetworkAcls\"", b":", b"["] {
            at = skip_space(bytes, at);
            at += bytes
                .get(at..)?
                .starts_with(expected)
                .then_some(expected.len())?;
        }
        let head = 0..at;
        let first = skip_space(bytes, at);
        // The line break and indent before the first NACL open every NACL.
        let indent_from = bytes[at..first].iter().rposition(|byte| *byte == b'\n')? + at;
        if bytes.get(first) != Some(&b'{') {
            return None;
        }
        let opening = memmem::Finder::new(&bytes[indent_from..=first]);
        let mut runs = Vec::new();
        let mut start = first;
        while let Some(next) = bytes
            .get(start + RUN_BYTES..)
            .and_then(|rest| opening.find(rest))
            .map(|found| start + RUN_BYTES + found + (first - indent_from))
        {
            runs.push(start..next);
            start = next;
        }
        runs.push(start..bytes.len());
        Some(Runs { head, runs })
    }

    /// Each run's NACLs, parsed in order by `parse` (on all cores), then the
    /// file without them checked by `check`; `None` unless every run is
    /// exactly NACL objects and every parse and the check succeed.
    pub fn parse<T: DeserializeOwned + Send, U: Send>(
        &self,
        text: &str,
        convert: impl Fn(T) -> U + Sync,
        check: impl FnOnce(&str) -> bool,
    ) -> Option<Vec<U>> {
        use rayon::prelude::*;
        let last = self.runs.len() - 1;
        let parsed: Vec<(Vec<U>, usize)> = self
            .runs
            .par_iter()
            .enumerate()
            .map(|(index, run)| parse_run(text, run.clone(), index == last, &convert))
            .collect::<Option<_>>()?;
        let list_end = parsed.last()?.1;
        let skeleton = format!("{}{}", &text[self.head.clone()], &text[list_end..]);
        check(&skeleton).then(|| parsed.into_iter().flat_map(|(acls, _)| acls).collect())
    }
}

/// The NACLs of `run`, and where the list's `]` is when the run is the
/// last; `None` unless the run is NACL objects separated by commas, ending
/// with a comma (the run after it goes on) or, for the last, with the `]`.
fn parse_run<T: DeserializeOwned, U>(
    text: &str,
    run: Range<usize>,
    last: bool,
    convert: &impl Fn(T) -> U,
) -> Option<(Vec<U>, usize)> {
    let bytes = text.as_bytes();
    let mut parsed = Vec::new();
    let mut at = run.start;
    loop {
        if bytes.get(at) != Some(&b'{') {
            return None;
        }
        let mut objects = serde_json::Deserializer::from_str(&text[at..run.end]).into_iter::<T>();
        parsed.push(convert(objects.next()?.ok()?));
        at = skip_space(bytes, at + objects.byte_offset());
        match bytes.get(at) {
            Some(b',') => {
                at = skip_space(bytes, at + 1);
                if at == run.end && !last {
                    return Some((parsed, at));
                }
            }
            Some(b']') if last => return Some((parsed, at)),
            _ => return None,
        }
    }
}

/// Past JSON's whitespace from `at`.
fn skip_space(bytes: &[u8], mut at: usize) -> usize {
    while matches!(bytes.get(at), Some(b' ' | b'\n' | b'\r' | b'\t')) {
        at += 1;
    }
    at
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    /// The values of the list, and the file without them, when taken.
    fn parsed(text: &str) -> Option<(Vec<Value>, String)> {
        let mut skeleton = String::new();
        let values = Runs::of(text)?.parse(
            text,
            |value: Value| value,
            |rest| {
                skeleton = rest.to_owned();
                true
            },
        )?;
        Some((values, skeleton))
    }

    /// An export as the AWS CLI lays it out, of `count` NACLs holding
    /// `text` and nested objects indented deeper.
    fn export(count: usize, text: &str) -> String {
        let acl = format!(
            "        {{\n            \"Tag\": {text:?},\n            \"Entries\": [\n                {{\n                    \"N\": 1\n                }}\n            ]\n        }}"
        );
        let acls = vec![acl; count].join(",\n");
        format!("{{\n    \"NetworkAcls\": [\n{acls}\n    ],\n    \"NextToken\": null\n}}\n")
    }

    #[test]
    fn a_large_list_is_cut_between_nacls_and_read_whole() {
        let text = export(20_000, "a } { \" ] , \\ \n        { b");
        let runs = Runs::of(&text).expect("an export");
        assert!(runs.runs.len() > 2, "{runs:?}");
        let whole: Value = serde_json::from_str(&text).expect("JSON");
        let (values, skeleton) = parsed(&text).expect("taken");
        assert_eq!(Value::Array(values), whole["NetworkAcls"]);
        assert_eq!(
            skeleton,
            "{\n    \"NetworkAcls\": [],\n    \"NextToken\": null\n}\n"
        );
    }

    #[test]
    fn a_small_list_is_one_run() {
        let text = export(3, "x");
        assert_eq!(Runs::of(&text).map(|runs| runs.runs.len()), Some(1));
        assert_eq!(parsed(&text).map(|(values, _)| values.len()), Some(3));
    }

    #[test]
    fn a_cut_inside_a_nacl_is_never_taken() {
        // Nested objects indented as the NACLs are: the guessed cuts fall
        // inside NACLs, and the runs before them do not end.
        let entries = vec!["    {\"N\": 1}"; 50].join(",\n");
        let acl = format!("    {{\n    \"Entries\": [\n{entries}\n    ]\n    }}");
        let acls = vec![acl; 5_000].join(",\n");
        let text = format!("{{\"NetworkAcls\": [\n{acls}\n]}}");
        let runs = Runs::of(&text).expect("cut");
        let cut_inside = |run: &Range<usize>| text[run.start..].starts_with("{\"N\"");
        assert!(runs.runs.iter().any(cut_inside), "{runs:?}");
        assert_eq!(parsed(&text), None);
    }

    #[test]
    fn what_the_runs_cannot_hold_is_left_to_the_whole_parse() {
        for text in [
            "",
            "[]",
            "{\"NetworkAcls\": []}",
            "{\"NetworkAcls\": [{}]}",
            "{\"Other\": [],\n \"NetworkAcls\": [\n {}]}",
            "{\"Network\\u0041cls\": [\n {}]}",
            "{\"NetworkAcls\": [\n null]}",
            "{\"NetworkAcls\": [\n {}, 1]}",
            "{\"NetworkAcls\": [\n {} {}]}",
            "{\"NetworkAcls\": [\n {\"a\": \"}",
            "{\"NetworkAcls\": [\n {}",
            "{\"NetworkAcls\": [\n {},",
            "{\"NetworkAcls\": [\n {},]}",
        ] {
            assert_eq!(parsed(text), None, "{text:?}");
        }
    }
}
