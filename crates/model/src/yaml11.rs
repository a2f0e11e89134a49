//! Tags written so that YAML 1.1 readers (PyYAML, many CI tools) read them
//! back as the strings they are. yaml_serde writes YAML 1.2, where `no`,
//! `off`, `2024-01-01` and `1_000` are plain strings; a YAML 1.1 reader
//! takes them for a boolean, a date and a number. Such a tag key or value
//! is single-quoted, which both versions read as a string.

/// `yaml` (a baseline, as yaml_serde wrote it) with every plain tag key or
/// value that YAML 1.1 would not read as a string single-quoted.
pub(crate) fn quote_tags(yaml: &str) -> String {
    let mut out = String::with_capacity(yaml.len() + 64);
    // Within a `tags:` map: its own indentation, and its entries'. A line
    // indented further belongs to an entry's value (a block scalar).
    let mut tags: Option<(usize, Option<usize>)> = None;
    for line in yaml.split_inclusive('\n') {
        let indent = line.len() - line.trim_start_matches(' ').len();
        let content = line.trim_end_matches('\n');
        if let Some((at, entries)) = tags {
            if indent > at && !content.trim().is_empty() {
                let entries = entries.unwrap_or(indent);
                tags = Some((at, Some(entries)));
                if indent == entries {
                    out.push_str(&quote_entry(content, indent));
                    out.push('\n');
                } else {
                    out.push_str(line);
                }
                continue;
            }
            tags = None;
        }
        if content.trim_start() == "tags:" {
            tags = Some((indent, None));
        }
        out.push_str(line);
    }
    out
}

/// One `key: value` line of a block map, its plain scalars quoted where
/// YAML 1.1 would not read them as strings.
fn quote_entry(line: &str, indent: usize) -> String {
    let entry = &line[indent..];
    // A quoted key is the emitter's own choice, and is left as it is.
    let Some((key, value)) = entry
        .split_once(": ")
        .or_else(|| entry.strip_suffix(':').map(|key| (key, "")))
        .filter(|(key, _)| !key.starts_with(['\'', '"']))
    else {
        return line.to_owned();
    };
    format!("{}{}: {}", &line[..indent], quoted(key), quoted(value))
        .trim_end()
        .to_owned()
}

fn quoted(scalar: &str) -> String {
    if is_plain_but_not_a_string_in_yaml11(scalar) {
        format!("'{}'", scalar.replace('\'', "''"))
    } else {
        scalar.to_owned()
    }
}

/// Whether `scalar`, written plain, is a boolean, null, integer, float,
/// timestamp, merge key or value key to YAML 1.1 (its type repository's
/// regular expressions).
fn is_plain_but_not_a_string_in_yaml11(scalar: &str) -> bool {
    const BOOLS: [&str; 22] = [
        "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "true", "True", "TRUE", "false",
        "False", "FALSE", "on", "On", "ON", "off", "Off", "OFF",
    ];
    // With YAML 1.1's merge key `<<` and value key `=`, which its readers
    // take for a map's keys of their own.
    const SPECIAL: [&str; 12] = [
        "~", "null", "Null", "NULL", ".inf", ".Inf", ".INF", ".nan", ".NaN", ".NAN", "<<", "=",
    ];
    if scalar.is_empty() || scalar.starts_with(['\'', '"', '|', '>']) {
        return false;
    }
    if BOOLS.contains(&scalar) || SPECIAL.contains(&scalar) {
        return true;
    }
    let unsigned = scalar.strip_prefix(['-', '+']).unwrap_or(scalar);
    if [".inf", ".Inf", ".INF"].contains(&unsigned) {
        return true;
    }
    is_number(unsigned) || is_timestamp(scalar)
}

/// YAML 1.1 integers and floats, without their sign: binary, octal,
/// decimal and hex with `_` anywhere, base 60 (`12:30:00`), and decimals
/// with a point or an exponent.
fn is_number(text: &str) -> bool {
    let digits = |s: &str, radix: u32| {
        !s.is_empty()
            && s.chars().all(|c| c == '_' || c.is_digit(radix))
            && s.chars().any(|c| c != '_')
    };
    if let Some(rest) = text.strip_prefix("0b") {
        return digits(rest, 2);
    }
    if let Some(rest) = text.strip_prefix("0x") {
        return digits(rest, 16);
    }
    if text.contains(':') {
        // Base 60: 1:20, 12:30:00, 190:20:30.15.
        let mut parts = text.split(':');
        let first = parts.next().unwrap_or_default();
        return digits(first, 10)
            && parts.all(|part| {
                let whole = part.split_once('.').map_or(part, |(whole, _)| whole);
                !whole.is_empty() && whole.len() <= 2 && digits(whole, 10)
            });
    }
    let (mantissa, exponent) = match text.split_once(['e', 'E']) {
        Some((mantissa, exponent)) => (mantissa, Some(exponent)),
        None => (text, None),
    };
    let exponent_ok = exponent.is_none_or(|e| digits(e.strip_prefix(['-', '+']).unwrap_or(e), 10));
    let mantissa_ok = match mantissa.split_once('.') {
        Some((whole, fraction)) => {
            (whole.is_empty() || digits(whole, 10))
                && fraction
                    .chars()
                    .all(|c| c == '_' || c == '.' || c.is_ascii_digit())
                && !(whole.is_empty() && fraction.is_empty())
        }
        None => digits(mantissa, 10),
    };
    mantissa_ok && exponent_ok
}

/// A YAML 1.1 timestamp starts with a date: `2024-01-01`, `2024-1-1`.
fn is_timestamp(text: &str) -> bool {
    let date = text.split(['T', 't', ' ']).next().unwrap_or_default();
    let parts: Vec<&str> = date.split('-').collect();
    parts.len() == 3
        && parts[0].len() == 4
        && (1..=2).contains(&parts[1].len())
        && (1..=2).contains(&parts[2].len())
        && parts
            .iter()
            .all(|part| part.chars().all(|c| c.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_yaml11_reads_as_no_string_is_quoted() {
        for scalar in [
            "<<",
            "=",
            "no",
            "off",
            "yes",
            "On",
            "y",
            "~",
            "2024-01-01",
            "2024-1-1 10:00:00",
            "0o17x",
            "017",
            "1_000",
            "12:30:00",
            "1:20",
            "0x1F",
            "0b101",
            "1e3",
            "-.5",
            "+.inf",
            ".NaN",
            "3.14",
        ] {
            let expected = scalar != "0o17x";
            assert_eq!(
                is_plain_but_not_a_string_in_yaml11(scalar),
                expected,
                "{scalar}"
            );
        }
        for plain in [
            "prod",
            "shop-prod-db",
            "10.0.0.0/16",
            "v1.2.3",
            "2024",
            "a:b",
            "no way",
        ] {
            let expected = plain == "2024";
            assert_eq!(
                is_plain_but_not_a_string_in_yaml11(plain),
                expected,
                "{plain}"
            );
        }
    }

    #[test]
    fn a_block_value_is_left_as_it_is() {
        let yaml =
            "  tags:\n    Note: |-\n      first\n      no: off\n    Backup: no\n  subnets: []\n";
        assert_eq!(
            quote_tags(yaml),
            "  tags:\n    Note: |-\n      first\n      no: off\n    Backup: 'no'\n  subnets: []\n"
        );
    }

    #[test]
    fn only_tag_entries_are_quoted() {
        let yaml = "network_acls:\n- id: acl-0a\n  is_default: false\n  tags:\n    Backup: no\n    'quoted': off\n    Since: 2024-01-01\n    Name: prod\n  subnets: []\n";
        assert_eq!(
            quote_tags(yaml),
            "network_acls:\n- id: acl-0a\n  is_default: false\n  tags:\n    Backup: 'no'\n    'quoted': off\n    Since: '2024-01-01'\n    Name: prod\n  subnets: []\n"
        );
    }
}
