//! Snapshot against recorded DescribeNetworkAcls responses shaped like real
//! AWS ones: what the local emulator does not do (pagination, ICMP
//! type/code, the catch-all rules of custom NACLs, error codes).

use std::collections::BTreeSet;

use nacl_drift_aws::{DescribeAclsError, fetch_network_acls};
use nacl_drift_model::{Cidr, Direction, EntryKey, IcmpTypeCode, PortRange, RuleNumber, Traffic};
use nacl_drift_replay::{Recorded, Replay};

fn page(acls: &str, next_token: Option<&str>) -> Recorded {
    let token = next_token
        .map(|token| format!("<nextToken>{token}</nextToken>"))
        .unwrap_or_default();
    Recorded::ok(format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<DescribeNetworkAclsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
    <requestId>59dbff89-35bd-4eac-99ed-be587EXAMPLE</requestId>
    <networkAclSet>{acls}</networkAclSet>
    {token}
</DescribeNetworkAclsResponse>"#
    ))
}

/// A custom NACL as AWS describes it: with its catch-all denies.
const DB_TIER: &str = r#"
<item>
    <networkAclId>acl-0db</networkAclId>
    <vpcId>vpc-0prod</vpcId>
    <default>false</default>
    <entrySet>
        <item>
            <ruleNumber>80</ruleNumber><protocol>6</protocol><ruleAction>deny</ruleAction>
            <egress>false</egress><cidrBlock>0.0.0.0/0</cidrBlock>
            <portRange><from>22</from><to>22</to></portRange>
        </item>
        <item>
            <ruleNumber>90</ruleNumber><protocol>58</protocol><ruleAction>allow</ruleAction>
            <egress>false</egress><ipv6CidrBlock>2001:db8:1234:1a00::/56</ipv6CidrBlock>
            <icmpTypeCode><code>0</code><type>128</type></icmpTypeCode>
        </item>
        <item>
            <ruleNumber>100</ruleNumber><protocol>1</protocol><ruleAction>allow</ruleAction>
            <egress>false</egress><cidrBlock>10.0.0.0/16</cidrBlock>
            <icmpTypeCode><code>-1</code><type>-1</type></icmpTypeCode>
        </item>
        <item>
            <ruleNumber>32767</ruleNumber><protocol>-1</protocol><ruleAction>deny</ruleAction>
            <egress>false</egress><cidrBlock>0.0.0.0/0</cidrBlock>
        </item>
        <item>
            <ruleNumber>32768</ruleNumber><protocol>-1</protocol><ruleAction>deny</ruleAction>
            <egress>false</egress><ipv6CidrBlock>::/0</ipv6CidrBlock>
        </item>
        <item>
            <ruleNumber>100</ruleNumber><protocol>-1</protocol><ruleAction>allow</ruleAction>
            <egress>true</egress><cidrBlock>0.0.0.0/0</cidrBlock>
            <portRange><from>0</from><to>65535</to></portRange>
        </item>
        <item>
            <ruleNumber>32767</ruleNumber><protocol>-1</protocol><ruleAction>deny</ruleAction>
            <egress>true</egress><cidrBlock>0.0.0.0/0</cidrBlock>
        </item>
    </entrySet>
    <associationSet>
        <item>
            <networkAclAssociationId>aclassoc-0a</networkAclAssociationId>
            <networkAclId>acl-0db</networkAclId>
            <subnetId>subnet-0b</subnetId>
        </item>
        <item>
            <networkAclAssociationId>aclassoc-0b</networkAclAssociationId>
            <networkAclId>acl-0db</networkAclId>
            <subnetId>subnet-0a</subnetId>
        </item>
    </associationSet>
    <tagSet>
        <item><key>Name</key><value>db-tier</value></item>
        <item><key>Tier</key><value>db</value></item>
    </tagSet>
    <ownerId>111122223333</ownerId>
</item>"#;

fn acl(id: &str, vpc: &str, owner: &str) -> String {
    format!(
        "<item><networkAclId>{id}</networkAclId><vpcId>{vpc}</vpcId><default>true</default>\
         <entrySet/><associationSet/><tagSet/><ownerId>{owner}</ownerId></item>"
    )
}

fn key(direction: Direction, number: i64) -> EntryKey {
    EntryKey {
        direction,
        rule_number: RuleNumber::new(number).expect("valid rule number"),
    }
}

#[tokio::test]
async fn follows_next_token_across_pages() {
    let replay = Replay::new([
        page(
            &acl("acl-0b", "vpc-1", "111122223333"),
            Some("page-2-token"),
        ),
        page(
            &acl("acl-0c", "vpc-2", "111122223333"),
            Some("page-3-token"),
        ),
        page(&acl("acl-0a", "vpc-1", "111122223333"), None),
    ]);
    let observed = fetch_network_acls(&replay.client(), &BTreeSet::new())
        .await
        .expect("snapshot succeeds");

    let ids: Vec<&str> = observed.iter().map(|o| o.acl.id.as_str()).collect();
    assert_eq!(
        ids,
        ["acl-0a", "acl-0b", "acl-0c"],
        "all pages, sorted by id"
    );
    let requests = replay.requests();
    assert_eq!(requests.len(), 3);
    assert!(
        requests
            .iter()
            .all(|r| r.contains("Action=DescribeNetworkAcls"))
    );
    assert!(requests.iter().all(|r| r.contains("MaxResults=1000")));
    assert!(!requests[0].contains("NextToken"));
    assert!(requests[1].contains("NextToken=page-2-token"));
    assert!(requests[2].contains("NextToken=page-3-token"));
}

#[tokio::test]
async fn filters_on_the_requested_vpcs() {
    let replay = Replay::new([page(&acl("acl-0a", "vpc-1", "111122223333"), None)]);
    let vpcs = BTreeSet::from(["vpc-1".parse().expect("id"), "vpc-2".parse().expect("id")]);
    fetch_network_acls(&replay.client(), &vpcs)
        .await
        .expect("snapshot succeeds");
    let request = &replay.requests()[0];
    assert!(request.contains("Filter.1.Name=vpc-id"), "{request}");
    assert!(request.contains("Filter.1.Value.1=vpc-1"), "{request}");
    assert!(request.contains("Filter.1.Value.2=vpc-2"), "{request}");
}

#[tokio::test]
async fn converts_every_field_and_leaves_out_catch_all_rules() {
    let replay = Replay::new([page(DB_TIER, None)]);
    let observed = fetch_network_acls(&replay.client(), &BTreeSet::new())
        .await
        .expect("snapshot succeeds");
    let [db] = observed.as_slice() else {
        panic!("one NACL expected, got {observed:?}")
    };
    assert_eq!(db.account, "111122223333");
    assert_eq!(db.vpc_id, "vpc-0prod");
    assert!(!db.acl.is_default);
    assert_eq!(db.acl.tags.get("Name").map(String::as_str), Some("db-tier"));
    assert_eq!(
        db.acl.subnets.iter().collect::<Vec<_>>(),
        ["subnet-0a", "subnet-0b"],
        "subnets by id, not association id"
    );
    let keys: Vec<EntryKey> = db.acl.entries.keys().copied().collect();
    assert_eq!(
        keys,
        [
            key(Direction::Ingress, 80),
            key(Direction::Ingress, 90),
            key(Direction::Ingress, 100),
            key(Direction::Egress, 100),
        ],
        "32767 and 32768 are AWS's, not the baseline's"
    );

    let ssh_deny = db.acl.entries[&key(Direction::Ingress, 80)];
    assert_eq!(
        ssh_deny.describe(Direction::Ingress),
        "deny tcp 22 from 0.0.0.0/0"
    );
    assert_eq!(
        ssh_deny.traffic(),
        Traffic::Tcp(PortRange::new(22, 22).expect("valid"))
    );

    let echo_v6 = db.acl.entries[&key(Direction::Ingress, 90)];
    assert_eq!(
        echo_v6.traffic(),
        Traffic::Icmpv6(IcmpTypeCode::new(128, 0).expect("valid"))
    );
    assert_eq!(
        echo_v6.cidr(),
        Cidr::canonicalize("2001:db8:1234:1a00::/56").expect("valid")
    );

    let icmp_any = db.acl.entries[&key(Direction::Ingress, 100)];
    assert_eq!(icmp_any.traffic(), Traffic::Icmp(IcmpTypeCode::ANY));

    let egress_all = db.acl.entries[&key(Direction::Egress, 100)];
    assert_eq!(
        egress_all.traffic(),
        Traffic::All,
        "a port range on protocol -1 matches nothing more, and is dropped"
    );
}

#[tokio::test]
async fn canonicalises_cidrs_as_aws_does() {
    let body = DB_TIER.replace(
        "<cidrBlock>10.0.0.0/16</cidrBlock>",
        "<cidrBlock>10.0.3.7/16</cidrBlock>",
    );
    let replay = Replay::new([page(&body, None)]);
    let observed = fetch_network_acls(&replay.client(), &BTreeSet::new())
        .await
        .expect("snapshot succeeds");
    let entry = observed[0].acl.entries[&key(Direction::Ingress, 100)];
    assert_eq!(entry.cidr().to_string(), "10.0.0.0/16");
}

#[tokio::test]
async fn reports_aws_error_codes() {
    let replay = Replay::new([Recorded::error(
        403,
        "UnauthorizedOperation",
        "You are not authorized to perform this operation.",
    )]);
    let error = fetch_network_acls(&replay.client(), &BTreeSet::new())
        .await
        .expect_err("access is denied");
    let DescribeAclsError::Api(api) = &error else {
        panic!("an API error expected, got {error:?}")
    };
    assert_eq!(api.code.as_deref(), Some("UnauthorizedOperation"));
    assert!(api.is_access_denied());
    assert_eq!(
        error.to_string(),
        "DescribeNetworkAcls failed: UnauthorizedOperation: You are not authorized to perform this operation."
    );
}

#[tokio::test]
async fn retries_throttling() {
    let replay = Replay::new([
        Recorded::error(503, "RequestLimitExceeded", "Request limit exceeded."),
        page(&acl("acl-0a", "vpc-1", "111122223333"), None),
    ]);
    let observed = fetch_network_acls(&replay.client(), &BTreeSet::new())
        .await
        .expect("the retry succeeds");
    assert_eq!(observed.len(), 1);
    assert_eq!(replay.requests().len(), 2);
}

/// The error and its causes, as one line.
fn chain(error: &DescribeAclsError) -> String {
    let mut message = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        message = format!("{message}: {cause}");
        source = cause.source();
    }
    message
}

async fn refused(body: &str) -> String {
    let replay = Replay::new([page(body, None)]);
    let error = fetch_network_acls(&replay.client(), &BTreeSet::new())
        .await
        .expect_err("the response is refused");
    chain(&error)
}

#[tokio::test]
async fn refuses_entries_the_model_cannot_hold() {
    let body = DB_TIER.replace(
        "<ruleNumber>80</ruleNumber>",
        "<ruleNumber>40000</ruleNumber>",
    );
    assert_eq!(
        refused(&body).await,
        "DescribeNetworkAcls returned a network ACL nacl-drift cannot represent: \
         network ACL acl-0db, ingress rule 40000: rule number 40000 is outside 1..=32766 \
         (32767 and 32768 are AWS's read-only catch-all denies, which baselines leave out)"
    );
}

/// An endpoint (a compromised `--endpoint-url`, or a proxy) answering with
/// ids that would become paths outside the baseline directory.
#[tokio::test]
async fn refuses_ids_that_are_not_aws_ids() {
    let cannot = "DescribeNetworkAcls returned a network ACL nacl-drift cannot represent";
    for (from, to, expected) in [
        (
            "<vpcId>vpc-0prod</vpcId>",
            "<vpcId>../../pwned</vpcId>",
            "network ACL acl-0db: VpcId is unusable: \"../../pwned\" is not a VPC id: \
             expected vpc- followed by lowercase letters and digits",
        ),
        (
            "<vpcId>vpc-0prod</vpcId>",
            "<vpcId>vpc-1/../../../pwned</vpcId>",
            "network ACL acl-0db: VpcId is unusable: \"vpc-1/../../../pwned\" is not a VPC id: \
             expected vpc- followed by lowercase letters and digits",
        ),
        (
            "<ownerId>111122223333</ownerId>",
            "<ownerId>../pwned</ownerId>",
            "network ACL acl-0db: OwnerId is unusable: \"../pwned\" is not an AWS account id: \
             expected exactly 12 digits",
        ),
        (
            "<networkAclId>acl-0db</networkAclId>\n    <vpcId>",
            "<networkAclId>acl-0db/..</networkAclId>\n    <vpcId>",
            "a network ACL's NetworkAclId is unusable: \"acl-0db/..\" is not a network ACL id: \
             expected acl- followed by lowercase letters and digits",
        ),
        (
            "<subnetId>subnet-0b</subnetId>",
            "<subnetId>subnet-0b/../x</subnetId>",
            "network ACL acl-0db: Associations[].SubnetId is unusable: \"subnet-0b/../x\" is not a \
             subnet id: expected subnet- followed by lowercase letters and digits",
        ),
        (
            "<networkAclAssociationId>aclassoc-0a</networkAclAssociationId>",
            "<networkAclAssociationId>aclassoc-0A</networkAclAssociationId>",
            "network ACL acl-0db: Associations[].NetworkAclAssociationId is unusable: \"aclassoc-0A\" \
             is not a network ACL association id: expected aclassoc- followed by lowercase letters and digits",
        ),
    ] {
        assert!(DB_TIER.contains(from), "{from}");
        let body = DB_TIER.replacen(from, to, 1);
        assert_eq!(
            refused(&body).await,
            format!("{cannot}: {expected}"),
            "{to}"
        );
    }
}

/// AWS never returns two entries with one direction and rule number; an
/// answer that does is corrupt, and keeping either would lose the other.
#[tokio::test]
async fn refuses_two_entries_with_one_rule_number() {
    let body = DB_TIER.replace("<ruleNumber>90</ruleNumber>", "<ruleNumber>80</ruleNumber>");
    assert_eq!(
        refused(&body).await,
        "DescribeNetworkAcls returned a network ACL nacl-drift cannot represent: \
         network ACL acl-0db has two ingress entries numbered 80: \
         EC2 never returns that, so the input is corrupt"
    );
}

/// The same NACL on two pages: kept once when equal, refused when not.
#[tokio::test]
async fn a_nacl_twice_must_be_the_same_nacl() {
    let same = Replay::new([page(DB_TIER, Some("next")), page(DB_TIER, None)]);
    let observed = fetch_network_acls(&same.client(), &BTreeSet::new())
        .await
        .expect("identical copies are one NACL");
    assert_eq!(observed.len(), 1);

    let changed = DB_TIER.replace("<value>db</value>", "<value>database</value>");
    let different = Replay::new([page(DB_TIER, Some("next")), page(&changed, None)]);
    let error = fetch_network_acls(&different.client(), &BTreeSet::new())
        .await
        .expect_err("two different copies");
    assert_eq!(
        chain(&error),
        "DescribeNetworkAcls returned inconsistent network ACLs: network ACL acl-0db appears in \
         DescribeNetworkAcls twice with different content: the live state is inconsistent"
    );
}
