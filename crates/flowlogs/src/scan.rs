//! The scan: each file streamed line by line, the files spread over the
//! cores, and what each found merged.

use std::collections::{BTreeSet, HashMap};
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::net::IpAddr;
use std::path::Path;

use flate2::read::MultiGzDecoder;
use nacl_drift_analysis::{Family, Service};
use nacl_drift_model::Direction;
use rayon::prelude::*;

use crate::files::{list, may_hold, named};
use crate::format::{Field, Format};
use crate::{
    Evidence, FlowLogError, Interface, Interfaces, LONGEST_INTERVAL, Query, Scan, SourceCount,
    Span, Unreadable,
};

/// How many malformed lines are quoted.
const EXAMPLES: usize = 5;

/// Reads the flow log files under `root` (or the file `root`) for the
/// records each query's window admitted; `interfaces` are those read now,
/// by which a record without `subnet-id` is placed and turned.
pub fn scan(root: &Path, queries: &[Query], interfaces: &Interfaces) -> Result<Scan, FlowLogError> {
    let (files, others) = list(root)?;
    let plan = Plan::new(queries, interfaces);
    let (read, passed_over): (Vec<_>, Vec<_>) = files
        .into_iter()
        .partition(|path| named(path).is_none_or(|named| may_hold(&named, queries)));
    let found = read
        .par_iter()
        .map(|path| plan.file(path))
        .reduce(|| Found::new(queries.len()), Found::merged);
    let mut scan = found.scan;
    scan.files = read.len() as u64;
    scan.files_passed_over = passed_over.len() as u64;
    scan.unreadable.extend(others);
    scan.unreadable.sort_by(|a, b| a.path.cmp(&b.path));
    scan.evidence = queries
        .iter()
        .zip(found.windows)
        .map(|(query, window)| window.evidence(query, &plan, &found.minutes))
        .collect();
    Ok(scan)
}

/// The queries, indexed: by subnet, and the interfaces by id.
struct Plan<'a> {
    queries: &'a [Query],
    /// Each subnet some query names, by id: its index.
    subnets: HashMap<&'a str, usize>,
    /// The windows of each subnet index, by time.
    by_subnet: Vec<Windows>,
    interfaces: &'a Interfaces,
}

/// What one or more files found.
struct Found {
    scan: Scan,
    windows: Vec<Counted>,
    /// The minutes that have a record, by subnet index.
    minutes: HashMap<usize, BTreeSet<i64>>,
}

/// The records one window admitted.
#[derive(Default)]
struct Counted {
    records: u64,
    packets: u64,
    bytes: u64,
    first: Option<i64>,
    last: Option<i64>,
    sources: HashMap<IpAddr, u64>,
}

/// One record's fields, as text.
#[derive(Default)]
struct Line<'a> {
    interface: Option<&'a str>,
    subnet: Option<&'a str>,
    src: Option<&'a str>,
    dst: Option<&'a str>,
    pkt_src: Option<&'a str>,
    pkt_dst: Option<&'a str>,
    port: Option<&'a str>,
    protocol: Option<&'a str>,
    packets: Option<&'a str>,
    bytes: Option<&'a str>,
    start: Option<&'a str>,
    end: Option<&'a str>,
    action: Option<&'a str>,
    status: Option<&'a str>,
    direction: Option<&'a str>,
}

impl<'a> Line<'a> {
    /// The fields of `text` by `format`; `None` when it has another number
    /// of columns.
    fn of(text: &'a str, format: &Format) -> Option<Line<'a>> {
        let mut line = Line::default();
        let mut columns = 0;
        for (value, field) in text
            .split(' ')
            .zip(format.columns.iter().chain(std::iter::repeat(&None)))
        {
            columns += 1;
            let slot = match field {
                None => continue,
                Some(Field::InterfaceId) => &mut line.interface,
                Some(Field::SubnetId) => &mut line.subnet,
                Some(Field::SrcAddr) => &mut line.src,
                Some(Field::DstAddr) => &mut line.dst,
                Some(Field::PktSrcAddr) => &mut line.pkt_src,
                Some(Field::PktDstAddr) => &mut line.pkt_dst,
                Some(Field::DstPort) => &mut line.port,
                Some(Field::Protocol) => &mut line.protocol,
                Some(Field::Packets) => &mut line.packets,
                Some(Field::Bytes) => &mut line.bytes,
                Some(Field::Start) => &mut line.start,
                Some(Field::End) => &mut line.end,
                Some(Field::Action) => &mut line.action,
                Some(Field::LogStatus) => &mut line.status,
                Some(Field::FlowDirection) => &mut line.direction,
            };
            *slot = Some(value).filter(|value| *value != "-");
        }
        (columns == format.columns.len()).then_some(line)
    }
}

/// A record read.
struct Record {
    status: Status,
    placed: Placed,
    start: i64,
    end: i64,
    /// An ACCEPT record's flow.
    flow: Option<Flow>,
}

/// A record's log-status.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Status {
    Ok,
    /// No traffic in its interval: the interval is covered.
    NoData,
    /// Flows not captured: the interval is not covered by this record.
    SkipData,
}

/// Where a record was captured.
#[derive(Clone, Copy)]
enum Placed {
    /// On an interface not read now, with no subnet-id.
    Unplaced,
    /// In a subnet no window is of.
    Elsewhere,
    /// In the subnet of this index.
    Watched(usize),
}

/// An ACCEPT record's flow.
struct Flow {
    /// Into or out of the interface; `None` when it cannot be told.
    direction: Option<Direction>,
    /// The packet's source and destination (`pkt-srcaddr`, `pkt-dstaddr`
    /// when the format has them: the addresses the NACL saw).
    src: IpAddr,
    dst: IpAddr,
    port: u16,
    protocol: u8,
    packets: u64,
    bytes: u64,
}

/// A subnet's windows, sorted by when they opened, so that a record finds
/// those it overlaps without looking at the others (a week can hold
/// thousands of windows).
#[derive(Default)]
struct Windows {
    /// The queries, by their start.
    queries: Vec<usize>,
    /// Their starts.
    froms: Vec<i64>,
    /// Their ends.
    untils: Vec<i64>,
    /// The latest end of each query and all before it.
    reach: Vec<i64>,
}

impl Windows {
    /// The queries whose window overlaps `start..=end`.
    fn overlapping(&self, start: i64, end: i64) -> impl Iterator<Item = usize> + '_ {
        let opened = self.froms.partition_point(|from| *from <= end);
        (0..opened)
            .rev()
            .take_while(move |at| self.reach[*at] >= start)
            .filter(move |at| self.untils[*at] >= start)
            .map(|at| self.queries[at])
    }
}

impl<'a> Plan<'a> {
    fn new(queries: &'a [Query], interfaces: &'a Interfaces) -> Plan<'a> {
        let mut subnets = HashMap::new();
        let mut by_subnet: Vec<Windows> = Vec::new();
        for (index, query) in queries.iter().enumerate() {
            for subnet in &query.subnets {
                let next = subnets.len();
                let at = *subnets.entry(subnet.as_str()).or_insert(next);
                if at == by_subnet.len() {
                    by_subnet.push(Windows::default());
                }
                by_subnet[at].queries.push(index);
            }
        }
        for windows in &mut by_subnet {
            windows.queries.sort_by_key(|index| queries[*index].from);
            let spans = windows.queries.iter().map(|index| &queries[*index]);
            windows.froms = spans.clone().map(|query| query.from).collect();
            windows.untils = spans.map(|query| query.until).collect();
            windows.reach = windows
                .queries
                .iter()
                .scan(i64::MIN, |reach, index| {
                    *reach = (*reach).max(queries[*index].until);
                    Some(*reach)
                })
                .collect();
        }
        Plan {
            queries,
            subnets,
            by_subnet,
            interfaces,
        }
    }

    /// What one file holds; a file that cannot be read whole is named.
    fn file(&self, path: &Path) -> Found {
        let mut found = Found::new(self.queries.len());
        if let Err(why) = self.read(path, &mut found) {
            found.scan.unreadable.push(Unreadable {
                path: path.to_owned(),
                why,
            });
        }
        found
    }

    fn read(&self, path: &Path, found: &mut Found) -> Result<(), String> {
        let file = File::open(path).map_err(|error| error.to_string())?;
        let reader: Box<dyn Read> = if path.extension().is_some_and(|ext| ext == "gz") {
            Box::new(MultiGzDecoder::new(file))
        } else {
            Box::new(file)
        };
        let mut reader = BufReader::with_capacity(1 << 18, reader);
        let mut bytes = Vec::new();
        let mut format = None;
        let mut number = 0u64;
        loop {
            bytes.clear();
            let read = reader
                .read_until(b'\n', &mut bytes)
                .map_err(|error| format!("it is corrupt after line {number}: {error}"))?;
            if read == 0 {
                return Ok(());
            }
            number += 1;
            let text = std::str::from_utf8(&bytes).map(|text| text.trim_end_matches(['\n', '\r']));
            let format = match (&format, &text) {
                (Some(format), _) => format,
                (None, Ok(text)) => match Format::of_header(text) {
                    Some(header) => {
                        format = Some(header?);
                        continue;
                    }
                    None => format.insert(Format::default_v2()),
                },
                (None, Err(_)) => format.insert(Format::default_v2()),
            };
            match text {
                Ok("") => {}
                Ok(text) => match self.record(text, format) {
                    Ok(read) => found.count(read, self),
                    Err(why) => found.malformed(path, number, why),
                },
                Err(_) => found.malformed(path, number, "it is not UTF-8"),
            }
        }
    }

    /// Reads one record.
    fn record(&self, text: &str, format: &Format) -> Result<Record, &'static str> {
        let line = Line::of(text, format).ok_or("its number of fields is not its header's")?;
        let status = match line.status {
            None | Some("OK") => Status::Ok,
            Some("NODATA") => Status::NoData,
            Some("SKIPDATA") => Status::SkipData,
            Some(_) => return Err("its log-status is not OK, NODATA or SKIPDATA"),
        };
        let time = |value: Option<&str>| value.and_then(|value| value.parse::<i64>().ok());
        let (Some(start), Some(end)) = (time(line.start), time(line.end)) else {
            return Err("its start or end is not a time");
        };
        let interface = line.interface.and_then(|id| self.interfaces.get(id));
        let placed = match line
            .subnet
            .or(interface.map(|interface| interface.subnet_id.as_str()))
        {
            None => Placed::Unplaced,
            Some(subnet) => self
                .subnets
                .get(subnet)
                .map_or(Placed::Elsewhere, |index| Placed::Watched(*index)),
        };
        let flow = match (status, line.action) {
            (Status::Ok, Some("ACCEPT")) => Some(flow(&line, interface)?),
            (Status::Ok, Some("REJECT")) | (Status::NoData | Status::SkipData, _) => None,
            (Status::Ok, _) => return Err("its action is not ACCEPT or REJECT"),
        };
        Ok(Record {
            status,
            placed,
            start,
            end,
            flow,
        })
    }
}

/// An ACCEPT record's flow; its direction is its `flow-direction`, else
/// which side holds the interface's own address.
fn flow(line: &Line, interface: Option<&Interface>) -> Result<Flow, &'static str> {
    let address = |value: Option<&str>| value.and_then(|value| value.parse::<IpAddr>().ok());
    let (Some(src), Some(dst)) = (address(line.src), address(line.dst)) else {
        return Err("its srcaddr or dstaddr is not an IP address");
    };
    let number = |value: Option<&str>| value.map_or(Ok(0), |value| value.parse::<u64>());
    let (Ok(packets), Ok(bytes)) = (number(line.packets), number(line.bytes)) else {
        return Err("its packets or bytes is not a number");
    };
    let direction = match line.direction {
        Some("ingress") => Some(Direction::Ingress),
        Some("egress") => Some(Direction::Egress),
        Some(_) => return Err("its flow-direction is not ingress or egress"),
        None => interface.and_then(|interface| {
            if interface.addresses.contains(&dst) {
                Some(Direction::Ingress)
            } else if interface.addresses.contains(&src) {
                Some(Direction::Egress)
            } else {
                None
            }
        }),
    };
    Ok(Flow {
        direction,
        src: address(line.pkt_src).unwrap_or(src),
        dst: address(line.pkt_dst).unwrap_or(dst),
        port: line
            .port
            .and_then(|port| port.parse().ok())
            .ok_or("its dstport is not a port")?,
        protocol: line
            .protocol
            .and_then(|protocol| protocol.parse().ok())
            .ok_or("its protocol is not a protocol number")?,
        packets,
        bytes,
    })
}

impl Found {
    fn new(queries: usize) -> Found {
        Found {
            scan: Scan::default(),
            windows: (0..queries).map(|_| Counted::default()).collect(),
            minutes: HashMap::new(),
        }
    }

    fn malformed(&mut self, path: &Path, number: u64, why: &str) {
        self.scan.malformed += 1;
        if self.scan.malformed_examples.len() < EXAMPLES {
            let example = format!("{} line {number}: {why}", path.display());
            self.scan.malformed_examples.push(example);
        }
    }

    fn count(&mut self, read: Record, plan: &Plan) {
        self.scan.records += 1;
        match read.status {
            Status::Ok => {}
            Status::NoData => self.scan.nodata += 1,
            Status::SkipData => {
                self.scan.skipdata += 1;
                return;
            }
        }
        let subnet = match read.placed {
            Placed::Watched(subnet) => subnet,
            Placed::Unplaced => {
                self.scan.unplaced += u64::from(read.flow.is_some());
                return;
            }
            Placed::Elsewhere => return,
        };
        // A record's span is one aggregation interval at most; a longer one
        // is marked at its ends only.
        let (first, last) = (read.start.div_euclid(60), read.end.div_euclid(60));
        let minutes = self.minutes.entry(subnet).or_default();
        if last - first <= LONGEST_INTERVAL / 60 {
            minutes.extend(first..=last);
        } else {
            minutes.extend([first, last]);
        }
        let Some(flow) = read.flow else {
            return;
        };
        let Some(direction) = flow.direction else {
            self.scan.direction_unknown += 1;
            return;
        };
        let remote = match direction {
            Direction::Ingress => flow.src,
            Direction::Egress => flow.dst,
        };
        for index in plan.by_subnet[subnet].overlapping(read.start, read.end) {
            let query = &plan.queries[index];
            let admitted = query.effect.direction == direction
                && admits(&query.effect.service, flow.protocol, flow.port)
                && holds(&query.effect.addresses, remote);
            if admitted {
                let counted = &mut self.windows[index];
                counted.records += 1;
                counted.packets += flow.packets;
                counted.bytes += flow.bytes;
                counted.first = Some(counted.first.map_or(read.start, |at| at.min(read.start)));
                counted.last = Some(counted.last.map_or(read.end, |at| at.max(read.end)));
                *counted.sources.entry(remote).or_default() += 1;
            }
        }
    }

    fn merged(mut self, other: Found) -> Found {
        let (mine, theirs) = (&mut self.scan, other.scan);
        mine.records += theirs.records;
        mine.nodata += theirs.nodata;
        mine.skipdata += theirs.skipdata;
        mine.malformed += theirs.malformed;
        mine.unplaced += theirs.unplaced;
        mine.direction_unknown += theirs.direction_unknown;
        mine.unreadable.extend(theirs.unreadable);
        mine.malformed_examples.extend(theirs.malformed_examples);
        mine.malformed_examples.truncate(EXAMPLES);
        for (counted, other) in self.windows.iter_mut().zip(other.windows) {
            counted.records += other.records;
            counted.packets += other.packets;
            counted.bytes += other.bytes;
            counted.first = match (counted.first, other.first) {
                (Some(mine), Some(theirs)) => Some(mine.min(theirs)),
                (mine, theirs) => mine.or(theirs),
            };
            counted.last = counted.last.max(other.last);
            for (source, records) in other.sources {
                *counted.sources.entry(source).or_default() += records;
            }
        }
        for (subnet, minutes) in other.minutes {
            self.minutes.entry(subnet).or_default().extend(minutes);
        }
        self
    }
}

impl Counted {
    /// The window's evidence, with the parts of it no record covers.
    fn evidence(
        self,
        query: &Query,
        plan: &Plan,
        minutes: &HashMap<usize, BTreeSet<i64>>,
    ) -> Evidence {
        let reach = LONGEST_INTERVAL / 60;
        let (first, last) = (query.from.div_euclid(60), (query.until - 1).div_euclid(60));
        let marked: BTreeSet<i64> = query
            .subnets
            .iter()
            .filter_map(|subnet| plan.subnets.get(subnet.as_str()))
            .filter_map(|index| minutes.get(index))
            .flat_map(|minutes| minutes.range(first - reach..=last + reach))
            .copied()
            .collect();
        let mut unknown: Vec<Span> = Vec::new();
        for minute in first..=last {
            let covered = marked
                .range(minute - reach..=minute + reach)
                .next()
                .is_some();
            if covered {
                continue;
            }
            let from = (minute * 60).max(query.from);
            let until = ((minute + 1) * 60).min(query.until);
            match unknown.last_mut() {
                Some(span) if span.until == from => span.until = until,
                _ => unknown.push(Span { from, until }),
            }
        }
        let unknown_seconds: i64 = unknown.iter().map(|span| span.until - span.from).sum();
        let mut sources: Vec<SourceCount> = self
            .sources
            .iter()
            .map(|(address, records)| SourceCount {
                address: *address,
                records: *records,
            })
            .collect();
        sources.sort_by(|a, b| b.records.cmp(&a.records).then(a.address.cmp(&b.address)));
        let distinct_sources = sources.len();
        sources.truncate(10);
        Evidence {
            records: self.records,
            packets: self.packets,
            bytes: self.bytes,
            first_seen: self.first,
            last_seen: self.last,
            distinct_sources,
            top_sources: sources,
            covered_seconds: (query.until - query.from).max(0) - unknown_seconds,
            unknown,
        }
    }
}

/// Whether a flow of `protocol` to `port` is of `service`. ICMP records
/// carry no type or code (their ports are 0): they are of an ICMP service
/// by their protocol alone.
fn admits(service: &Service, protocol: u8, port: u16) -> bool {
    match service {
        Service::Icmp { .. } => service.protocol() == Some(protocol),
        _ => service.matches(protocol, port, 0, 0),
    }
}

/// Whether `address` is in `set`.
fn holds(set: &nacl_drift_analysis::AddressSet, address: IpAddr) -> bool {
    match address {
        IpAddr::V4(address) => {
            set.family == Family::V4 && set.contains(u128::from(u32::from(address)))
        }
        IpAddr::V6(address) => set.family == Family::V6 && set.contains(u128::from(address)),
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::net::IpAddr;
    use std::path::Path;

    use flate2::{Compression, write::GzEncoder};
    use nacl_drift_analysis::{AddressSet, Effect, EffectKind, Service};
    use nacl_drift_model::{Direction, InterfaceId, Protocol, SubnetId};

    use super::scan;
    use crate::{Interface, Interfaces, Query, Span};

    /// 2026-12-06T10:00:00Z: the window opens; it closes an hour later.
    const OPENED: i64 = 1_796_551_200;
    const CLOSED: i64 = OPENED + 3_600;
    const HEADER: &str = crate::format::DEFAULT;

    fn ssh_from_anywhere() -> Query {
        Query {
            account: "123456789012".parse().expect("an account"),
            region: "us-east-1".parse().expect("a region"),
            subnets: [SubnetId::parse("subnet-0aa").expect("a subnet")].into(),
            effect: Effect {
                direction: Direction::Ingress,
                kind: EffectKind::NewlyAllowed,
                service: Service::Ports {
                    protocol: Protocol::Tcp,
                    from: 22,
                    to: 22,
                },
                addresses: AddressSet::of_cidr(&"0.0.0.0/0".parse().expect("a CIDR")),
                baseline_rule: None,
                live_rule: None,
            },
            from: OPENED,
            until: CLOSED,
        }
    }

    /// The web server in the window's subnet, and one in another subnet.
    fn interfaces() -> Interfaces {
        let interface = |subnet: &str, address: &str| Interface {
            subnet_id: SubnetId::parse(subnet).expect("a subnet"),
            addresses: vec![address.parse().expect("an address")],
        };
        [
            ("eni-0web", interface("subnet-0aa", "10.0.1.5")),
            ("eni-0db", interface("subnet-0bb", "10.0.2.5")),
        ]
        .into_iter()
        .map(|(id, interface)| (InterfaceId::parse(id).expect("an id"), interface))
        .collect()
    }

    /// A default-format record on `interface`, `minutes` after the window
    /// opened.
    fn record(
        interface: &str,
        src: &str,
        dst: &str,
        port: u16,
        minutes: i64,
        action: &str,
    ) -> String {
        let start = OPENED + minutes * 60;
        format!(
            "2 123456789012 {interface} {src} {dst} 49152 {port} 6 10 840 {start} {} {action} OK",
            start + 50
        )
    }

    fn gzip(path: &Path, lines: &[String]) {
        let file = std::fs::File::create(path).expect("created");
        let mut gz = GzEncoder::new(file, Compression::fast());
        for line in lines {
            writeln!(gz, "{line}").expect("written");
        }
        gz.finish().expect("finished");
    }

    fn s3_name(stamp: &str) -> String {
        format!("123456789012_vpcflowlogs_us-east-1_fl-0abc_{stamp}_fe123456.log.gz")
    }

    #[test]
    fn only_accepted_flows_in_the_window_on_its_port_from_its_sources_into_its_subnets_count() {
        let dir = tempfile::tempdir().expect("a folder");
        let day = dir
            .path()
            .join("AWSLogs/123456789012/vpcflowlogs/us-east-1/2026/12/06");
        std::fs::create_dir_all(&day).expect("made");
        let mut lines = vec![HEADER.to_owned()];
        for minute in 0..60 {
            lines.push(format!(
                "2 123456789012 eni-0web - - - - - - - {} {} - NODATA",
                OPENED + minute * 60,
                OPENED + minute * 60 + 59
            ));
        }
        lines.extend([
            // Counted: two from one source, one from another.
            record("eni-0web", "203.0.113.9", "10.0.1.5", 22, 5, "ACCEPT"),
            record("eni-0web", "203.0.113.9", "10.0.1.5", 22, 20, "ACCEPT"),
            record("eni-0web", "198.51.100.7", "10.0.1.5", 22, 30, "ACCEPT"),
            // Not counted: a REJECT, another port, before the window, the
            // reply going out, another subnet.
            record("eni-0web", "192.0.2.1", "10.0.1.5", 22, 6, "REJECT"),
            record("eni-0web", "203.0.113.9", "10.0.1.5", 443, 7, "ACCEPT"),
            record("eni-0web", "203.0.113.9", "10.0.1.5", 22, -30, "ACCEPT"),
            record("eni-0web", "10.0.1.5", "203.0.113.9", 22, 8, "ACCEPT"),
            record("eni-0db", "203.0.113.9", "10.0.2.5", 22, 9, "ACCEPT"),
            // Counted apart: on an interface not read now.
            record("eni-0gone", "203.0.113.9", "10.0.1.6", 22, 10, "ACCEPT"),
            "2 123456789012 eni-0web - - - - - - - 1 2 - SKIPDATA".to_owned(),
            "2 123456789012 eni-0web 203.0.113.9".to_owned(),
            "2 123456789012 eni-0web x y 1 22 6 1 1 1 2 ACCEPT OK".to_owned(),
        ]);
        gzip(&day.join(s3_name("20261206T1000Z")), &lines);
        // Another account's file is passed over by its name.
        gzip(
            &day.join("999999999999_vpcflowlogs_us-east-1_fl-0abc_20261206T1000Z_fe1.log.gz"),
            &lines,
        );
        std::fs::write(day.join("manifest.json"), "{}").expect("written");

        let scan = scan(dir.path(), &[ssh_from_anywhere()], &interfaces()).expect("scanned");
        let [evidence] = scan.evidence.as_slice() else {
            panic!("one window: {scan:?}");
        };
        assert_eq!(evidence.records, 3);
        assert_eq!((evidence.packets, evidence.bytes), (30, 2_520));
        let top: Vec<(IpAddr, u64)> = evidence
            .top_sources
            .iter()
            .map(|s| (s.address, s.records))
            .collect();
        assert_eq!(
            top,
            [
                ("203.0.113.9".parse().expect("ip"), 2),
                ("198.51.100.7".parse().expect("ip"), 1)
            ]
        );
        assert_eq!(evidence.distinct_sources, 2);
        assert_eq!(evidence.first_seen, Some(OPENED + 300));
        assert_eq!(evidence.last_seen, Some(OPENED + 1_850));
        assert_eq!(evidence.covered_seconds, 3_600);
        assert_eq!(evidence.unknown, []);
        assert_eq!((scan.files, scan.files_passed_over), (1, 1));
        assert_eq!(
            (scan.nodata, scan.skipdata, scan.malformed, scan.unplaced),
            (60, 1, 2, 1)
        );
        assert_eq!(scan.malformed_examples.len(), 2);
        assert!(
            scan.malformed_examples[0]
                .ends_with("line 72: its number of fields is not its header's"),
            "{:?}",
            scan.malformed_examples
        );
        let [manifest] = scan.unreadable.as_slice() else {
            panic!("the manifest: {:?}", scan.unreadable);
        };
        assert_eq!(manifest.why, "not a flow log file (*.log.gz or *.log)");
    }

    #[test]
    fn a_custom_format_is_read_by_its_header_and_a_window_without_logs_is_unknown() {
        let dir = tempfile::tempdir().expect("a folder");
        // subnet-id and flow-direction: no interface read is needed; the
        // NAT's pkt-srcaddr is the source the NACL saw.
        let lines = [
            "version subnet-id flow-direction action start end srcaddr pkt-srcaddr dstaddr dstport protocol tcp-flags".to_owned(),
            format!("5 subnet-0aa ingress ACCEPT {} {} 10.0.9.9 203.0.113.50 10.0.1.77 22 6 2", OPENED + 60, OPENED + 61),
            format!("5 subnet-0aa egress ACCEPT {} {} 10.0.1.77 - 203.0.113.50 22 6 2", OPENED + 60, OPENED + 61),
        ];
        std::fs::write(dir.path().join("flows.log"), lines.join("\n")).expect("written");
        let scan = scan(dir.path(), &[ssh_from_anywhere()], &Interfaces::new()).expect("scanned");
        let evidence = &scan.evidence[0];
        assert_eq!(evidence.records, 1);
        assert_eq!(evidence.top_sources[0].address.to_string(), "203.0.113.50");
        // Logs only around its first minute: the rest of the hour is unknown.
        assert_eq!(
            evidence.unknown,
            [Span {
                from: OPENED + 720,
                until: CLOSED
            }]
        );
        assert_eq!(evidence.covered_seconds, 720);
    }

    #[test]
    fn a_corrupt_file_is_named_and_the_others_are_read() {
        let dir = tempfile::tempdir().expect("a folder");
        std::fs::write(
            dir.path().join(s3_name("20261206T1000Z")),
            b"\x1f\x8b\x08\x00garbage",
        )
        .expect("written");
        let lines = [
            HEADER.to_owned(),
            record("eni-0web", "203.0.113.9", "10.0.1.5", 22, 5, "ACCEPT"),
        ];
        gzip(&dir.path().join(s3_name("20261206T1005Z")), &lines);
        let scan = scan(dir.path(), &[ssh_from_anywhere()], &interfaces()).expect("scanned");
        assert_eq!(scan.evidence[0].records, 1);
        let [corrupt] = scan.unreadable.as_slice() else {
            panic!("one corrupt file: {:?}", scan.unreadable);
        };
        assert!(corrupt.path.ends_with(s3_name("20261206T1000Z")));
        assert!(
            corrupt.why.starts_with("it is corrupt after line 0"),
            "{}",
            corrupt.why
        );
    }

    #[test]
    fn a_record_finds_exactly_the_windows_it_overlaps_among_many() {
        let spans = [(0, 100), (10, 20), (30, 40), (50, 60), (200, 300)];
        let queries: Vec<Query> = spans
            .iter()
            .map(|&(from, until)| Query {
                from,
                until,
                ..ssh_from_anywhere()
            })
            .collect();
        let interfaces = Interfaces::new();
        let plan = super::Plan::new(&queries, &interfaces);
        let windows = &plan.by_subnet[0];
        let found = |start, end| {
            let mut found: Vec<usize> = windows.overlapping(start, end).collect();
            found.sort_unstable();
            found
        };
        assert_eq!(found(35, 36), [0, 2], "the long window too");
        assert_eq!(found(20, 30), [0, 1, 2], "ends touch");
        assert_eq!(found(150, 199), [] as [usize; 0]);
        assert_eq!(found(250, 400), [4]);
        assert_eq!(found(-10, -1), [] as [usize; 0]);
    }

    #[test]
    fn a_folder_that_is_not_there_is_an_error_naming_it() {
        let error =
            scan(Path::new("/nonexistent/flows"), &[], &Interfaces::new()).expect_err("no folder");
        assert_eq!(
            error.to_string(),
            "cannot read the flow logs at /nonexistent/flows"
        );
    }
}
