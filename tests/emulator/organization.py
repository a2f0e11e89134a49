#!/usr/bin/env python3
"""An AWS Organization on the emulator, for runs over many accounts.

    organization.py --endpoint-url URL seed --members N --regions R1,R2 [--role NAME]
    organization.py --endpoint-url URL delete-entry ACCOUNT REGION ACL RULE [--role NAME]

`seed` creates the organization (its management account is the caller's)
and N member accounts, then, in every member account and region, as the
role NAME assumed in it (the emulator lets any role be assumed, and its
credentials act as that account), a VPC with a "guard" NACL: SSH denied
from the internet (rule 80), HTTPS allowed (rule 100). In every other
member, the first region's NACL also gets a second allow (rule 110), so
that the accounts differ. It prints, as JSON, the accounts and what it
made in each: {"management": ID, "members": [{"id", "name", "regions":
{REGION: {"vpc_id", "network_acl"}}}]}.

`delete-entry` deletes one ingress entry as the role in ACCOUNT: the
incident.
"""

import argparse
import json
import sys

import boto3

ANY_V4 = "0.0.0.0/0"


def assumed(endpoint, account, role, service, region):
    sts = boto3.client("sts", region_name=region, endpoint_url=endpoint)
    credentials = sts.assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/{role}", RoleSessionName="seed"
    )["Credentials"]
    return boto3.client(
        service,
        region_name=region,
        endpoint_url=endpoint,
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
    )


def entry(acl_id, number, action, ports):
    return {
        "NetworkAclId": acl_id, "Egress": False, "RuleNumber": number,
        "RuleAction": action, "Protocol": "6", "CidrBlock": ANY_V4,
        "PortRange": {"From": ports, "To": ports},
    }


def seed(endpoint, members, regions, role):
    organizations = boto3.client("organizations", region_name="us-east-1", endpoint_url=endpoint)
    management = organizations.create_organization(FeatureSet="ALL")["Organization"][
        "MasterAccountId"]
    made = {"management": management, "members": []}
    for index in range(members):
        name = f"member-{index + 1}"
        status = organizations.create_account(
            Email=f"{name}@example.com", AccountName=name
        )["CreateAccountStatus"]
        account = status["AccountId"]
        member = {"id": account, "name": name, "regions": {}}
        for position, region in enumerate(regions):
            ec2 = assumed(endpoint, account, role, "ec2", region)
            vpc_id = ec2.create_vpc(CidrBlock=f"10.{index}.0.0/16")["Vpc"]["VpcId"]
            acl_id = ec2.create_network_acl(VpcId=vpc_id)["NetworkAcl"]["NetworkAclId"]
            ec2.create_network_acl_entry(**entry(acl_id, 80, "deny", 22))
            ec2.create_network_acl_entry(**entry(acl_id, 100, "allow", 443))
            if position == 0 and index % 2 == 1:
                ec2.create_network_acl_entry(**entry(acl_id, 110, "allow", 80))
            member["regions"][region] = {"vpc_id": vpc_id, "network_acl": acl_id}
        made["members"].append(member)
    return made


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoint-url", required=True)
    commands = parser.add_subparsers(dest="command", required=True)
    seed_parser = commands.add_parser("seed", help="create the organization; print it as JSON")
    seed_parser.add_argument("--members", type=int, required=True)
    seed_parser.add_argument("--regions", required=True, help="comma-separated")
    seed_parser.add_argument("--role", default="NaclDriftReadOnly")
    delete_parser = commands.add_parser("delete-entry", help="delete an ingress entry")
    for name in ("account", "region", "acl"):
        delete_parser.add_argument(name)
    delete_parser.add_argument("rule", type=int)
    delete_parser.add_argument("--role", default="NaclDriftReadOnly")
    args = parser.parse_args()

    if args.command == "seed":
        made = seed(args.endpoint_url, args.members, args.regions.split(","), args.role)
        json.dump(made, sys.stdout, indent=2, sort_keys=True)
        print()
    else:
        ec2 = assumed(args.endpoint_url, args.account, args.role, "ec2", args.region)
        ec2.delete_network_acl_entry(NetworkAclId=args.acl, RuleNumber=args.rule, Egress=False)


if __name__ == "__main__":
    main()
