//! The assets behind a drift: the network interfaces of an account-region
//! with their security groups, route tables and prefix lists ([`Assets`]),
//! and, for one traffic effect of a NACL, the interfaces it really reaches
//! or cuts off ([`assets_of`]).
//!
//! A newly allowed inbound flow from a public source reaches an interface
//! when the interface sits in one of the NACL's subnets, the subnet's route
//! table sends the source to an internet gateway (so the flow can come in
//! and its reply go out), the interface has a public address of the
//! source's family, one of its security groups admits the flow from the
//! source by a CIDR (a group reference never matches the internet; a prefix
//! list not expanded is reported, never guessed), and the NACL's egress
//! lets the reply out (NACLs are stateless). Pure: the AWS edge reads the
//! assets, and this crate never calls anything.
//!
//! Depends on: model, analysis; no AWS SDK.

#![deny(missing_docs)]

mod reach;
mod words;

use std::collections::{BTreeMap, HashMap};
use std::net::{Ipv4Addr, Ipv6Addr};

use nacl_drift_analysis::Service;
use nacl_drift_model::{
    Cidr, InterfaceId, PrefixListId, RouteTableId, SecurityGroupId, SubnetId, VpcId,
};
use serde::Serialize;

pub use reach::{
    Admission, EPHEMERAL_PORTS, EffectAssets, Exposed, NotExposed, Reached, Sides, Why,
    assets_behind, assets_of,
};
pub use words::in_words;

/// What one account-region holds behind its NACLs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Assets {
    /// Every network interface.
    pub interfaces: Vec<Interface>,
    /// Every security group, by id.
    pub security_groups: BTreeMap<SecurityGroupId, SecurityGroup>,
    /// Every route table.
    pub route_tables: Vec<RouteTable>,
    /// The entries of the managed prefix lists that some group or route
    /// uses, as read; a list missing here is unexpanded.
    pub prefix_lists: BTreeMap<PrefixListId, Vec<Cidr>>,
}

impl Assets {
    /// Adds what `other` holds (another export of the same account).
    pub fn absorb(&mut self, other: Assets) {
        self.interfaces.extend(other.interfaces);
        self.security_groups.extend(other.security_groups);
        self.route_tables.extend(other.route_tables);
        self.prefix_lists.extend(other.prefix_lists);
    }

    /// The interfaces of each subnet.
    pub fn by_subnet(&self) -> HashMap<&SubnetId, Vec<&Interface>> {
        let mut by_subnet: HashMap<&SubnetId, Vec<&Interface>> = HashMap::new();
        for interface in &self.interfaces {
            by_subnet
                .entry(&interface.subnet_id)
                .or_default()
                .push(interface);
        }
        by_subnet
    }
}

/// A network interface, and what it belongs to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Interface {
    /// Its id.
    pub id: InterfaceId,
    /// Its subnet.
    pub subnet_id: SubnetId,
    /// Its VPC.
    pub vpc_id: VpcId,
    /// What it belongs to.
    pub owner: Owner,
    /// Its private IPv4 addresses.
    pub private_ipv4: Vec<Ipv4Addr>,
    /// Its public IPv4 addresses (auto-assigned or Elastic IPs).
    pub public_ipv4: Vec<Ipv4Addr>,
    /// Its IPv6 addresses, all routable.
    pub ipv6: Vec<Ipv6Addr>,
    /// Its security groups.
    pub security_groups: Vec<SecurityGroupId>,
}

/// What an interface belongs to, from its type, attachment and
/// description.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Owner {
    /// An EC2 instance, with its Name tag when it has one.
    Instance {
        /// The instance id.
        id: String,
        /// Its Name tag.
        #[serde(skip_serializing_if = "Option::is_none")]
        name: Option<String>,
    },
    /// A load balancer (`ELB app/NAME/...`, `ELB net/...`, `ELB NAME`).
    LoadBalancer {
        /// Its name as the description gives it.
        name: String,
    },
    /// A NAT gateway.
    NatGateway {
        /// Its description (`Interface for NAT Gateway nat-...`).
        description: String,
    },
    /// A Lambda function's interface (`AWS Lambda VPC ENI-NAME-...`).
    Lambda {
        /// Its description.
        description: String,
    },
    /// A VPC endpoint's interface.
    VpcEndpoint {
        /// Its description.
        description: String,
    },
    /// Anything else: the interface type, and its description.
    Other {
        /// The interface type (`interface`, `efa`, `trunk`, ...).
        interface_type: String,
        /// Its description.
        description: String,
    },
}

impl Owner {
    /// The owner in a few words: `i-0abc (web-1)`, `load balancer app/shop`.
    pub fn label(&self) -> String {
        match self {
            Owner::Instance {
                id,
                name: Some(name),
            } => format!("{id} ({name})"),
            Owner::Instance { id, name: None } => id.clone(),
            Owner::LoadBalancer { name } => format!("load balancer {name}"),
            Owner::NatGateway { description }
            | Owner::Lambda { description }
            | Owner::VpcEndpoint { description } => description.clone(),
            Owner::Other {
                interface_type,
                description,
            } if description.is_empty() => interface_type.clone(),
            Owner::Other { description, .. } => description.clone(),
        }
    }
}

/// A security group and its inbound rules.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SecurityGroup {
    /// Its id.
    pub id: SecurityGroupId,
    /// Its name.
    pub name: String,
    /// Its inbound rules.
    pub ingress: Vec<GroupRule>,
    /// Inbound rules that could not be read (a protocol, port range, CIDR
    /// or id that EC2 would not hold), as described: what they admit
    /// cannot be told.
    pub unreadable: Vec<String>,
}

/// One inbound rule of a security group: one service, one source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupRule {
    /// The protocols and ports it admits.
    pub service: Service,
    /// From where.
    pub source: Source,
}

/// Where a security group rule admits traffic from.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Source {
    /// A CIDR block.
    Cidr(Cidr),
    /// A managed prefix list.
    PrefixList(PrefixListId),
    /// The members of a security group: never the internet.
    Group(SecurityGroupId),
}

impl std::fmt::Display for GroupRule {
    /// `tcp 22 from 203.0.113.0/24`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let source = match &self.source {
            Source::Cidr(cidr) => cidr.to_string(),
            Source::PrefixList(id) => id.to_string(),
            Source::Group(id) => id.to_string(),
        };
        write!(f, "{} from {source}", self.service)
    }
}

/// A route table: its subnets (or the VPC's main one) and its routes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RouteTable {
    /// Its id.
    pub id: RouteTableId,
    /// Its VPC.
    pub vpc_id: VpcId,
    /// Whether it is the VPC's main table: that of every subnet with no
    /// explicit association.
    pub main: bool,
    /// The subnets explicitly associated with it.
    pub subnet_ids: Vec<SubnetId>,
    /// Its active routes to CIDRs.
    pub routes: Vec<Route>,
    /// Its active routes to managed prefix lists: each entry of the list
    /// is a route, matched by the longest prefix like any other (a route to
    /// a CIDR wins over an entry of the same prefix); a list whose entries
    /// were not read leaves the table's routing unknown.
    pub list_routes: Vec<ListRoute>,
}

/// A route to a managed prefix list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListRoute {
    /// The list.
    pub prefix_list: PrefixListId,
    /// Whether its target is an internet gateway.
    pub to_internet_gateway: bool,
}

/// One route: a destination, and whether it goes to an internet gateway.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Route {
    /// The destination block.
    pub destination: Cidr,
    /// Whether its target is an internet gateway (`igw-`): the only one
    /// that lets the internet in. An egress-only gateway, a NAT gateway, a
    /// peering or a transit gateway is not.
    pub to_internet_gateway: bool,
}
