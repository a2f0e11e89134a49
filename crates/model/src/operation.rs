//! The EC2 calls that change network ACLs: the calls apply makes, and the
//! CloudTrail events attribution looks for, under one name each.

use std::fmt;

/// An EC2 operation that changes a network ACL, its entries, its subnets or
/// its tags. Ordered as their names are, alphabetically.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Operation {
    /// Creates an empty NACL in a VPC.
    CreateNetworkAcl,
    /// Creates an entry.
    CreateNetworkAclEntry,
    /// Tags any resource; attribution keeps the events on NACLs.
    CreateTags,
    /// Deletes a NACL.
    DeleteNetworkAcl,
    /// Deletes an entry.
    DeleteNetworkAclEntry,
    /// Removes tags from any resource; attribution keeps the events on NACLs.
    DeleteTags,
    /// Moves a subnet onto another NACL.
    ReplaceNetworkAclAssociation,
    /// Replaces an entry, atomically.
    ReplaceNetworkAclEntry,
}

impl Operation {
    /// Every operation, in order.
    pub const ALL: [Operation; 8] = [
        Operation::CreateNetworkAcl,
        Operation::CreateNetworkAclEntry,
        Operation::CreateTags,
        Operation::DeleteNetworkAcl,
        Operation::DeleteNetworkAclEntry,
        Operation::DeleteTags,
        Operation::ReplaceNetworkAclAssociation,
        Operation::ReplaceNetworkAclEntry,
    ];

    /// The name EC2's API and CloudTrail's `eventName` use.
    pub fn name(self) -> &'static str {
        match self {
            Operation::CreateNetworkAcl => "CreateNetworkAcl",
            Operation::DeleteNetworkAcl => "DeleteNetworkAcl",
            Operation::CreateNetworkAclEntry => "CreateNetworkAclEntry",
            Operation::ReplaceNetworkAclEntry => "ReplaceNetworkAclEntry",
            Operation::DeleteNetworkAclEntry => "DeleteNetworkAclEntry",
            Operation::ReplaceNetworkAclAssociation => "ReplaceNetworkAclAssociation",
            Operation::CreateTags => "CreateTags",
            Operation::DeleteTags => "DeleteTags",
        }
    }

    /// The operation an API or event name stands for, if it is one of these.
    pub fn from_name(name: &str) -> Option<Operation> {
        Operation::ALL
            .into_iter()
            .find(|operation| operation.name() == name)
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_order_alphabetically() {
        for operation in Operation::ALL {
            assert_eq!(Operation::from_name(operation.name()), Some(operation));
        }
        assert!(Operation::ALL.is_sorted());
        assert!(Operation::ALL.map(Operation::name).is_sorted());
        assert_eq!(Operation::from_name("DescribeNetworkAcls"), None);
    }
}
