#!/usr/bin/env python3
"""The example estate: a three-tier shop in two regions, built through boto3.

    estate.py --endpoint-url URL seed > estate.json
    estate.py --endpoint-url URL incident estate.json [--cloudtrail-logs DIR]
    estate.py --endpoint-url URL export REGION > live.json
    estate.py --endpoint-url URL again estate.json

`seed` creates the estate and prints, as JSON, the ids of what it made by
name, so tests and the incident drill can refer to "the db tier's NACL"
rather than to ids the endpoint picked. `incident` then does what the
incidents nacl-drift exists for would do (see INCIDENTS below), and with
--cloudtrail-logs writes the CloudTrail log files that AWS would deliver for
those calls (the emulator has no CloudTrail), with some other events that
must not be mistaken for them. `export`
prints what `aws ec2 describe-network-acls --output json` would. `again`
deletes the db tier's SSH deny once more and puts the event CloudTrail
would send EventBridge for that call, for the guard to act on.

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
import datetime
import gzip
import json
import os
import sys
import uuid

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


ACCOUNT = "123456789012"
MALLORY = {
    "type": "IAMUser", "principalId": "AIDAEXAMPLEMALLORY01",
    "arn": f"arn:aws:iam::{ACCOUNT}:user/mallory", "accountId": ACCOUNT,
    "accessKeyId": "AKIAEXAMPLEMALLORY01", "userName": "mallory",
}
TERRAFORM = {
    "type": "AssumedRole", "principalId": "AROAEXAMPLEOPS000001:terraform-run-4711",
    "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/ops-automation/terraform-run-4711",
    "accountId": ACCOUNT, "accessKeyId": "ASIAEXAMPLEOPS000001",
    "sessionContext": {
        "sessionIssuer": {"type": "Role", "principalId": "AROAEXAMPLEOPS000001",
                          "arn": f"arn:aws:iam::{ACCOUNT}:role/ops-automation",
                          "accountId": ACCOUNT, "userName": "ops-automation"},
        "attributes": {"creationDate": "2026-11-26T09:00:00Z", "mfaAuthenticated": "false"},
    },
}
SSO_ROLE = "AWSReservedSSO_AdministratorAccess_0123456789abcdef"
JANE = {
    "type": "AssumedRole", "principalId": "AROAEXAMPLESSO000001:jane.doe@example.com",
    "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/{SSO_ROLE}/jane.doe@example.com",
    "accountId": ACCOUNT, "accessKeyId": "ASIAEXAMPLESSO000001",
    "sessionContext": {
        "sessionIssuer": {"type": "Role", "principalId": "AROAEXAMPLESSO000001",
                          "arn": f"arn:aws:iam::{ACCOUNT}:role/aws-reserved/sso.amazonaws.com/{SSO_ROLE}",
                          "accountId": ACCOUNT, "userName": SSO_ROLE},
        "attributes": {"creationDate": "2026-11-26T08:00:00Z", "mfaAuthenticated": "true"},
    },
}
CLOUDFORMATION = {"type": "AWSService", "invokedBy": "cloudformation.amazonaws.com"}
CLI = "aws-cli/2.17.20 md/awscrt#0.20.11 ua/2.0 os/linux#6.1 md/arch#x86_64 lang/python#3.11.9"
TERRAFORM_AGENT = "APN/1.0 HashiCorp/1.0 Terraform/1.9.5 (+https://www.terraform.io) terraform-provider-aws/5.70.0"


def record(when, name, identity, ip, agent, request, response=None, error=None):
    """A CloudTrail management event record, as CloudTrail writes it."""
    item = {
        "eventVersion": "1.09", "userIdentity": identity,
        "eventTime": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "eventSource": "ec2.amazonaws.com", "eventName": name, "awsRegion": "us-east-1",
        "sourceIPAddress": ip, "userAgent": agent,
        "requestParameters": request,
        "responseElements": response if response is not None else {"requestId": str(uuid.uuid4()), "_return": True},
        "requestID": str(uuid.uuid4()), "eventID": str(uuid.uuid4()),
        "readOnly": False, "eventType": "AwsApiCall", "managementEvent": True,
        "recipientAccountId": ACCOUNT, "eventCategory": "Management",
    }
    if error:
        item.update(errorCode=error, errorMessage="You are not authorized to perform this operation.",
                    responseElements=None)
    return item


def write_logs(folder, when, records, compress):
    """One log file, where CloudTrail delivers it."""
    day = os.path.join(folder, "AWSLogs", ACCOUNT, "CloudTrail", "us-east-1",
                       when.strftime("%Y"), when.strftime("%m"), when.strftime("%d"))
    os.makedirs(day, exist_ok=True)
    name = f"{ACCOUNT}_CloudTrail_us-east-1_{when.strftime('%Y%m%dT%H%MZ')}_{uuid.uuid4().hex[:16]}.json"
    body = json.dumps({"Records": records}).encode()
    if compress:
        with gzip.open(os.path.join(day, name + ".gz"), "wb") as out:
            out.write(body)
    else:
        with open(os.path.join(day, name), "wb") as out:
            out.write(body)


def incident(ec2, made, logs):
    acls, subnets = made["network_acls"], made["subnets"]
    old_association = association_id(ec2, subnets["db-b"])
    ec2.delete_network_acl_entry(NetworkAclId=acls["db"], Egress=False, RuleNumber=80)
    ec2.delete_network_acl_entry(NetworkAclId=acls["app"], Egress=True, RuleNumber=120)
    ec2.replace_network_acl_entry(
        **entry_args(acls["db"], (False, 100, "allow", TCP, ANY_V4, (0, 65535)))
    )
    new_association = ec2.replace_network_acl_association(
        AssociationId=old_association, NetworkAclId=made["default_network_acl"],
    )["NewAssociationId"]
    print(INCIDENTS)
    if not logs:
        return
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    minutes = lambda n: now - datetime.timedelta(minutes=n)
    entry = lambda acl, number, egress: {"networkAclId": acl, "ruleNumber": number, "egress": egress}
    write_logs(logs, now, [
        record(minutes(9), "DeleteNetworkAclEntry", MALLORY, "203.0.113.66", CLI, entry(acls["db"], 80, False)),
        record(minutes(8), "DeleteNetworkAclEntry", TERRAFORM, "10.0.5.20", TERRAFORM_AGENT,
               entry(acls["app"], 120, True)),
        record(minutes(7), "ReplaceNetworkAclEntry", JANE, "198.51.100.23", "console.ec2.amazonaws.com",
               dict(entry(acls["db"], 100, False), ruleAction="allow", aclProtocol="6",
                    cidrBlock=ANY_V4, portRange={"from": 0, "to": 65535})),
        record(minutes(6), "ReplaceNetworkAclAssociation", MALLORY, "203.0.113.66", CLI,
               {"associationId": old_association, "networkAclId": made["default_network_acl"]},
               {"requestId": str(uuid.uuid4()), "newAssociationId": new_association}),
        # A later call that failed changed nothing, and must not be blamed.
        record(minutes(5), "DeleteNetworkAclEntry", TERRAFORM, "10.0.5.20", TERRAFORM_AGENT,
               entry(acls["db"], 80, False), error="Client.UnauthorizedOperation"),
        # Other NACLs: the same rule number elsewhere, and a service's tagging.
        record(minutes(4), "DeleteNetworkAclEntry", MALLORY, "203.0.113.66", CLI, entry(acls["web"], 80, False),
               error="Client.InvalidNetworkAclEntry.NotFound"),
        record(minutes(3), "CreateTags", CLOUDFORMATION, "cloudformation.amazonaws.com", "cloudformation.amazonaws.com",
               {"resourcesSet": {"items": [{"resourceId": acls["web"]}]},
                "tagSet": {"items": [{"key": "aws:cloudformation:stack-name", "value": "shop"}]}}),
    ], compress=True)
    # An older change to the same rule, by someone else: the newest match wins.
    yesterday = now - datetime.timedelta(days=1)
    write_logs(logs, yesterday, [
        record(yesterday, "ReplaceNetworkAclEntry", TERRAFORM, "10.0.5.20", TERRAFORM_AGENT,
               dict(entry(acls["db"], 80, False), ruleAction="deny", aclProtocol="6",
                    cidrBlock=ANY_V4, portRange={"from": 22, "to": 22})),
    ], compress=False)


def again(ec2, events, made):
    acl = made["network_acls"]["db"]
    ec2.delete_network_acl_entry(NetworkAclId=acl, Egress=False, RuleNumber=80)
    now = datetime.datetime.now(datetime.timezone.utc)
    call = record(now, "DeleteNetworkAclEntry", MALLORY, "203.0.113.66", CLI,
                  {"networkAclId": acl, "ruleNumber": 80, "egress": False})
    answer = events.put_events(Entries=[{
        "Source": "aws.ec2", "DetailType": "AWS API Call via CloudTrail", "Detail": json.dumps(call),
    }])
    if answer.get("FailedEntryCount"):
        raise SystemExit(f"PutEvents failed: {answer}")
    print(f"unauthorized DeleteNetworkAclEntry again: the db tier's rule 80, by user/mallory "
          f"from 203.0.113.66 at {call['eventTime']}; its CloudTrail event is on EventBridge")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoint-url", required=True)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("seed", help="create the estate; print its ids as JSON")
    incident_parser = commands.add_parser("incident", help="do the drill's incidents")
    incident_parser.add_argument("estate_json", help="what seed printed")
    incident_parser.add_argument("--cloudtrail-logs", metavar="DIR",
                                 help="also write the CloudTrail logs of the incidents here")
    export_parser = commands.add_parser("export", help="print describe-network-acls as JSON")
    export_parser.add_argument("region")
    again_parser = commands.add_parser("again", help="delete the db tier's SSH deny again, with its event")
    again_parser.add_argument("estate_json", help="what seed printed")
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
        incident(ec2("us-east-1"), made["us-east-1"], args.cloudtrail_logs)
    elif args.command == "again":
        with open(args.estate_json) as estate:
            made = json.load(estate)
        events = boto3.client("events", region_name="us-east-1", endpoint_url=args.endpoint_url)
        again(ec2("us-east-1"), events, made["us-east-1"])
    else:
        response = ec2(args.region).describe_network_acls()
        response.pop("ResponseMetadata", None)
        json.dump(response, sys.stdout, indent=4, sort_keys=True)
        print()


if __name__ == "__main__":
    main()
