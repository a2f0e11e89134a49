#!/usr/bin/env python3
"""The example estate: a three-tier shop in two regions, built through boto3.

    estate.py --endpoint-url URL seed > estate.json
    estate.py --endpoint-url URL incident estate.json
    estate.py --endpoint-url URL export REGION > live.json

`seed` creates the estate and prints, as JSON, the ids of what it made by
name, so tests and the incident drill can refer to "the db tier's NACL"
rather than to ids the endpoint picked. `incident` then does what the
incidents nacl-drift exists for would do (see INCIDENTS below). `export`
prints what `aws ec2 describe-network-acls --output json` would.

It is meant for a local EC2 emulator (moto); it never needs real credentials.

us-east-1, VPC shop-prod (10.0.0.0/16), one NACL per tier:
  web  10.0.0.0/20   HTTPS/HTTP from anywhere (IPv4 and IPv6), ICMP for path MTU
  app  10.0.16.0/20  8080 from web, DNS to the VPC resolver, ESP from a partner
  db   10.0.32.0/20  Postgres from app, SSH only from inside the VPC, denied
                     from the internet by rules 80 (IPv4) and 90 (IPv6)
eu-west-1, VPC shop-dr (10.1.0.0/16): a standby web tier.
Each region also has the endpoint's default VPC, with its default NACL.
"""

import argparse
import json
import sys

import boto3

ANY_V4 = "0.0.0.0/0"
ANY_V6 = "::/0"
TCP, UDP, ICMP, ALL, ESP = "6", "17", "1", "-1", "50"
EPHEMERAL = (1024, 65535)

# (egress, rule number, action, protocol, cidr, ports or ICMP (type, code))
WEB_TIER = [
    (False, 100, "allow", TCP, ANY_V4, (443, 443)),
    (False, 110, "allow", TCP, ANY_V6, (443, 443)),
    (False, 120, "allow", TCP, ANY_V4, (80, 80)),
    (False, 130, "allow", TCP, ANY_V4, EPHEMERAL),
    (False, 140, "allow", ICMP, ANY_V4, (3, 4)),
    (True, 100, "allow", TCP, "10.0.16.0/20", (8080, 8080)),
    (True, 110, "allow", TCP, ANY_V4, EPHEMERAL),
    (True, 120, "allow", TCP, ANY_V6, EPHEMERAL),
]
APP_TIER = [
    (False, 100, "allow", TCP, "10.0.0.0/20", (8080, 8080)),
    (False, 110, "allow", TCP, ANY_V4, EPHEMERAL),
    (False, 120, "allow", UDP, "10.0.0.0/16", EPHEMERAL),
    (False, 130, "allow", ESP, "198.51.100.0/24", None),
    (True, 100, "allow", TCP, "10.0.32.0/20", (5432, 5432)),
    (True, 110, "allow", TCP, ANY_V4, (443, 443)),
    (True, 120, "allow", UDP, "10.0.0.2/32", (53, 53)),
    (True, 130, "allow", TCP, "10.0.0.0/20", EPHEMERAL),
]
DB_TIER = [
    (False, 70, "allow", TCP, "10.0.0.0/16", (22, 22)),
    (False, 80, "deny", TCP, ANY_V4, (22, 22)),
    (False, 90, "deny", TCP, ANY_V6, (22, 22)),
    (False, 100, "allow", TCP, "10.0.16.0/20", (5432, 5432)),
    (False, 110, "allow", TCP, ANY_V4, EPHEMERAL),
    (True, 100, "allow", TCP, "10.0.16.0/20", EPHEMERAL),
    (True, 110, "allow", TCP, ANY_V4, (443, 443)),
]
DR_WEB_TIER = [
    (False, 100, "allow", TCP, ANY_V4, (443, 443)),
    (False, 110, "allow", TCP, ANY_V6, (443, 443)),
    (False, 120, "allow", TCP, ANY_V4, EPHEMERAL),
    (True, 100, "allow", ALL, ANY_V4, None),
    (True, 110, "allow", ALL, ANY_V6, None),
]

ESTATE = {
    "us-east-1": {
        "vpc": ("shop-prod", "10.0.0.0/16"),
        "tiers": {
            "web": (WEB_TIER, {"web-a": "10.0.1.0/24", "web-b": "10.0.2.0/24"}),
            "app": (APP_TIER, {"app-a": "10.0.17.0/24", "app-b": "10.0.18.0/24"}),
            "db": (DB_TIER, {"db-a": "10.0.33.0/24", "db-b": "10.0.34.0/24"}),
        },
    },
    "eu-west-1": {
        "vpc": ("shop-dr", "10.1.0.0/16"),
        "tiers": {
            "web": (DR_WEB_TIER, {"dr-web-a": "10.1.1.0/24"}),
        },
    },
}


def entry_args(acl_id, entry):
    egress, number, action, protocol, cidr, detail = entry
    args = {
        "NetworkAclId": acl_id,
        "Egress": egress,
        "RuleNumber": number,
        "RuleAction": action,
        "Protocol": protocol,
        ("Ipv6CidrBlock" if ":" in cidr else "CidrBlock"): cidr,
    }
    if protocol in (TCP, UDP):
        args["PortRange"] = {"From": detail[0], "To": detail[1]}
    elif protocol == ICMP:
        args["IcmpTypeCode"] = {"Type": detail[0], "Code": detail[1]}
    return args


def tags(**pairs):
    return [{"Key": k, "Value": v} for k, v in pairs.items()]


def association_id(ec2, subnet_id):
    acls = ec2.describe_network_acls(
        Filters=[{"Name": "association.subnet-id", "Values": [subnet_id]}]
    )["NetworkAcls"]
    for acl in acls:
        for association in acl["Associations"]:
            if association["SubnetId"] == subnet_id:
                return association["NetworkAclAssociationId"]
    raise RuntimeError(f"subnet {subnet_id} has no network ACL association")


def seed_region(ec2, plan):
    vpc_name, vpc_cidr = plan["vpc"]
    vpc_id = ec2.create_vpc(CidrBlock=vpc_cidr)["Vpc"]["VpcId"]
    ec2.create_tags(Resources=[vpc_id], Tags=tags(Name=vpc_name))
    default_acl = ec2.describe_network_acls(
        Filters=[
            {"Name": "vpc-id", "Values": [vpc_id]},
            {"Name": "default", "Values": ["true"]},
        ]
    )["NetworkAcls"][0]["NetworkAclId"]
    made = {"vpc_id": vpc_id, "default_network_acl": default_acl,
            "network_acls": {}, "subnets": {}}
    for tier, (entries, subnets) in plan["tiers"].items():
        acl_id = ec2.create_network_acl(VpcId=vpc_id)["NetworkAcl"]["NetworkAclId"]
        ec2.create_tags(
            Resources=[acl_id],
            Tags=tags(Name=f"{vpc_name}-{tier}", Tier=tier, Owner="platform-team"),
        )
        for entry in entries:
            ec2.create_network_acl_entry(**entry_args(acl_id, entry))
        for subnet_name, cidr in subnets.items():
            subnet_id = ec2.create_subnet(VpcId=vpc_id, CidrBlock=cidr)["Subnet"]["SubnetId"]
            ec2.create_tags(Resources=[subnet_id], Tags=tags(Name=subnet_name))
            ec2.replace_network_acl_association(
                AssociationId=association_id(ec2, subnet_id), NetworkAclId=acl_id
            )
            made["subnets"][subnet_name] = subnet_id
        made["network_acls"][tier] = acl_id
    return made


# What the incident drill does to the estate, in us-east-1:
INCIDENTS = """\
1. unauthorized DeleteNetworkAclEntry: the db tier's rule 80, which denied SSH from the internet
2. accidental DeleteNetworkAclEntry: the app tier's egress rule 120, which allowed DNS to the VPC resolver
3. malicious ReplaceNetworkAclEntry: the db tier's rule 100 widened from Postgres from the app tier to every TCP port from anywhere
4. malicious ReplaceNetworkAclAssociation: subnet db-b moved onto the VPC's default NACL, which allows everything"""


def incident(ec2, made):
    acls, subnets = made["network_acls"], made["subnets"]
    ec2.delete_network_acl_entry(NetworkAclId=acls["db"], Egress=False, RuleNumber=80)
    ec2.delete_network_acl_entry(NetworkAclId=acls["app"], Egress=True, RuleNumber=120)
    ec2.replace_network_acl_entry(
        **entry_args(acls["db"], (False, 100, "allow", TCP, ANY_V4, (0, 65535)))
    )
    ec2.replace_network_acl_association(
        AssociationId=association_id(ec2, subnets["db-b"]),
        NetworkAclId=made["default_network_acl"],
    )
    print(INCIDENTS)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoint-url", required=True)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("seed", help="create the estate; print its ids as JSON")
    incident_parser = commands.add_parser("incident", help="do the drill's incidents")
    incident_parser.add_argument("estate_json", help="what seed printed")
    export_parser = commands.add_parser("export", help="print describe-network-acls as JSON")
    export_parser.add_argument("region")
    args = parser.parse_args()

    def ec2(region):
        return boto3.client("ec2", region_name=region, endpoint_url=args.endpoint_url)

    if args.command == "seed":
        made = {region: seed_region(ec2(region), plan) for region, plan in ESTATE.items()}
        json.dump(made, sys.stdout, indent=2, sort_keys=True)
        print()
    elif args.command == "incident":
        with open(args.estate_json) as estate:
            made = json.load(estate)
        incident(ec2("us-east-1"), made["us-east-1"])
    else:
        response = ec2(args.region).describe_network_acls()
        response.pop("ResponseMetadata", None)
        json.dump(response, sys.stdout, indent=4, sort_keys=True)
        print()


if __name__ == "__main__":
    main()
