//! Terraform and OpenTofu state as the source of intent: the NACLs that a
//! state declares, normalised as the AWS provider really writes them, and
//! the Terraform address of each NACL and entry.
//!
//! - [`read_state`], [`parse_state`]: the three readable forms, told apart
//!   by their keys (`form.rs`): raw state v4 (`terraform.tfstate`, `state
//!   pull`), `terraform show -json`, and plan JSON (its `planned_values`).
//!   An OpenTofu encrypted state, a state older than v4, and a file that is
//!   not JSON (a state being written reads empty or cut off) are refused,
//!   each with its fix.
//! - [`StateIntent`]: each NACL the state holds (`normalise.rs`). Rule
//!   resources (`aws_network_acl_rule`) are an ACL's entries when any
//!   targets it: its own inline lists are Computed and mirror live AWS at
//!   the last refresh, out-of-band entries included. Otherwise the inline
//!   lists are. Protocols as names or number strings, 0/0 ports where AWS
//!   means all, ICMP fields null, 0 or -1, empty CIDRs, float rule
//!   numbers; count and for_each keys, modules; data sources and deposed
//!   objects skipped, tainted ones kept.
//! - [`hcl_of`]: NACLs as Terraform configuration with `import {}` blocks
//!   (`export --format terraform`, `hcl.rs`).
//! - [`StateLocation`]: a local file or `s3://bucket/key` (`location.rs`).
//! - [`StateLock`]: a held lock and what its lock info says; [`local_lock`]:
//!   whether a `terraform apply` (or any run) holds a local state's lock
//!   (`lock.rs`). The S3 backend's are read through the AWS edge.
//!
//! Depends on: model; no AWS SDK.

#![deny(missing_docs)]

mod form;
mod hcl;
mod location;
mod lock;
mod normalise;

use std::collections::BTreeMap;
use std::path::Path;

use nacl_drift_model::{
    AccountId, Baseline, EntryKey, NetworkAcl, NetworkAclId, Region, Scope, VpcId,
};

pub use hcl::hcl_of;
pub use location::{LocationError, S3Object, StateLocation};
pub use lock::{HeldLock, StateLock, local_lock};

/// Why a state gives no intent.
#[derive(Debug, thiserror::Error)]
pub enum TerraformError {
    /// The file could not be read.
    #[error("cannot read the Terraform state {label}")]
    Read {
        /// The state's path.
        label: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// Not JSON: Terraform's local backend rewrites the file in place, so a
    /// state being written reads empty or cut off.
    #[error(
        "{label} is not a Terraform state: {problem} (a state that terraform is writing reads empty or cut off: try again once it is done)"
    )]
    NotJson {
        /// The state.
        label: String,
        /// What the JSON parser says.
        problem: String,
    },
    /// An OpenTofu state encrypted at rest.
    #[error(
        "{label} is an OpenTofu encrypted state: nacl-drift cannot read it; where its key is configured, give it `tofu show -json > state.json` (or `tofu state pull > state.json`) instead"
    )]
    Encrypted {
        /// The state.
        label: String,
    },
    /// JSON of no form nacl-drift reads.
    #[error(
        "{label} is {what}: give it a state (terraform.tfstate, `terraform state pull`), `terraform show -json`, or `terraform show -json PLAN`"
    )]
    UnknownForm {
        /// The state.
        label: String,
        /// What it is, in words.
        what: String,
    },
    /// A resource the provider would not have written.
    #[error("{label}: {address}: {problem}")]
    Resource {
        /// The state.
        label: String,
        /// The resource's Terraform address.
        address: String,
        /// What is wrong with it.
        problem: String,
    },
}

/// The NACLs one state declares.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StateIntent {
    /// Each NACL, by id.
    pub acls: BTreeMap<NetworkAclId, HeldAcl>,
    /// Of a plan: the NACL resources its refresh found changed outside
    /// Terraform (`resource_drift`), each `address (actions)`. The intent
    /// is `planned_values` all the same.
    pub changed_outside: Vec<String>,
}

/// A NACL as a state declares it, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeldAcl {
    /// The resource's address: `module.vpc.aws_network_acl.public[0]`.
    pub address: String,
    /// Its account.
    pub account: AccountId,
    /// Its region.
    pub region: Region,
    /// Its VPC.
    pub vpc_id: VpcId,
    /// Its subnets, tags and entries.
    pub acl: NetworkAcl,
    /// The address of the resource that declares each entry: a rule
    /// resource's, else the ACL's own.
    pub entry_addresses: BTreeMap<EntryKey, String>,
}

impl StateIntent {
    /// The NACLs as baselines, one per account, region and VPC, each
    /// scoped to its VPC: a NACL of that VPC that no state or baseline
    /// holds is added drift.
    pub fn baselines(&self) -> Vec<Baseline> {
        let mut by_vpc: BTreeMap<(&AccountId, &Region, &VpcId), Vec<NetworkAcl>> = BTreeMap::new();
        for held in self.acls.values() {
            by_vpc
                .entry((&held.account, &held.region, &held.vpc_id))
                .or_default()
                .push(held.acl.clone());
        }
        by_vpc
            .into_iter()
            .map(|((account, region, vpc_id), acls)| {
                let scope = Scope {
                    regions: [region.clone()].into(),
                    vpc_ids: Some([vpc_id.clone()].into()),
                };
                Baseline::new(account.clone(), region.clone(), vpc_id.clone(), scope, acls)
            })
            .collect()
    }
}

/// Reads the state at `path`; `region` places NACLs whose resources name
/// none (no `arn`, no provider v6 `region`).
pub fn read_state(path: &Path, region: Option<&Region>) -> Result<StateIntent, TerraformError> {
    let label = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|source| TerraformError::Read {
        label: label.clone(),
        source,
    })?;
    parse_state(&label, &bytes, region)
}

/// The NACLs of the state `bytes`, named `label` in errors.
pub fn parse_state(
    label: &str,
    bytes: &[u8],
    region: Option<&Region>,
) -> Result<StateIntent, TerraformError> {
    let (resources, changed_outside) = form::resources(label, bytes)?;
    Ok(StateIntent {
        changed_outside,
        ..normalise::intent(label, &resources, region)?
    })
}

#[cfg(test)]
mod tests {
    use nacl_drift_model::{NetworkAclId, Region};

    use super::{StateIntent, TerraformError, parse_state};

    const RAW: &str = include_str!("../../../tests/fixtures/terraform/module-style.tfstate");
    const SHOW: &str = include_str!("../../../tests/fixtures/terraform/module-style.show.json");
    const PLAN: &str = include_str!("../../../tests/fixtures/terraform/module-style.plan.json");
    const ENCRYPTED: &str = include_str!("../../../tests/fixtures/terraform/encrypted.tfstate");

    fn parsed(text: &str) -> StateIntent {
        parse_state("state", text.as_bytes(), None).expect("a readable state")
    }

    fn acl(id: &str) -> NetworkAclId {
        NetworkAclId::parse(id).expect("an id")
    }

    /// Each entry of `id` as words, with the address that declares it.
    fn entries(intent: &StateIntent, id: &str) -> Vec<String> {
        let held = &intent.acls[&acl(id)];
        held.acl
            .entries
            .iter()
            .map(|(key, entry)| {
                format!(
                    "{key}: {} ({})",
                    entry.describe(key.direction),
                    held.entry_addresses[key]
                )
            })
            .collect()
    }

    #[test]
    fn a_module_style_acl_is_its_rule_resources_and_never_its_refreshed_lists() {
        let intent = parsed(RAW);
        assert_eq!(
            entries(&intent, "acl-0a1b2c3d4e5f60001"),
            [
                "ingress rule 100: allow tcp 443 from 0.0.0.0/0 (module.vpc.aws_network_acl_rule.public_inbound[0])",
                "ingress rule 110: allow tcp 22 from 10.0.0.0/16 (module.vpc.aws_network_acl_rule.public_inbound[1])",
                "egress rule 100: allow all to 0.0.0.0/0 (module.vpc.aws_network_acl_rule.public_outbound[0])",
            ],
            "rule 104, out of band, is only in the refreshed inline list; tcp and \"6\" are one protocol; the deposed rule is no intent"
        );
        let public = &intent.acls[&acl("acl-0a1b2c3d4e5f60001")];
        assert_eq!(public.address, "module.vpc.aws_network_acl.public[0]");
        assert_eq!(public.account.as_str(), "111122223333");
        assert_eq!(public.region.as_str(), "us-east-1", "from the arn");
        assert_eq!(public.acl.subnets.len(), 2);
        assert_eq!(public.acl.tags["Name"], "prod-public");
    }

    #[test]
    fn inline_lists_are_the_entries_where_no_rule_resource_targets_the_acl() {
        let intent = parsed(RAW);
        assert_eq!(
            entries(&intent, "acl-0a1b2c3d4e5f60002"),
            [
                "ingress rule 100: allow tcp 5432 from 10.0.0.0/16 (aws_network_acl.db)",
                "ingress rule 120: allow icmp type 0 code 0 from 10.0.0.0/16 (aws_network_acl.db)",
                "ingress rule 130: deny udp 53 from 0.0.0.0/0 (aws_network_acl.db)",
                "egress rule 100: allow all to 10.0.0.0/16 (aws_network_acl.db)",
            ],
            "a float rule number, ICMP's null type and code (0, as the provider sends them), names and number strings"
        );
        let db = &intent.acls[&acl("acl-0a1b2c3d4e5f60002")];
        let subnets: Vec<&str> = db.acl.subnets.iter().map(|s| s.as_str()).collect();
        assert_eq!(
            subnets,
            ["subnet-0a1b2c3d4e5f60104"],
            "from the association"
        );
        let default = &intent.acls[&acl("acl-0a1b2c3d4e5f60000")];
        assert!(default.acl.is_default);
        assert_eq!(
            entries(&intent, "acl-0a1b2c3d4e5f60000")[1],
            "ingress rule 101: allow all from ::/0 (module.vpc.aws_default_network_acl.this[0])",
            "an empty cidr_block beside an IPv6 one"
        );
        assert_eq!(intent.acls.len(), 3, "the data source holds no intent");
    }

    #[test]
    fn show_json_and_plan_json_give_what_the_raw_state_gives() {
        let raw = parsed(RAW);
        assert_eq!(parsed(SHOW), raw);
        let plan = parsed(PLAN);
        assert_eq!(plan.acls, raw.acls);
        assert_eq!(
            plan.changed_outside,
            ["module.vpc.aws_network_acl.public[0] (update)"],
            "its refresh found rule 104"
        );
        let baselines = raw.baselines();
        assert_eq!(baselines.len(), 1, "one VPC");
        assert_eq!(baselines[0].network_acls.len(), 3);
        assert_eq!(
            baselines[0].scope.vpc_ids.as_ref().map(|ids| ids.len()),
            Some(1),
            "scoped to its VPC"
        );
    }

    #[test]
    fn what_cannot_be_read_is_refused_with_its_fix() {
        let refused = |text: &str| {
            parse_state("s3://b/k", text.as_bytes(), None)
                .expect_err("refused")
                .to_string()
        };
        assert_eq!(
            refused(ENCRYPTED),
            "s3://b/k is an OpenTofu encrypted state: nacl-drift cannot read it; where its key is configured, give it `tofu show -json > state.json` (or `tofu state pull > state.json`) instead"
        );
        assert!(refused("").starts_with("s3://b/k is not a Terraform state: EOF"));
        assert!(refused(&RAW[..RAW.len() / 2]).ends_with(
            "(a state that terraform is writing reads empty or cut off: try again once it is done)"
        ));
        assert_eq!(
            refused(r#"{"version": 3, "modules": []}"#),
            "s3://b/k is a version 3 state, from Terraform before 0.12 (upgrade it with Terraform 0.12 or later): give it a state (terraform.tfstate, `terraform state pull`), `terraform show -json`, or `terraform show -json PLAN`"
        );
        assert!(refused("[]").starts_with("s3://b/k is JSON but not an object"));
    }

    #[test]
    fn a_resource_the_provider_would_not_write_is_named_by_its_address() {
        let bad = RAW.replacen(r#""protocol": "tcp""#, r#""protocol": "carrier-pigeon""#, 1);
        let error = parse_state("state", bad.as_bytes(), None).expect_err("refused");
        assert!(matches!(error, TerraformError::Resource { .. }));
        assert_eq!(
            error.to_string(),
            "state: module.vpc.aws_network_acl_rule.public_inbound[0]: ingress rule 100: protocol \"carrier-pigeon\" is no protocol nacl-drift knows: write its IANA number"
        );
        let mut orphan: serde_json::Value = serde_json::from_str(RAW).expect("JSON");
        let outbound = orphan["resources"]
            .as_array_mut()
            .expect("resources")
            .iter_mut()
            .find(|resource| resource["name"] == "public_outbound")
            .expect("the outbound rules");
        outbound["instances"][0]["attributes"]["network_acl_id"] = "acl-0fffffffffffffff0".into();
        let orphan = orphan.to_string();
        let error = parse_state("state", orphan.as_bytes(), None).expect_err("refused");
        assert_eq!(
            error.to_string(),
            "state: module.vpc.aws_network_acl_rule.public_outbound[0]: is a rule of acl-0fffffffffffffff0, which this state does not declare (give the state that does too)"
        );
    }

    #[test]
    fn an_association_wins_over_refreshed_subnet_ids_and_a_placed_subnet_leaves_the_default() {
        // A plan that moves subnet 101 onto the db ACL, whose refresh still
        // shows it on the public ACL, and 104 on the default ACL too.
        let moved = RAW
            .replace(
                r#""subnet_id": "subnet-0a1b2c3d4e5f60104""#,
                r#""subnet_id": "subnet-0a1b2c3d4e5f60101""#,
            )
            .replace(
                r#""subnet-0a1b2c3d4e5f60103""#,
                r#""subnet-0a1b2c3d4e5f60103", "subnet-0a1b2c3d4e5f60102""#,
            );
        let intent = parsed(&moved);
        let subnets = |id: &str| -> Vec<String> {
            let held = &intent.acls[&acl(id)];
            held.acl.subnets.iter().map(ToString::to_string).collect()
        };
        assert_eq!(
            subnets("acl-0a1b2c3d4e5f60002"),
            ["subnet-0a1b2c3d4e5f60101"]
        );
        assert_eq!(
            subnets("acl-0a1b2c3d4e5f60001"),
            ["subnet-0a1b2c3d4e5f60102"]
        );
        assert_eq!(
            subnets("acl-0a1b2c3d4e5f60000"),
            ["subnet-0a1b2c3d4e5f60103"],
            "the public ACL holds 102"
        );
    }

    /// Real states, as Terraform 0.15 and provider 3.x wrote them
    /// (driftctl's fixtures: `tests/fixtures/terraform/driftctl/README.md`).
    #[test]
    fn real_states_from_driftctl_read_as_the_provider_wrote_them() {
        let real = |name: &str| {
            let path = format!(
                "{}/../../tests/fixtures/terraform/driftctl/{name}.tfstate",
                env!("CARGO_MANIFEST_DIR")
            );
            let text = std::fs::read_to_string(&path).expect("the fixture");
            parse_state(name, text.as_bytes(), None)
        };
        let inline = real("aws_network_acl").expect("readable");
        let empty = &inline.acls[&acl("acl-01b7bc85a61d92e70")];
        assert_eq!(empty.address, "aws_network_acl.test");
        assert_eq!(
            (empty.account.as_str(), empty.region.as_str()),
            ("929327065333", "us-east-1")
        );
        assert!(empty.acl.entries.is_empty());
        assert_eq!(empty.acl.tags["Name"], "test2");
        assert_eq!(
            entries(&inline, "acl-069e079b416dd581e"),
            [
                "ingress rule 100: allow udp 80 from 172.31.0.0/16 (aws_network_acl.test2)",
                "egress rule 100: allow udp 80 to 172.31.0.0/16 (aws_network_acl.test2)",
            ],
            "ICMP 0/0 beside udp is no ICMP; an empty IPv6 CIDR is none"
        );

        let default = real("aws_default_network_acl").expect("readable");
        let held = &default.acls[&acl("acl-e88ee595")];
        assert!(held.acl.is_default);
        assert_eq!(held.acl.subnets.len(), 6);
        assert_eq!(
            entries(&default, "acl-e88ee595"),
            [
                "ingress rule 90: deny tcp 80 from 0.0.0.0/0 (aws_default_network_acl.default)",
                "ingress rule 100: allow tcp 0 from 0.0.0.0/0 (aws_default_network_acl.default)",
                "egress rule 100: allow udp 0 to 0.0.0.0/0 (aws_default_network_acl.default)",
            ],
            "a tcp or udp rule of 0/0 is port 0, as AWS applies it; \"17\" beside \"tcp\"; null ICMP and IPv6"
        );

        // Rules whose ACL is in another state: refused, naming it.
        let rules = real("aws_network_acl_rule").expect_err("its ACL is elsewhere");
        assert_eq!(
            rules.to_string(),
            "aws_network_acl_rule: aws_network_acl_rule.egress: is a rule of acl-01b7bc85a61d92e70, which this state does not declare (give the state that does too)"
        );
    }

    #[test]
    fn a_nacl_without_arn_or_region_attribute_takes_the_region_given() {
        let bare = RAW.replace(
            r#""arn": "arn:aws:ec2:us-east-1:111122223333:network-acl/acl-0a1b2c3d4e5f60002","#,
            "",
        );
        let error = parse_state("state", bare.as_bytes(), None).expect_err("no region");
        assert_eq!(
            error.to_string(),
            "state: aws_network_acl.db: names no region (no `arn`, no `region`): pass --region"
        );
        let region = Region::parse("eu-west-1").expect("a region");
        let intent = parse_state("state", bare.as_bytes(), Some(&region)).expect("placed");
        assert_eq!(intent.acls[&acl("acl-0a1b2c3d4e5f60002")].region, region);
        let v6 = bare.replace(
            r#""id": "acl-0a1b2c3d4e5f60002","#,
            r#""id": "acl-0a1b2c3d4e5f60002", "region": "ap-south-1","#,
        );
        let intent = parse_state("state", v6.as_bytes(), Some(&region)).expect("placed");
        assert_eq!(
            intent.acls[&acl("acl-0a1b2c3d4e5f60002")].region.as_str(),
            "ap-south-1",
            "provider v6's region attribute first"
        );
    }
}
