//! Parses the NACLs of a `describe-network-acls` export on all cores: the
//! list is cut into runs of about [`RUN_BYTES`], each run parsed by serde
//! on its own core, NACL after NACL.
//!
//! The cuts are guessed from the layout (the AWS CLI indents every NACL of
//! the list alike, and anything inside one deeper; on one line, as `jq -c`
//! writes it, every NACL starts with the same key), and proven by the
//! parse: a run is taken only when it is exactly NACL objects, each but the
//! last followed by a comma, and the last run ends the list; a cut inside a
//! NACL leaves the run before it with an object that does not end. The
//! file without its NACLs is then checked as an export whose list is empty
//! ([`Runs::parse`]). A file is taken only when every part of it parses,
//! so it means exactly what a whole parse would make of it (but that
//! serde_json's limit of 128 nested levels counts from each NACL, not from
//! the file: a NACL may nest two levels deeper); any other file (one whose
//! list does not come first, say) is left to the whole parse.

use std::ops::Range;

use memchr::memmem;
use serde::de::DeserializeOwned;

/// About how much of the list one run holds.
pub const RUN_BYTES: usize = 1 << 20;

/// An export's `NetworkAcls` list, cut into runs.
#[derive(Debug)]
pub struct Runs {
    /// The file up to the list's `[`.
    head: Range<usize>,
    /// The runs, from the first NACL to the end of the file.
    runs: Vec<Range<usize>>,
}

impl Runs {
    /// Where the list of the export `text` is, cut into runs; `None` when
    /// the list is not its first key, or does not start with an object
    /// whose opening the cuts can be guessed from ([`opening`]).
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
        let (opening, object_at) = opening(bytes, at, first)?;
        let opening = memmem::Finder::new(&opening);
        let mut runs = Vec::new();
        let mut start = first;
        while let Some(next) = bytes
            .get(start + RUN_BYTES..)
            .and_then(|rest| opening.find(rest))
            .map(|found| start + RUN_BYTES + found + object_at)
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

/// What opens every NACL of the list but the first, guessed from how the
/// first one (at `first`, after the `[` at `list`) is laid out, and where
/// in it the NACL's `{` is: the line break and indent before it (the AWS
/// CLI's indented JSON: anything inside a NACL is indented deeper), or in
/// a file on one line (`jq -c`), the comma, the `{` and its first key.
fn opening(bytes: &[u8], list: usize, first: usize) -> Option<(Vec<u8>, usize)> {
    if bytes.get(first) != Some(&b'{') {
        return None;
    }
    if let Some(line_break) = bytes[list..first].iter().rposition(|byte| *byte == b'\n') {
        let opening = &bytes[list + line_break..=first];
        return Some((opening.to_vec(), opening.len() - 1));
    }
    let key = bytes.get(first + 1..)?.strip_prefix(b"\"")?;
    let key_end = first + 2 + memchr::memchr(b'"', key)?;
    Some(([&b","[..], &bytes[first..=key_end]].concat(), 1))
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
    fn a_list_on_one_line_is_cut_before_the_first_key_of_a_nacl() {
        let pretty = export(20_000, &"x".repeat(200));
        let whole: Value = serde_json::from_str(&pretty).expect("JSON");
        let text = serde_json::to_string(&whole).expect("JSON");
        assert!(Runs::of(&text).expect("an export").runs.len() > 2);
        let (values, skeleton) = parsed(&text).expect("taken");
        assert_eq!(Value::Array(values), whole["NetworkAcls"]);
        assert_eq!(skeleton, "{\"NetworkAcls\":[],\"NextToken\":null}");

        // Objects inside a NACL that start with its first key: the cuts
        // fall inside NACLs, and are never taken.
        let entries = vec!["{\"K\":2}"; 50].join(",");
        let acls = vec![format!("{{\"K\":1,\"Entries\":[{entries}]}}"); 5_000].join(",");
        let text = format!("{{\"NetworkAcls\":[{acls}]}}");
        let runs = Runs::of(&text).expect("cut");
        assert!(
            runs.runs
                .iter()
                .any(|run| text[run.start..].starts_with("{\"K\":2"))
        );
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
