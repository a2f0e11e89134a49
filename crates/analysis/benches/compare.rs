//! How long the exact comparison of two 40-rule NACLs takes (target: under
//! 5 ms), and linting one. The rule lists mix IPv4 and IPv6, tcp, udp,
//! icmp and all, overlapping CIDRs and port ranges, as real NACLs do.
//!
//! `cargo bench -p nacl-drift-analysis`
//!
//! divan rather than criterion: criterion's itertools turns on `either/std`,
//! which changes the feature hash of every AWS SDK crate, so `cargo test`
//! after `cargo build` compiled the SDK a second time (about 5 minutes here).

use std::collections::BTreeMap;
use std::hint::black_box;

use nacl_drift_analysis::{lint, traffic_difference};
use nacl_drift_model::{
    Action, Cidr, Direction, Entry, EntryKey, IcmpTypeCode, PortRange, RuleNumber, Traffic,
};

/// A NACL of 20 ingress and 20 egress rules; `seed` varies it.
fn nacl(seed: u32) -> BTreeMap<EntryKey, Entry> {
    let mut entries = BTreeMap::new();
    for direction in [Direction::Ingress, Direction::Egress] {
        for i in 0..20u32 {
            let mix = i.wrapping_mul(7).wrapping_add(seed) % 9;
            let cidr = match mix % 4 {
                0 => "0.0.0.0/0".to_owned(),
                1 => format!("10.{}.0.0/16", (i * 3 + seed) % 256),
                2 => format!("2600:1f18:{:x}::/48", i * 11 + seed),
                _ => format!("172.{}.{}.0/24", 16 + i % 16, (seed * 5 + i) % 256),
            };
            let port = [22, 80, 443, 3306, 5432, 6379, 8080, 9200][(i + seed) as usize % 8];
            let traffic = match mix {
                0..=2 => Traffic::Tcp(PortRange::new(port, port).expect("valid")),
                3 => Traffic::Tcp(PortRange::new(1024, 65535).expect("valid")),
                4 => Traffic::Udp(PortRange::new(53, 53).expect("valid")),
                5 => Traffic::Icmp(IcmpTypeCode::new(3, 4).expect("valid")),
                6 => Traffic::Udp(PortRange::new(1024, 65535).expect("valid")),
                _ => Traffic::All,
            };
            let action = if (i + seed).is_multiple_of(5) {
                Action::Deny
            } else {
                Action::Allow
            };
            let cidr = Cidr::canonicalize(&cidr).expect("valid CIDR");
            let traffic = match (traffic, cidr.is_ipv6()) {
                (Traffic::Icmp(_), true) => Traffic::Icmpv6(IcmpTypeCode::ANY),
                (traffic, _) => traffic,
            };
            let key = EntryKey {
                direction,
                rule_number: RuleNumber::new(i64::from(10 * (i + 1))).expect("valid"),
            };
            entries.insert(key, Entry::new(action, traffic, cidr));
        }
    }
    entries
}

fn main() {
    divan::main();
}

#[divan::bench(name = "compare two 40-rule NACLs, both directions")]
fn compare_both_directions(bencher: divan::Bencher) {
    let baseline = nacl(1);
    let live = nacl(2);
    bencher.bench_local(|| {
        let ingress =
            traffic_difference(Direction::Ingress, black_box(&baseline), black_box(&live));
        let egress = traffic_difference(Direction::Egress, black_box(&baseline), black_box(&live));
        (ingress, egress)
    });
}

#[divan::bench(name = "lint a 40-rule NACL")]
fn lint_one(bencher: divan::Bencher) {
    let baseline = nacl(1);
    bencher.bench_local(|| lint(black_box(&baseline)));
}
