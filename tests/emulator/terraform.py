#!/usr/bin/env python3
"""A VPC that Terraform manages, on the emulator, and its state.

    terraform.py --endpoint-url URL [--region R] seed DIR
    terraform.py --endpoint-url URL [--region R] refresh DIR

`seed` makes, in R (us-east-1 unless told), what terraform-aws-modules/vpc makes of a VPC
with public subnets: a VPC, two public subnets, the public NACL over both
(ingress 100 tcp 443 from anywhere, ingress 110 tcp 22 from 10.0.0.0/16,
egress 100 everything), and the default NACL as AWS makes it. It writes
the state Terraform would, in its three readable forms:

    DIR/terraform.tfstate   raw state v4 (`terraform state pull`)
    DIR/show.json           `terraform show -json`
    DIR/plan.json           `terraform show -json PLAN` of a plan that
                            changes nothing

in the module's style: `module.vpc.aws_network_acl.public[0]` with its
rules as `module.vpc.aws_network_acl_rule.public_inbound[N]` and
`public_outbound[N]` (the protocol written `tcp` for one, `"6"` for the
other, as states written across provider versions hold them), and
`module.vpc.aws_default_network_acl.this[0]`. The ACLs' inline lists hold
what a refresh read from the emulator: for the module's ACL they are no
intent. It prints {"vpc_id", "public_acl", "default_acl", "subnets"}.

`refresh` writes the three forms again from what the emulator holds now,
as `terraform apply -refresh-only` would: the inline lists take up
out-of-band entries; the rule resources stay as they were.

`applied` writes them as a reviewed `terraform apply` that added
`public_inbound[2]` (ingress 104 tcp 8443 from anywhere) leaves them, once
that entry is made: the state last.

    terraform.py --endpoint-url URL push DIR --bucket B --key K [--lock-table T] [--backend-region R]
    terraform.py --endpoint-url URL lock DIR --bucket B --key K [--lock-table T]
    terraform.py --endpoint-url URL unlock DIR --bucket B --key K [--lock-table T]

The backend is in us-east-1 unless --backend-region says otherwise (its
region is its own, not the VPC's). `push` writes DIR/terraform.tfstate to
the S3 backend as Terraform does (the
bucket and the DynamoDB lock table made first when missing; the table's
`<bucket>/<key>-md5` digest item, which is no lock, beside it). `lock` takes
the backend's locks as `terraform apply` does: `<key>.tflock` with a
conditional PutObject (`use_lockfile`), and with a lock table its
`<bucket>/<key>` item with a condition on `LockID`; `unlock` deletes them.
"""

import argparse
import copy
import hashlib
import json
import os

import boto3

PROVIDER = 'provider["registry.terraform.io/hashicorp/aws"]'
# The module's rules: (resource name, index, rule, egress, protocol, action, cidr, from, to).
RULES = [
    ("public_inbound", 0, 100, False, "tcp", "allow", "0.0.0.0/0", 443, 443),
    ("public_inbound", 1, 110, False, "6", "allow", "10.0.0.0/16", 22, 22),
    ("public_outbound", 0, 100, True, "-1", "allow", "0.0.0.0/0", 0, 0),
]
# What a reviewed apply adds.
APPLIED = ("public_inbound", 2, 104, False, "6", "allow", "0.0.0.0/0", 8443, 8443)


def client(endpoint, region):
    return boto3.client("ec2", region_name=region, endpoint_url=endpoint)


def arn(region, account, acl):
    return f"arn:aws:ec2:{region}:{account}:network-acl/{acl}"


def inline(entries, egress):
    """An ACL's entries as the provider's Read writes them inline."""
    listed = []
    for entry in entries:
        if entry["Egress"] != egress or entry["RuleNumber"] >= 32767:
            continue
        ports = entry.get("PortRange") or {}
        icmp = entry.get("IcmpTypeCode") or {}
        listed.append({
            "action": entry["RuleAction"],
            "cidr_block": entry.get("CidrBlock", ""),
            "from_port": ports.get("From", 0),
            "icmp_code": icmp.get("Code", 0),
            "icmp_type": icmp.get("Type", 0),
            "ipv6_cidr_block": entry.get("Ipv6CidrBlock", ""),
            "protocol": entry["Protocol"],
            "rule_no": entry["RuleNumber"],
            "to_port": ports.get("To", 0),
        })
    return sorted(listed, key=lambda e: e["rule_no"])


def acl_attributes(acl, region, account, default):
    attributes = {
        "arn": arn(region, account, acl["NetworkAclId"]),
        "egress": inline(acl["Entries"], True),
        "id": acl["NetworkAclId"],
        "ingress": inline(acl["Entries"], False),
        "owner_id": account,
        "subnet_ids": sorted(a["SubnetId"] for a in acl.get("Associations", [])),
        "tags": {"Name": "tf-public" if not default else "tf-default"},
        "tags_all": {"Name": "tf-public" if not default else "tf-default"},
        "vpc_id": acl["VpcId"],
    }
    if default:
        attributes["default_network_acl_id"] = acl["NetworkAclId"]
    return attributes


def rule_attributes(public_acl, rule):
    _, index, number, egress, protocol, action, cidr, low, high = rule
    return {
        "cidr_block": cidr, "egress": egress, "from_port": low, "icmp_code": None,
        "icmp_type": None, "id": f"nacl-{3000000000 + number * 2 + egress}",
        "ipv6_cidr_block": None, "network_acl_id": public_acl, "protocol": protocol,
        "rule_action": action, "rule_number": number, "to_port": high,
    }


def write_forms(ec2, out, ids, rules=RULES):
    """The three forms of the state of `rules`, from what the emulator holds now."""
    acls = {acl["NetworkAclId"]: acl for acl in ec2.describe_network_acls(
        NetworkAclIds=[ids["public_acl"], ids["default_acl"]])["NetworkAcls"]}
    account = acls[ids["public_acl"]]["OwnerId"]
    region = ec2.meta.region_name
    public = acl_attributes(acls[ids["public_acl"]], region, account, default=False)
    default = acl_attributes(acls[ids["default_acl"]], region, account, default=True)
    by_name = {}
    for rule in rules:
        by_name.setdefault(rule[0], []).append((rule[1], rule_attributes(ids["public_acl"], rule)))

    def instance(attributes, index):
        return {"index_key": index, "schema_version": 0, "attributes": attributes,
                "sensitive_attributes": [], "private": "bnVsbA=="}

    resources = [
        {"module": "module.vpc", "mode": "managed", "type": "aws_default_network_acl",
         "name": "this", "each": "list", "provider": PROVIDER, "instances": [instance(default, 0)]},
        {"module": "module.vpc", "mode": "managed", "type": "aws_network_acl",
         "name": "public", "each": "list", "provider": PROVIDER, "instances": [instance(public, 0)]},
    ] + [
        {"module": "module.vpc", "mode": "managed", "type": "aws_network_acl_rule",
         "name": name, "each": "list", "provider": PROVIDER,
         "instances": [instance(attributes, index) for index, attributes in listed]}
        for name, listed in by_name.items()
    ]
    raw = {"version": 4, "terraform_version": "1.5.7", "serial": 1,
           "lineage": "0c4b7e52-0d1a-4a43-9d4b-5e0e3e1b2a10", "outputs": {},
           "resources": resources, "check_results": None}

    def shown(resource, index, attributes):
        return {"address": f'{resource["module"]}.{resource["type"]}.{resource["name"]}[{index}]',
                "mode": "managed", "type": resource["type"], "name": resource["name"],
                "index": index, "provider_name": "registry.terraform.io/hashicorp/aws",
                "schema_version": 0, "values": attributes, "sensitive_values": {}}

    child = [shown(r, i["index_key"], i["attributes"]) for r in resources for i in r["instances"]]
    show = {"format_version": "1.0", "terraform_version": "1.5.7",
            "values": {"outputs": {}, "root_module": {
                "resources": [], "child_modules": [{"address": "module.vpc", "resources": child}]}}}
    plan = {"format_version": "1.2", "terraform_version": "1.5.7",
            "planned_values": copy.deepcopy(show["values"]), "resource_changes": [],
            "prior_state": show, "configuration": {"root_module": {}}}
    # A refresh that finds entries no rule resource declares shows the ACL
    # as changed outside Terraform.
    declared = {(r[3], r[2]) for r in rules}
    live = {(e["Egress"], e["RuleNumber"]) for e in acls[ids["public_acl"]]["Entries"]
            if e["RuleNumber"] < 32767}
    if live - declared:
        plan["resource_drift"] = [{
            "address": "module.vpc.aws_network_acl.public[0]", "module_address": "module.vpc",
            "mode": "managed", "type": "aws_network_acl", "name": "public", "index": 0,
            "provider_name": "registry.terraform.io/hashicorp/aws",
            "change": {"actions": ["update"], "before": None, "after": public,
                       "after_unknown": {}, "before_sensitive": {}, "after_sensitive": {}}}]
    for name, form in [("terraform.tfstate", raw), ("show.json", show), ("plan.json", plan)]:
        with open(os.path.join(out, name), "w") as file:
            json.dump(form, file, indent=2)


def seed(ec2, out):
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{n}.0/24")["Subnet"]["SubnetId"]
               for n in (1, 2)]
    default_acl = ec2.describe_network_acls(Filters=[
        {"Name": "vpc-id", "Values": [vpc]}, {"Name": "default", "Values": ["true"]},
    ])["NetworkAcls"][0]
    public = ec2.create_network_acl(VpcId=vpc)["NetworkAcl"]["NetworkAclId"]
    ec2.create_tags(Resources=[public], Tags=[{"Key": "Name", "Value": "tf-public"}])
    ec2.create_tags(Resources=[default_acl["NetworkAclId"]],
                    Tags=[{"Key": "Name", "Value": "tf-default"}])
    for _, _, number, egress, protocol, action, cidr, low, high in RULES:
        number_of = {"tcp": "6"}.get(protocol, protocol)
        entry = dict(NetworkAclId=public, RuleNumber=number, Egress=egress,
                     Protocol=number_of, RuleAction=action, CidrBlock=cidr)
        if number_of == "6":
            entry["PortRange"] = {"From": low, "To": high}
        ec2.create_network_acl_entry(**entry)
    for association in default_acl["Associations"]:
        if association["SubnetId"] in subnets:
            ec2.replace_network_acl_association(
                AssociationId=association["NetworkAclAssociationId"], NetworkAclId=public)
    ids = {"vpc_id": vpc, "public_acl": public, "default_acl": default_acl["NetworkAclId"],
           "subnets": subnets}
    with open(os.path.join(out, "ids.json"), "w") as file:
        json.dump(ids, file)
    write_forms(ec2, out, ids)
    print(json.dumps(ids))


# The lock info Terraform writes (`json.Marshal` of its LockInfo).
LOCK_INFO = {"ID": "5f0e8c1a-1b2c-4d5e-8f90-a1b2c3d4e5f6", "Operation": "OperationTypeApply",
             "Info": "", "Who": "alice@build-7", "Version": "1.10.5",
             "Created": "2026-12-07T10:11:12.345678Z", "Path": ""}


def backend(args):
    """The backend's S3 and DynamoDB clients, the bucket and table made."""
    region = args.backend_region
    s3 = boto3.client("s3", region_name=region, endpoint_url=args.endpoint_url)
    dynamodb = boto3.client("dynamodb", region_name=region, endpoint_url=args.endpoint_url)
    if args.bucket not in [b["Name"] for b in s3.list_buckets()["Buckets"]]:
        s3.create_bucket(Bucket=args.bucket)
    if args.lock_table and args.lock_table not in dynamodb.list_tables()["TableNames"]:
        dynamodb.create_table(
            TableName=args.lock_table, BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": "LockID", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "LockID", "KeyType": "HASH"}])
    return s3, dynamodb


def push(args):
    s3, dynamodb = backend(args)
    with open(os.path.join(args.dir, "terraform.tfstate"), "rb") as file:
        body = file.read()
    s3.put_object(Bucket=args.bucket, Key=args.key, Body=body)
    if args.lock_table:
        dynamodb.put_item(TableName=args.lock_table, Item={
            "LockID": {"S": f"{args.bucket}/{args.key}-md5"},
            "Digest": {"S": hashlib.md5(body).hexdigest()}})


def lock(args):
    s3, dynamodb = backend(args)
    info = json.dumps(dict(LOCK_INFO, Path=f"{args.bucket}/{args.key}"), separators=(",", ":"))
    s3.put_object(Bucket=args.bucket, Key=f"{args.key}.tflock", Body=info.encode(), IfNoneMatch="*")
    if args.lock_table:
        dynamodb.put_item(
            TableName=args.lock_table,
            Item={"LockID": {"S": f"{args.bucket}/{args.key}"}, "Info": {"S": info}},
            ConditionExpression="attribute_not_exists(LockID)")


def unlock(args):
    s3, dynamodb = backend(args)
    s3.delete_object(Bucket=args.bucket, Key=f"{args.key}.tflock")
    if args.lock_table:
        dynamodb.delete_item(TableName=args.lock_table,
                             Key={"LockID": {"S": f"{args.bucket}/{args.key}"}})


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--endpoint-url", required=True)
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument("command", choices=["seed", "refresh", "applied", "push", "lock", "unlock"])
    parser.add_argument("dir")
    parser.add_argument("--bucket")
    parser.add_argument("--key")
    parser.add_argument("--lock-table")
    parser.add_argument("--backend-region", default="us-east-1")
    args = parser.parse_args()
    ec2 = client(args.endpoint_url, args.region)
    if args.command == "seed":
        seed(ec2, args.dir)
    elif args.command in ("refresh", "applied"):
        with open(os.path.join(args.dir, "ids.json")) as file:
            ids = json.load(file)
        write_forms(ec2, args.dir, ids, RULES + [APPLIED] if args.command == "applied" else RULES)
    else:
        {"push": push, "lock": lock, "unlock": unlock}[args.command](args)


if __name__ == "__main__":
    main()
