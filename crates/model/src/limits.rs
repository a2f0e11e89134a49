//! Bounds on the YAML files nacl-drift reads (baselines, accounts files),
//! checked before parsing: the YAML parser's time grows with the square
//! of the nesting of flow collections (`[[[[...`), so a small hostile file
//! could stall every command that reads the folder.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

/// The largest YAML file read: a baseline of the largest VPC (200 NACLs of
/// 40 entries each) is about 2 MB.
pub const MAX_YAML_BYTES: usize = 16 * 1024 * 1024;

/// The deepest nesting of flow collections (`[` and `{`) read. A baseline
/// written by `snapshot` nests two deep; an accounts file one.
pub const MAX_FLOW_DEPTH: usize = 32;

/// The text of the file at `path`, which must hold at most `limit` bytes:
/// a larger file is refused (`FileTooLarge`) without being read whole.
pub fn read_bounded(path: &Path, limit: usize) -> io::Result<String> {
    let mut bytes = Vec::new();
    File::open(path)?
        .take(limit as u64 + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() > limit {
        return Err(io::Error::new(
            io::ErrorKind::FileTooLarge,
            format!("the file is larger than the {limit} bytes nacl-drift reads"),
        ));
    }
    String::from_utf8(bytes).map_err(|error| io::Error::new(io::ErrorKind::InvalidData, error))
}

/// Checks `text`'s size and the nesting of its flow collections, in one
/// pass. Brackets inside quoted scalars and comments do not count.
pub fn check_yaml(text: &str) -> Result<(), String> {
    if text.len() > MAX_YAML_BYTES {
        return Err(format!(
            "the file is larger than the {MAX_YAML_BYTES} bytes nacl-drift reads"
        ));
    }
    let mut depth = 0usize;
    let mut quote: Option<u8> = None;
    let mut previous = b'\n';
    let mut bytes = text.bytes();
    while let Some(byte) = bytes.next() {
        match (quote, byte) {
            (Some(b'"'), b'\\') => {
                bytes.next();
            }
            (Some(open), _) if byte == open => quote = None,
            (Some(_), _) => {}
            (None, b'"' | b'\'')
                if depth > 0 || previous.is_ascii_whitespace() || previous == b':' =>
            {
                quote = Some(byte);
            }
            (None, b'#') if previous.is_ascii_whitespace() => {
                for skipped in bytes.by_ref() {
                    if skipped == b'\n' {
                        break;
                    }
                }
                previous = b'\n';
                continue;
            }
            (None, b'[' | b'{') => {
                depth += 1;
                if depth > MAX_FLOW_DEPTH {
                    let line = text[..text.len() - bytes.len()].matches('\n').count() + 1;
                    return Err(format!(
                        "line {line}: collections nest more than {MAX_FLOW_DEPTH} deep"
                    ));
                }
            }
            (None, b']' | b'}') => depth = depth.saturating_sub(1),
            _ => {}
        }
        previous = byte;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deep_nesting_and_size_are_refused_in_one_pass() {
        let nested = format!("a: {}{}", "[".repeat(200_000), "]".repeat(200_000));
        assert_eq!(
            check_yaml(&nested),
            Err("line 1: collections nest more than 32 deep".to_owned())
        );
        let quoted = format!(
            "a: \"{}\" # {}\nb: [x, {{y: '['}}]\n",
            "[".repeat(100),
            "{".repeat(100)
        );
        assert_eq!(check_yaml(&quoted), Ok(()));
        let big = " ".repeat(MAX_YAML_BYTES + 1);
        assert!(
            check_yaml(&big).is_err_and(|error| error.contains("larger than the 16777216 bytes"))
        );
    }
}
