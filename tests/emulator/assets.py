#!/usr/bin/env python3
"""A VPC with the assets behind a drift, on the emulator.

    assets.py --endpoint-url URL [--region R] seed
    assets.py --endpoint-url URL [--region R] export DIR

`seed` makes a VPC (10.0.0.0/16) with an internet gateway, a public subnet
(its route table sends 0.0.0.0/0 to the gateway) and a private one (the
main table: local routes only), one NACL over both (SSH denied from the
internet by rule 80, everything else allowed both ways), four security
groups (SSH from anywhere, SSH from an office /24, HTTPS from anywhere,
SSH from its own members) and six instances, each tagged Name:

    open      public subnet, public address, SSH from anywhere
    office    public subnet, public address, SSH from 203.0.113.0/24
    https     public subnet, public address, HTTPS only
    nopublic  public subnet, no public address, SSH from anywhere
    private   private subnet, public address, SSH from anywhere
    self      public subnet, public address, SSH from its own group

It prints {"vpc_id", "network_acl", "instances": {NAME: {"instance_id",
"interface_id", "private_ip", "subnet_id"}}}.

`export` writes what the AWS CLI's `--output json` would for
describe-network-acls, describe-network-interfaces,
describe-security-groups, describe-route-tables and describe-instances,
into DIR/{acls,interfaces,groups,routes,instances}.json, and prints their
paths.
"""

import argparse
import json
import os

import boto3

ANYWHERE = "0.0.0.0/0"
OFFICE = "203.0.113.0/24"


def entry(acl_id, number, action, protocol, egress=False, ports=None):
    made = {"NetworkAclId": acl_id, "RuleNumber": number, "RuleAction": action,
            "Protocol": protocol, "Egress": egress, "CidrBlock": ANYWHERE}
    if ports:
        made["PortRange"] = {"From": ports, "To": ports}
    return made


def ssh_from(ec2, group_id, source):
    permission = {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22}
    permission.update(source)
    ec2.authorize_security_group_ingress(GroupId=group_id, IpPermissions=[permission])


def seed(endpoint, region):
    ec2 = boto3.client("ec2", region_name=region, endpoint_url=endpoint)
    vpc_id = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc_id)
    public = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    private = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.0.2.0/24")["Subnet"]["SubnetId"]
    table = ec2.create_route_table(VpcId=vpc_id)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=table, DestinationCidrBlock=ANYWHERE, GatewayId=igw)
    ec2.associate_route_table(RouteTableId=table, SubnetId=public)

    acl_id = ec2.create_network_acl(VpcId=vpc_id)["NetworkAcl"]["NetworkAclId"]
    ec2.create_network_acl_entry(**entry(acl_id, 80, "deny", "6", ports=22))
    ec2.create_network_acl_entry(**entry(acl_id, 100, "allow", "-1"))
    ec2.create_network_acl_entry(**entry(acl_id, 100, "allow", "-1", egress=True))
    associations = ec2.describe_network_acls(
        Filters=[{"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "default", "Values": ["true"]}]
    )["NetworkAcls"][0]["Associations"]
    for association in associations:
        ec2.replace_network_acl_association(
            AssociationId=association["NetworkAclAssociationId"], NetworkAclId=acl_id)
    ec2.create_tags(Resources=[acl_id], Tags=[{"Key": "Name", "Value": "web"}])

    def group(name):
        return ec2.create_security_group(
            GroupName=name, Description=name, VpcId=vpc_id)["GroupId"]

    groups = {name: group(name) for name in ("open", "office", "https", "self")}
    ssh_from(ec2, groups["open"], {"IpRanges": [{"CidrIp": ANYWHERE}]})
    ssh_from(ec2, groups["office"], {"IpRanges": [{"CidrIp": OFFICE}]})
    ec2.authorize_security_group_ingress(GroupId=groups["https"], IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": ANYWHERE}]}])
    ssh_from(ec2, groups["self"], {"UserIdGroupPairs": [{"GroupId": groups["self"]}]})

    layout = {
        "open": (public, True, "open"),
        "office": (public, True, "office"),
        "https": (public, True, "https"),
        "nopublic": (public, False, "open"),
        "private": (private, True, "open"),
        "self": (public, True, "self"),
    }
    instances = {}
    for name, (subnet, public_address, group_name) in layout.items():
        instance = ec2.run_instances(
            ImageId="ami-12c6146b", MinCount=1, MaxCount=1, InstanceType="t3.micro",
            NetworkInterfaces=[{"DeviceIndex": 0, "SubnetId": subnet,
                                "AssociatePublicIpAddress": public_address,
                                "Groups": [groups[group_name]]}],
            TagSpecifications=[{"ResourceType": "instance",
                                "Tags": [{"Key": "Name", "Value": name}]}],
        )["Instances"][0]
        instances[name] = {
            "instance_id": instance["InstanceId"],
            "interface_id": instance["NetworkInterfaces"][0]["NetworkInterfaceId"],
            "private_ip": instance["PrivateIpAddress"],
            "subnet_id": instance["SubnetId"],
        }
    return {"vpc_id": vpc_id, "network_acl": acl_id, "instances": instances}


def export(endpoint, region, folder):
    ec2 = boto3.client("ec2", region_name=region, endpoint_url=endpoint)
    calls = {
        "acls": ec2.describe_network_acls,
        "interfaces": ec2.describe_network_interfaces,
        "groups": ec2.describe_security_groups,
        "routes": ec2.describe_route_tables,
        "instances": ec2.describe_instances,
    }
    paths = []
    for name, call in calls.items():
        answer = call()
        answer.pop("ResponseMetadata", None)
        path = os.path.join(folder, f"{name}.json")
        with open(path, "w", encoding="utf-8") as file:
            json.dump(answer, file, default=str, indent=2)
        paths.append(path)
    return {"paths": paths}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoint-url", required=True)
    parser.add_argument("--region", default="us-east-1")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("seed")
    export_command = commands.add_parser("export")
    export_command.add_argument("folder")
    args = parser.parse_args()
    if args.command == "seed":
        print(json.dumps(seed(args.endpoint_url, args.region)))
    else:
        print(json.dumps(export(args.endpoint_url, args.region, args.folder)))


if __name__ == "__main__":
    main()
