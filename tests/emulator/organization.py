#!/usr/bin/env python3
"""An AWS Organization on the emulator, for runs over many accounts.

    organization.py --endpoint-url URL seed --members N --regions R1,R2 [--role NAME]
    organization.py --endpoint-url URL delete-entry ACCOUNT REGION ACL RULE [--role NAME]
    organization.py --endpoint-url URL deploy-guard ACCOUNT... [--region R] [--role NAME]
    organization.py --endpoint-url URL put-event ACCOUNT REGION DETAIL_JSON [--role NAME]
    organization.py --endpoint-url URL lambda-batch QUEUE_URL [--region R]
    organization.py --endpoint-url URL findings ACCOUNT REGION [--role NAME]
    organization.py --endpoint-url URL widen-bus BUS_NAME [--region R]

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

`deploy-guard` wires the organization guard's event path as
examples/org-guard's templates describe it, reading their patterns and
policies from the templates themselves (moto runs no StackSet or SAM): in
the caller's account (the central one), the event bus with its
organization-only policy, the rule on it that sends to the guard's queue,
and the alert topic with an SQS subscriber; in each member ACCOUNT, as the
role NAME, the rule of its default bus that forwards NACL calls to the
central bus (NAME is then the guard role the rule leaves out), and Security
Hub enabled. It prints {"organization_id", "bus_arn", "queue_url",
"topic_arn", "inbox_url"}.

`put-event` puts one CloudTrail event on ACCOUNT's default bus, as the
role in it: what CloudTrail does after a call there.

`lambda-batch` receives what the queue holds and prints it as Lambda's SQS
event source hands a batch to the function: {"Records": [...]}.

`findings` prints the Security Hub findings of ACCOUNT's REGION:
{"findings": [...]}.

`widen-bus` lets anyone put events on the caller's bus BUS_NAME: the
mistake doctor must catch.
"""

import argparse
import json
import os
import re
import sys

import boto3
import yaml

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


TEMPLATES = os.path.join(os.path.dirname(__file__), "..", "..", "examples", "org-guard")


class Template(yaml.SafeLoader):
    """CloudFormation's YAML: `!Ref X` loads as {"Ref": "X"}, `!Sub S` as
    {"Fn::Sub": S}, and so on."""


def _intrinsic(loader, suffix, node):
    name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
        if suffix == "GetAtt":
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {name: value}


Template.add_multi_constructor("!", _intrinsic)


def template(name):
    with open(os.path.join(TEMPLATES, name), encoding="utf-8") as file:
        return yaml.load(file, Loader=Template)


def resolved(value, known):
    """`value` with its Ref, GetAtt and Sub resolved from `known` (names
    such as "AWS::AccountId", "GuardRoleName" or "GuardEventBus.Arn"); an
    unknown name is an error, so that a template's change shows."""
    if isinstance(value, list):
        return [resolved(item, known) for item in value]
    if not isinstance(value, dict):
        return value
    if set(value) == {"Ref"}:
        return known[value["Ref"]]
    if set(value) == {"Fn::GetAtt"}:
        return known[".".join(value["Fn::GetAtt"])]
    if set(value) == {"Fn::Sub"}:
        return re.sub(r"\$\{([^}]+)\}", lambda match: known[match.group(1)], value["Fn::Sub"])
    return {key: resolved(item, known) for key, item in value.items()}


def deploy_guard(endpoint, region, members, role):
    central = template("central.yaml")["Resources"]
    member = template("member.yaml")["Resources"]
    organizations = boto3.client("organizations", region_name="us-east-1", endpoint_url=endpoint)
    organization_id = organizations.describe_organization()["Organization"]["Id"]
    sts = boto3.client("sts", region_name=region, endpoint_url=endpoint)
    account = sts.get_caller_identity()["Account"]
    events = boto3.client("events", region_name=region, endpoint_url=endpoint)
    sqs = boto3.client("sqs", region_name=region, endpoint_url=endpoint)
    sns = boto3.client("sns", region_name=region, endpoint_url=endpoint)

    bus = central["GuardEventBus"]["Properties"]["Name"]
    bus_arn = events.create_event_bus(Name=bus)["EventBusArn"]
    known = {"AWS::Partition": "aws", "AWS::Region": region, "AWS::AccountId": account,
             "OrganizationId": organization_id, "GuardEventBus": bus, "GuardEventBus.Arn": bus_arn}
    policy = resolved(central["GuardBusPolicy"]["Properties"], known)
    statement = dict(policy["Statement"], Sid=policy["StatementId"])
    events.put_permission(EventBusName=bus, Policy=json.dumps(
        {"Version": "2012-10-17", "Statement": [statement]}))

    queue_url = sqs.create_queue(QueueName="nacl-drift-org-guard")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
        "Attributes"]["QueueArn"]
    rule = central["NaclCall"]["Properties"]
    rule_arn = events.put_rule(Name="nacl-drift-guard", EventBusName=bus,
                               EventPattern=json.dumps(resolved(rule["EventPattern"], known)))["RuleArn"]
    events.put_targets(Rule="nacl-drift-guard", EventBusName=bus,
                       Targets=[{"Id": "queue", "Arn": queue_arn}])
    sqs.set_queue_attributes(QueueUrl=queue_url, Attributes={"Policy": json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"},
            "Action": "sqs:SendMessage", "Resource": queue_arn,
            "Condition": {"ArnEquals": {"aws:SourceArn": rule_arn}},
        }]})})

    topic_arn = sns.create_topic(Name="nacl-drift-org-alerts")["TopicArn"]
    inbox_url = sqs.create_queue(QueueName="nacl-drift-org-alerts-inbox")["QueueUrl"]
    inbox_arn = sqs.get_queue_attributes(QueueUrl=inbox_url, AttributeNames=["QueueArn"])[
        "Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=inbox_arn)

    forward = member["NaclCall"]["Properties"]
    parameters = template("member.yaml")["Parameters"]
    for member_account in members:
        member_known = {"AWS::Partition": "aws", "AWS::Region": region,
                        "AWS::AccountId": member_account, "GuardRoleName": role,
                        "ForwardRoleName": parameters["ForwardRoleName"]["Default"],
                        "CentralEventBusArn": bus_arn}
        member_events = assumed(endpoint, member_account, role, "events", region)
        member_events.put_rule(Name="nacl-drift-forward",
                               EventPattern=json.dumps(resolved(forward["EventPattern"], member_known)))
        targets = resolved(forward["Targets"], member_known)
        member_events.put_targets(Rule="nacl-drift-forward", Targets=[
            {"Id": target["Id"], "Arn": target["Arn"], "RoleArn": target["RoleArn"]}
            for target in targets])
        assumed(endpoint, member_account, role, "securityhub", region).enable_security_hub()
    return {"organization_id": organization_id, "bus_arn": bus_arn, "queue_url": queue_url,
            "topic_arn": topic_arn, "inbox_url": inbox_url}


def put_event(endpoint, account, region, detail, role):
    events = assumed(endpoint, account, role, "events", region)
    answer = events.put_events(Entries=[{
        "Source": "aws.ec2", "DetailType": "AWS API Call via CloudTrail", "Detail": detail,
    }])
    if answer.get("FailedEntryCount"):
        raise SystemExit(f"PutEvents failed: {answer}")
    return {"event_ids": [entry["EventId"] for entry in answer["Entries"]]}


def lambda_batch(endpoint, region, url):
    sqs = boto3.client("sqs", region_name=region, endpoint_url=endpoint)
    queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
        "Attributes"]["QueueArn"]
    records = []
    while True:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        batch = got.get("Messages", [])
        if not batch:
            return {"Records": records}
        for message in batch:
            records.append({
                "messageId": message["MessageId"], "receiptHandle": message["ReceiptHandle"],
                "body": message["Body"], "attributes": {"ApproximateReceiveCount": "1"},
                "messageAttributes": {}, "md5OfBody": message["MD5OfBody"],
                "eventSource": "aws:sqs", "eventSourceARN": queue_arn, "awsRegion": region,
            })


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
    deploy_parser = commands.add_parser("deploy-guard", help="wire the organization guard")
    deploy_parser.add_argument("members", nargs="+")
    put_parser = commands.add_parser("put-event", help="put a CloudTrail event in a member")
    for name in ("account", "region", "detail"):
        put_parser.add_argument(name)
    batch_parser = commands.add_parser("lambda-batch", help="the queue as Lambda's SQS batch")
    batch_parser.add_argument("queue_url")
    findings_parser = commands.add_parser("findings", help="a member's Security Hub findings")
    for name in ("account", "region"):
        findings_parser.add_argument(name)
    for command in (deploy_parser, put_parser, findings_parser):
        command.add_argument("--role", default="NaclDriftReadOnly")
    widen_parser = commands.add_parser("widen-bus", help="let anyone put events on a bus")
    widen_parser.add_argument("bus")
    for command in (deploy_parser, batch_parser, widen_parser):
        command.add_argument("--region", default="us-east-1")
    args = parser.parse_args()

    if args.command == "seed":
        made = seed(args.endpoint_url, args.members, args.regions.split(","), args.role)
        json.dump(made, sys.stdout, indent=2, sort_keys=True)
        print()
    elif args.command == "deploy-guard":
        print(json.dumps(deploy_guard(args.endpoint_url, args.region, args.members, args.role)))
    elif args.command == "put-event":
        print(json.dumps(put_event(args.endpoint_url, args.account, args.region, args.detail,
                                   args.role)))
    elif args.command == "lambda-batch":
        print(json.dumps(lambda_batch(args.endpoint_url, args.region, args.queue_url)))
    elif args.command == "widen-bus":
        events = boto3.client("events", region_name=args.region, endpoint_url=args.endpoint_url)
        events.put_permission(EventBusName=args.bus, Action="events:PutEvents", Principal="*",
                              StatementId="Anyone")
        print(json.dumps({"widened": args.bus}))
    elif args.command == "findings":
        securityhub = assumed(args.endpoint_url, args.account, args.role, "securityhub",
                              args.region)
        print(json.dumps({"findings": securityhub.get_findings()["Findings"]}))
    else:
        ec2 = assumed(args.endpoint_url, args.account, args.role, "ec2", args.region)
        ec2.delete_network_acl_entry(NetworkAclId=args.acl, RuleNumber=args.rule, Egress=False)
        print(json.dumps({"deleted": {"network_acl": args.acl, "rule": args.rule}}))


if __name__ == "__main__":
    main()
