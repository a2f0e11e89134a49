//! AWS identifiers, each its own type, valid by construction.
//!
//! Ids come from outside (API responses, exports, CloudTrail records,
//! baseline files, command-line flags) and some of them become parts of
//! file paths (`<account>/<region>/<vpc-id>.yaml`). Parsing one checks its
//! whole shape, so no value that holds a dot, a slash or anything but
//! lowercase letters, digits and dashes ever reaches a path.

use std::borrow::Borrow;
use std::fmt;
use std::ops::Deref;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A value that is not a valid id of its kind.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{} is not {kind}: expected {expected}", shown(.value))]
pub struct IdError {
    /// What the value should have been: "a VPC id".
    pub kind: &'static str,
    /// The value as given.
    pub value: String,
    /// The shape that was expected, in words.
    pub expected: &'static str,
}

/// The value quoted and escaped, and cut short when it is long, so that a
/// hostile value cannot flood or garble the terminal.
fn shown(value: &str) -> String {
    format!("\"{}\"", crate::sanitize::cut(value))
}

macro_rules! string_id {
    ($(#[$doc:meta])* $name:ident, $kind:literal, $expected:literal, $valid:expr) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            /// Parses `value`, refusing anything that is not of this kind.
            pub fn parse(value: &str) -> Result<Self, IdError> {
                let valid: fn(&str) -> bool = $valid;
                if valid(value) {
                    Ok($name(value.to_owned()))
                } else {
                    Err(IdError {
                        kind: $kind,
                        value: value.to_owned(),
                        expected: $expected,
                    })
                }
            }

            /// The id as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl Deref for $name {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<String> for $name {
            fn eq(&self, other: &String) -> bool {
                self.0 == *other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        /// For APIs that take `impl Into<String>`, as the AWS SDK's do.
        impl From<&$name> for String {
            fn from(id: &$name) -> String {
                id.0.clone()
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl FromStr for $name {
            type Err = IdError;
            fn from_str(value: &str) -> Result<Self, IdError> {
                $name::parse(value)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            /// Parses inside the visitor, so that a format that knows where
            /// the value stands (YAML's line and column) says so.
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct IdVisitor;
                impl serde::de::Visitor<'_> for IdVisitor {
                    type Value = $name;
                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        write!(f, "{}", $kind)
                    }
                    fn visit_str<E: serde::de::Error>(self, value: &str) -> Result<$name, E> {
                        $name::parse(value).map_err(E::custom)
                    }
                }
                deserializer.deserialize_str(IdVisitor)
            }
        }
    };
}

/// The longest suffix an EC2 resource id may have. AWS's are 8 or 17
/// characters; the bound only keeps absurd input out of paths and logs.
const MAX_SUFFIX: usize = 64;

/// `prefix` followed by 1 to [`MAX_SUFFIX`] lowercase letters and digits.
fn resource_id(value: &str, prefix: &str) -> bool {
    value.strip_prefix(prefix).is_some_and(|suffix| {
        (1..=MAX_SUFFIX).contains(&suffix.len())
            && suffix
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    })
}

/// Like `us-east-1`, `eu-central-2` or `us-gov-west-1`: lowercase words
/// joined by dashes, the first of letters, the last a number.
fn region(value: &str) -> bool {
    let parts: Vec<&str> = value.split('-').collect();
    let word = |part: &&str| {
        !part.is_empty()
            && part
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    };
    value.len() <= 32
        && parts.len() >= 3
        && parts.iter().all(word)
        && parts[0].bytes().all(|b| b.is_ascii_lowercase())
        && parts[parts.len() - 1].bytes().all(|b| b.is_ascii_digit())
}

string_id!(
    /// A 12-digit AWS account id.
    AccountId,
    "an AWS account id",
    "exactly 12 digits",
    |value| value.len() == 12 && value.bytes().all(|b| b.is_ascii_digit())
);

string_id!(
    /// An AWS region name, such as `us-east-1`.
    Region,
    "an AWS region",
    "a region name like us-east-1 (lowercase letters, digits and dashes)",
    region
);

string_id!(
    /// A VPC id: `vpc-` and lowercase letters and digits.
    VpcId,
    "a VPC id",
    "vpc- followed by lowercase letters and digits",
    |value| resource_id(value, "vpc-")
);

string_id!(
    /// A network ACL id: `acl-` and lowercase letters and digits.
    NetworkAclId,
    "a network ACL id",
    "acl- followed by lowercase letters and digits",
    |value| resource_id(value, "acl-")
);

string_id!(
    /// A subnet id: `subnet-` and lowercase letters and digits.
    SubnetId,
    "a subnet id",
    "subnet- followed by lowercase letters and digits",
    |value| resource_id(value, "subnet-")
);

string_id!(
    /// A network ACL association id: `aclassoc-` and lowercase letters and
    /// digits. It changes every time the subnet moves.
    AssociationId,
    "a network ACL association id",
    "aclassoc- followed by lowercase letters and digits",
    |value| resource_id(value, "aclassoc-")
);

string_id!(
    /// A network interface id: `eni-` and lowercase letters and digits.
    InterfaceId,
    "a network interface id",
    "eni- followed by lowercase letters and digits",
    |value| resource_id(value, "eni-")
);

string_id!(
    /// A security group id: `sg-` and lowercase letters and digits.
    SecurityGroupId,
    "a security group id",
    "sg- followed by lowercase letters and digits",
    |value| resource_id(value, "sg-")
);

string_id!(
    /// A managed prefix list id: `pl-` and lowercase letters and digits.
    PrefixListId,
    "a managed prefix list id",
    "pl- followed by lowercase letters and digits",
    |value| resource_id(value, "pl-")
);

string_id!(
    /// A route table id: `rtb-` and lowercase letters and digits.
    RouteTableId,
    "a route table id",
    "rtb- followed by lowercase letters and digits",
    |value| resource_id(value, "rtb-")
);

/// IAM's characters for role names and paths: letters, digits and `+=,.@_-`.
fn iam_name(value: &str) -> bool {
    !value.is_empty()
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+=,.@_-".contains(&b))
}

/// An ARN's partition: `aws`, `aws-cn`, `aws-us-gov`, ...
fn is_partition(partition: &str) -> bool {
    partition.starts_with("aws")
        && partition
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b == b'-')
}

/// `arn:<partition>:iam::<account>:role/<path/><name>`.
fn role_arn(value: &str) -> bool {
    let Some(rest) = value.strip_prefix("arn:") else {
        return false;
    };
    let mut parts = rest.splitn(5, ':');
    let (Some(partition), Some("iam"), Some(""), Some(account), Some(resource)) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return false;
    };
    let role_ok = resource.strip_prefix("role/").is_some_and(|path_and_name| {
        let name = path_and_name.rsplit('/').next().unwrap_or_default();
        path_and_name.len() <= 512
            && (1..=64).contains(&name.len())
            && path_and_name.split('/').all(iam_name)
    });
    value.len() <= 2048 && is_partition(partition) && AccountId::parse(account).is_ok() && role_ok
}

string_id!(
    /// An IAM role's name, such as `NaclDriftReadOnly`.
    RoleName,
    "an IAM role name",
    "1 to 64 letters, digits and +=,.@_-",
    |value| value.len() <= 64 && iam_name(value)
);

string_id!(
    /// An IAM role's ARN: `arn:aws:iam::111122223333:role/NaclDriftReadOnly`.
    RoleArn,
    "an IAM role ARN",
    "arn:aws:iam::<12-digit account>:role/<name>",
    role_arn
);

impl RoleArn {
    /// The role `name` in `account`, in the `aws` partition.
    pub fn in_account(account: &AccountId, name: &RoleName) -> RoleArn {
        RoleArn(format!("arn:aws:iam::{account}:role/{name}"))
    }

    /// The account the role is in.
    pub fn account(&self) -> AccountId {
        let account = self.0.split(':').nth(4).unwrap_or_default();
        AccountId(account.to_owned())
    }
}

/// `arn:<partition>:sns:<region>:<account>:<topic>`: a topic's name is 1
/// to 256 letters, digits, `-` and `_` (a FIFO topic's ends in `.fifo`).
fn topic_arn(value: &str) -> bool {
    let Some(name) = regional_resource(value, "sns") else {
        return false;
    };
    let name = name.strip_suffix(".fifo").unwrap_or(name);
    (1..=256).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The resource part of `value` when it is an ARN of `service` with a valid
/// partition, region and account: `arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE`.
fn regional_resource<'a>(value: &'a str, service: &str) -> Option<&'a str> {
    let mut parts = value.splitn(6, ':');
    let (Some("arn"), Some(partition), Some(named), Some(region), Some(account), Some(resource)) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return None;
    };
    let valid = named == service
        && is_partition(partition)
        && Region::parse(region).is_ok()
        && AccountId::parse(account).is_ok();
    valid.then_some(resource)
}

/// `arn:PARTITION:events:REGION:ACCOUNT:event-bus/NAME`, the name up to 256
/// letters, digits, `.`, `-`, `_` and `/`.
fn event_bus_arn(value: &str) -> bool {
    regional_resource(value, "events")
        .and_then(|resource| resource.strip_prefix("event-bus/"))
        .is_some_and(|name| {
            (1..=256).contains(&name.len())
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_./".contains(&b))
        })
}

string_id!(
    /// An EventBridge event bus's ARN:
    /// `arn:aws:events:us-east-1:111122223333:event-bus/nacl-drift`.
    EventBusArn,
    "an EventBridge event bus ARN",
    "arn:aws:events:<region>:<12-digit account>:event-bus/<bus name>",
    event_bus_arn
);

impl EventBusArn {
    /// The bus's region.
    pub fn region(&self) -> Region {
        Region(self.0.split(':').nth(3).unwrap_or_default().to_owned())
    }
}

string_id!(
    /// An SNS topic's ARN: `arn:aws:sns:us-east-1:111122223333:nacl-drift`.
    TopicArn,
    "an SNS topic ARN",
    "arn:aws:sns:<region>:<12-digit account>:<topic name>",
    topic_arn
);

impl TopicArn {
    /// The topic's region: where it is published to.
    pub fn region(&self) -> Region {
        Region(self.0.split(':').nth(3).unwrap_or_default().to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topic_arns_name_their_region() {
        let arn = TopicArn::parse("arn:aws:sns:eu-west-1:111122223333:nacl-drift-alerts")
            .expect("a topic ARN");
        assert_eq!(arn.region().as_str(), "eu-west-1");
        for bad in [
            "arn:aws:sns:eu-west-1:111122223333:",
            "arn:aws:sqs:eu-west-1:111122223333:queue",
            "arn:aws:sns:eu-west-1:1111:topic",
            "arn:aws:sns:eu-west-1:111122223333:a b",
            "nacl-drift",
        ] {
            assert!(TopicArn::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn event_bus_arns_name_their_region() {
        let arn = EventBusArn::parse("arn:aws:events:eu-west-1:111122223333:event-bus/nacl-drift")
            .expect("an event bus ARN");
        assert_eq!(arn.region().as_str(), "eu-west-1");
        for bad in [
            "arn:aws:events:eu-west-1:111122223333:rule/nacl-drift",
            "arn:aws:events:eu-west-1:111122223333:event-bus/",
            "arn:aws:sns:eu-west-1:111122223333:event-bus/nacl-drift",
            "arn:aws:events:eu-west-1:1111:event-bus/nacl-drift",
            "arn:aws:events:eu-west-1:111122223333:event-bus/a b",
            "nacl-drift",
        ] {
            assert!(EventBusArn::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn role_arns_name_their_account_and_role() {
        let arn = RoleArn::parse("arn:aws:iam::111122223333:role/ops/NaclDriftReadOnly")
            .expect("a role ARN");
        assert_eq!(arn.account(), "111122223333");
        assert!(RoleArn::parse("arn:aws-us-gov:iam::111122223333:role/R").is_ok());
        for bad in [
            "arn:aws:iam::111122223333:user/R",
            "arn:aws:iam::11112222333:role/R",
            "arn:aws:sts::111122223333:role/R",
            "arn:aws:iam:us-east-1:111122223333:role/R",
            "arn:aws:iam::111122223333:role/",
            "arn:aws:iam::111122223333:role/a b",
            "arn:aws:iam::{account_id}:role/R",
            "NaclDriftReadOnly",
        ] {
            assert!(RoleArn::parse(bad).is_err(), "{bad}");
        }
        let name = RoleName::parse("NaclDriftReadOnly").expect("a role name");
        let account = AccountId::parse("444455556666").expect("an account");
        assert_eq!(
            RoleArn::in_account(&account, &name).as_str(),
            "arn:aws:iam::444455556666:role/NaclDriftReadOnly"
        );
        assert!(RoleName::parse("ops/R").is_err());
    }

    #[test]
    fn accounts_are_twelve_digits() {
        assert!(AccountId::parse("123456789012").is_ok());
        for bad in [
            "12345678901",
            "1234567890123",
            "../pwned",
            "12345678901a",
            "",
        ] {
            assert!(AccountId::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn regions_are_dashed_words() {
        for good in [
            "us-east-1",
            "eu-west-1",
            "us-gov-west-1",
            "ap-southeast-3",
            "cn-north-1",
        ] {
            assert!(Region::parse(good).is_ok(), "{good}");
        }
        for bad in [
            "../../pwned",
            "us-east-1/..",
            "us.east.1",
            "US-EAST-1",
            "us-east",
            "-east-1",
            "us--1",
            "",
        ] {
            assert!(Region::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn resource_ids_are_a_prefix_and_lowercase_letters_and_digits() {
        assert!(VpcId::parse("vpc-0a1b2c3d4e5f60718").is_ok());
        assert!(NetworkAclId::parse("acl-02db").is_ok());
        assert!(SubnetId::parse("subnet-0db2").is_ok());
        assert!(AssociationId::parse("aclassoc-5f1e").is_ok());
        for bad in [
            "../../pwned",
            "vpc-1/../../../pwned",
            "vpc-",
            "vpc-ABC",
            "vpc-a.b",
            "vpc-a b",
            "acl-123",
            "vpc-a\n",
        ] {
            assert!(VpcId::parse(bad).is_err(), "{bad:?}");
        }
        assert!(VpcId::parse(&format!("vpc-{}", "a".repeat(65))).is_err());
    }

    #[test]
    fn errors_quote_and_escape_the_value() {
        let error = VpcId::parse("../../pwned\u{1b}[2J").expect_err("not a VPC id");
        assert_eq!(
            error.to_string(),
            r#""../../pwned\x1b[2J" is not a VPC id: expected vpc- followed by lowercase letters and digits"#
        );
        let long = AccountId::parse(&"9".repeat(500)).expect_err("too long");
        assert!(long.to_string().len() < 200, "{long}");
    }
}
