//! A file's format, from its header line: which column holds which field.
//! A flow log's format is any subset of the fields in any order, and one
//! folder can hold files of several formats, so each file is read by its
//! own header. A field nacl-drift does not use is passed over.

/// The fields a record is read for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Field {
    InterfaceId,
    SubnetId,
    SrcAddr,
    DstAddr,
    PktSrcAddr,
    PktDstAddr,
    DstPort,
    Protocol,
    Packets,
    Bytes,
    Start,
    End,
    Action,
    LogStatus,
    FlowDirection,
}

impl Field {
    fn of(name: &str) -> Option<Field> {
        Some(match name {
            "interface-id" => Field::InterfaceId,
            "subnet-id" => Field::SubnetId,
            "srcaddr" => Field::SrcAddr,
            "dstaddr" => Field::DstAddr,
            "pkt-srcaddr" => Field::PktSrcAddr,
            "pkt-dstaddr" => Field::PktDstAddr,
            "dstport" => Field::DstPort,
            "protocol" => Field::Protocol,
            "packets" => Field::Packets,
            "bytes" => Field::Bytes,
            "start" => Field::Start,
            "end" => Field::End,
            "action" => Field::Action,
            "log-status" => Field::LogStatus,
            "flow-direction" => Field::FlowDirection,
            _ => return None,
        })
    }
}

/// The default format (version 2), which a file without a header line is
/// taken to have.
pub(crate) const DEFAULT: &str = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status";

/// Which column holds which field, and how many columns a record has.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Format {
    pub(crate) columns: Vec<Option<Field>>,
}

/// The fields a record cannot be judged without: its addresses, port,
/// protocol, time and action, and where it was captured.
const NEEDED: [(Field, &str); 7] = [
    (Field::SrcAddr, "srcaddr"),
    (Field::DstAddr, "dstaddr"),
    (Field::DstPort, "dstport"),
    (Field::Protocol, "protocol"),
    (Field::Start, "start"),
    (Field::End, "end"),
    (Field::Action, "action"),
];

impl Format {
    /// The format a header line names; `None` when the line is not a header
    /// (a record: the file has none).
    pub(crate) fn of_header(line: &str) -> Option<Result<Format, String>> {
        let names: Vec<&str> = line.split(' ').collect();
        let is_name = |name: &&str| {
            !name.is_empty()
                && name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b == b'-' || b.is_ascii_digit())
                && name.bytes().any(|b| b.is_ascii_lowercase())
        };
        if !names.iter().all(is_name) || !names.contains(&"version") && !names.contains(&"action") {
            return None;
        }
        let format = Format {
            columns: names.iter().map(|name| Field::of(name)).collect(),
        };
        let missing: Vec<&str> = NEEDED
            .iter()
            .filter(|(field, _)| !format.columns.contains(&Some(*field)))
            .map(|(_, name)| *name)
            .collect();
        let placed = format.columns.contains(&Some(Field::InterfaceId))
            || format.columns.contains(&Some(Field::SubnetId));
        Some(if !missing.is_empty() {
            Err(format!(
                "its format has no {}: its flows cannot be matched to a window",
                missing.join(", ")
            ))
        } else if !placed {
            Err("its format has neither interface-id nor subnet-id: its flows cannot be placed in a subnet".to_owned())
        } else {
            Ok(format)
        })
    }

    /// The default format.
    pub(crate) fn default_v2() -> Format {
        match Format::of_header(DEFAULT) {
            Some(Ok(format)) => format,
            _ => unreachable!("the default format names every field needed"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Field, Format};

    #[test]
    fn a_custom_header_in_any_order_is_read_by_name() {
        let format = Format::of_header(
            "version vpc-id subnet-id flow-direction pkt-srcaddr srcaddr dstaddr dstport protocol start end action tcp-flags reject-reason",
        )
        .expect("a header")
        .expect("usable");
        assert_eq!(format.columns[2], Some(Field::SubnetId));
        assert_eq!(format.columns[12], None, "tcp-flags is passed over");
        assert_eq!(format.columns[3], Some(Field::FlowDirection));
    }

    #[test]
    fn a_record_line_is_no_header_and_a_header_that_lacks_a_field_says_which() {
        assert!(Format::of_header("2 123456789010 eni-1 - - - - - - - 1 2 - NODATA").is_none());
        let lacking = Format::of_header("version interface-id srcaddr dstaddr start end action")
            .expect("a header")
            .expect_err("no port");
        assert_eq!(
            lacking,
            "its format has no dstport, protocol: its flows cannot be matched to a window"
        );
    }
}
