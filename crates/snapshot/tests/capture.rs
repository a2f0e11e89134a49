//! Capture on the in-memory EC2: baselines written, an unchanged estate
//! rewrites nothing, and a VPC gone has its baseline removed and its
//! region recorded as holding no VPC.

use std::collections::{BTreeMap, BTreeSet};

use nacl_drift_fixtures::{ACCOUNT, InMemoryEc2, REGION, one_vpc};
use nacl_drift_model::{AccountId, Region};
use nacl_drift_snapshot::{FileOutcome, RegionSummary, capture, write};

async fn snapshot(ec2: &InMemoryEc2, dir: &std::path::Path) -> BTreeMap<Region, RegionSummary> {
    let account: AccountId = ACCOUNT.parse().expect("an account");
    let region: Region = REGION.parse().expect("a region");
    let regions = BTreeMap::from([(account, BTreeSet::from([region]))]);
    let captured = capture(ec2.clone(), ec2.clone(), regions, BTreeSet::new())
        .await
        .expect("a capture");
    write(dir, captured).expect("written")
}

fn files(summary: &BTreeMap<Region, RegionSummary>) -> Vec<(FileOutcome, usize)> {
    let region: Region = REGION.parse().expect("a region");
    summary[&region].files.clone().into_iter().collect()
}

#[tokio::test]
async fn a_snapshot_writes_once_then_keeps_and_removes_what_is_gone() {
    let dir = tempfile::tempdir().expect("a folder");
    let ec2 = InMemoryEc2::of(&one_vpc());
    let baseline = dir.path().join("111122223333/us-east-1/vpc-0prod.yaml");

    let first = snapshot(&ec2, dir.path()).await;
    assert_eq!(files(&first), [(FileOutcome::Created, 1)]);
    let region: Region = REGION.parse().expect("a region");
    assert_eq!(
        (
            first[&region].vpcs,
            first[&region].acls,
            first[&region].entries
        ),
        (1, 1, 2)
    );
    let written = std::fs::read_to_string(&baseline).expect("the baseline");
    assert!(written.contains("rule_number: 80"), "{written}");
    assert_eq!(
        ec2.calls(),
        ["DescribeNetworkAcls", "DescribeSubnets"],
        "one read, and the labels of the region that holds NACLs"
    );

    let again = snapshot(&ec2, dir.path()).await;
    assert_eq!(files(&again), [(FileOutcome::Unchanged, 1)]);
    assert_eq!(std::fs::read_to_string(&baseline).expect("kept"), written);

    ec2.remove_acl("acl-0db");
    let gone = snapshot(&ec2, dir.path()).await;
    assert_eq!(
        files(&gone),
        [(FileOutcome::Created, 1), (FileOutcome::Removed, 1)],
        "the VPC's baseline removed, the region recorded"
    );
    assert!(!baseline.exists());
    assert!(
        dir.path()
            .join("111122223333/us-east-1/no-vpcs.yaml")
            .exists()
    );
}
