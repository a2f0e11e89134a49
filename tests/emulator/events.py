#!/usr/bin/env python3
"""The guard's event path on the emulator: CloudTrail, EventBridge, SQS.

    events.py --endpoint-url URL --region R queue [--no-policy | --open-policy] [--leave-out CALL]
    events.py --endpoint-url URL --region R put DETAIL_JSON
    events.py --endpoint-url URL --region R send QUEUE_URL DETAIL_JSON
    events.py --endpoint-url URL --region R send-raw QUEUE_URL BODY [--times N]
    events.py --endpoint-url URL --region R count QUEUE_URL
    events.py --endpoint-url URL --region R whoami
    events.py --endpoint-url URL --region R trail [--not-logging]
    events.py --endpoint-url URL --region R topic
    events.py --endpoint-url URL --region R drain QUEUE_URL
    events.py --endpoint-url URL --region R hub
    events.py --endpoint-url URL --region R findings

`queue` creates an SQS queue and an EventBridge rule on CloudTrail's NACL
calls that delivers to it (the pattern of examples/lambda/template.yaml,
failed calls excluded), and prints {"queue_url", "queue_arn", "rule"}. The
queue's policy lets the rule alone send to it (aws:SourceArn), as on AWS
it must, unless --no-policy (none) or --open-policy (any EventBridge rule,
of any account); --leave-out drops one call from the rule's pattern.

`put` puts one event, as CloudTrail would: source aws.ec2, detail-type
"AWS API Call via CloudTrail", DETAIL_JSON as its detail. The emulator
emits no CloudTrail events of its own, so a test makes the change on EC2
and then puts the event. It prints EventBridge's answer.

`send` sends the same event straight to the queue, as a rule without the
pattern's filters would: how a failed call reaches the guard.

`send-raw` sends BODY as it is (or the content of the file @PATH), N
times (10 a batch): what anyone allowed to send to the queue could send.

`count` prints how many messages the queue holds, visible or in flight.

`whoami` prints the caller's ARN, as CloudTrail would name its calls.

`topic` creates the SNS topic of the guard's alerts and an SQS queue
subscribed to it (SNS delivers each message there, in its JSON envelope),
and prints {"topic_arn", "queue_url"}.

`drain` receives every message the queue holds and prints their bodies,
parsed: {"messages": [...]}.

`hub` enables Security Hub in the region; `findings` prints the findings
it holds: {"findings": [...]}, as GetFindings answers.

`trail` creates a trail in the region (and its S3 bucket) and starts its
logging, unless --not-logging; it prints {"trail_arn"}.
"""

import argparse
import json
import uuid

import boto3

NACL_CALLS = [
    "CreateNetworkAcl", "CreateNetworkAclEntry", "DeleteNetworkAcl",
    "DeleteNetworkAclEntry", "ReplaceNetworkAclAssociation",
    "ReplaceNetworkAclEntry", "CreateTags", "DeleteTags",
]

PATTERN = {
    "source": ["aws.ec2"],
    "detail-type": ["AWS API Call via CloudTrail"],
    "detail": {
        "eventSource": ["ec2.amazonaws.com"],
        "eventName": NACL_CALLS,
        "errorCode": [{"exists": False}],
    },
}


def make_queue(endpoint, region, policy="rule", leave_out=None):
    sqs = boto3.client("sqs", region_name=region, endpoint_url=endpoint)
    events = boto3.client("events", region_name=region, endpoint_url=endpoint)
    url = sqs.create_queue(QueueName="nacl-drift-guard")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
        "Attributes"]["QueueArn"]
    pattern = json.loads(json.dumps(PATTERN))
    pattern["detail"]["eventName"] = [name for name in NACL_CALLS if name != leave_out]
    rule_arn = events.put_rule(Name="nacl-drift-guard", EventPattern=json.dumps(pattern))["RuleArn"]
    if policy != "none":
        statement = {
            "Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"},
            "Action": "sqs:SendMessage", "Resource": arn,
        }
        if policy == "rule":
            statement["Condition"] = {"ArnEquals": {"aws:SourceArn": rule_arn}}
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps({
            "Version": "2012-10-17", "Statement": [statement],
        })})
    events.put_targets(Rule="nacl-drift-guard", Targets=[{"Id": "queue", "Arn": arn}])
    return {"queue_url": url, "queue_arn": arn, "rule": "nacl-drift-guard"}


def put(endpoint, region, detail):
    events = boto3.client("events", region_name=region, endpoint_url=endpoint)
    answer = events.put_events(Entries=[{
        "Source": "aws.ec2",
        "DetailType": "AWS API Call via CloudTrail",
        "Detail": detail,
    }])
    if answer.get("FailedEntryCount"):
        raise SystemExit(f"PutEvents failed: {answer}")
    return {"event_ids": [entry["EventId"] for entry in answer["Entries"]]}


def send(endpoint, region, url, detail):
    sqs = boto3.client("sqs", region_name=region, endpoint_url=endpoint)
    account = url.rstrip("/").split("/")[-2]
    envelope = {
        "version": "0", "id": str(uuid.uuid4()),
        "detail-type": "AWS API Call via CloudTrail", "source": "aws.ec2",
        "account": account, "time": json.loads(detail).get("eventTime"),
        "region": region, "resources": [], "detail": json.loads(detail),
    }
    answer = sqs.send_message(QueueUrl=url, MessageBody=json.dumps(envelope))
    return {"message_id": answer["MessageId"]}


def send_raw(endpoint, region, url, body, times):
    sqs = boto3.client("sqs", region_name=region, endpoint_url=endpoint)
    if body.startswith("@"):
        with open(body[1:], encoding="utf-8") as file:
            body = file.read()
    for start in range(0, times, 10):
        entries = [{"Id": str(index), "MessageBody": body}
                   for index in range(min(10, times - start))]
        answer = sqs.send_message_batch(QueueUrl=url, Entries=entries)
        if answer.get("Failed"):
            raise SystemExit(f"SendMessageBatch failed: {answer['Failed']}")
    return {"sent": times}


def trail(endpoint, region, logging):
    s3 = boto3.client("s3", region_name=region, endpoint_url=endpoint)
    cloudtrail = boto3.client("cloudtrail", region_name=region, endpoint_url=endpoint)
    bucket = f"nacl-drift-trail-{region}"
    if region == "us-east-1":
        s3.create_bucket(Bucket=bucket)
    else:
        s3.create_bucket(Bucket=bucket,
                         CreateBucketConfiguration={"LocationConstraint": region})
    made = cloudtrail.create_trail(Name=f"management-{region}", S3BucketName=bucket)
    if logging:
        cloudtrail.start_logging(Name=made["TrailARN"])
    return {"trail_arn": made["TrailARN"]}


def topic(endpoint, region):
    sns = boto3.client("sns", region_name=region, endpoint_url=endpoint)
    sqs = boto3.client("sqs", region_name=region, endpoint_url=endpoint)
    topic_arn = sns.create_topic(Name="nacl-drift-alerts")["TopicArn"]
    url = sqs.create_queue(QueueName="nacl-drift-alerts-inbox")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
        "Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=arn)
    return {"topic_arn": topic_arn, "queue_url": url}


def drain(endpoint, region, url):
    sqs = boto3.client("sqs", region_name=region, endpoint_url=endpoint)
    messages = []
    while True:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        batch = got.get("Messages", [])
        if not batch:
            return {"messages": messages}
        for message in batch:
            messages.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


def hub(endpoint, region):
    securityhub = boto3.client("securityhub", region_name=region, endpoint_url=endpoint)
    securityhub.enable_security_hub()
    return {"hub_arn": securityhub.describe_hub()["HubArn"]}


def findings(endpoint, region):
    securityhub = boto3.client("securityhub", region_name=region, endpoint_url=endpoint)
    return {"findings": securityhub.get_findings()["Findings"]}


def whoami(endpoint, region):
    sts = boto3.client("sts", region_name=region, endpoint_url=endpoint)
    return {"arn": sts.get_caller_identity()["Arn"]}


def count(endpoint, region, url):
    sqs = boto3.client("sqs", region_name=region, endpoint_url=endpoint)
    attributes = sqs.get_queue_attributes(
        QueueUrl=url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return {
        "visible": int(attributes["ApproximateNumberOfMessages"]),
        "in_flight": int(attributes["ApproximateNumberOfMessagesNotVisible"]),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--endpoint-url", required=True)
    parser.add_argument("--region", default="us-east-1")
    commands = parser.add_subparsers(dest="command", required=True)
    queue_command = commands.add_parser("queue")
    policies = queue_command.add_mutually_exclusive_group()
    policies.add_argument("--no-policy", dest="policy", action="store_const", const="none")
    policies.add_argument("--open-policy", dest="policy", action="store_const", const="open")
    queue_command.add_argument("--leave-out", metavar="CALL")
    put_command = commands.add_parser("put")
    put_command.add_argument("detail")
    send_command = commands.add_parser("send")
    send_command.add_argument("queue_url")
    send_command.add_argument("detail")
    raw_command = commands.add_parser("send-raw")
    raw_command.add_argument("queue_url")
    raw_command.add_argument("body")
    raw_command.add_argument("--times", type=int, default=1)
    count_command = commands.add_parser("count")
    count_command.add_argument("queue_url")
    commands.add_parser("whoami")
    commands.add_parser("topic")
    commands.add_parser("hub")
    commands.add_parser("findings")
    drain_command = commands.add_parser("drain")
    drain_command.add_argument("queue_url")
    trail_command = commands.add_parser("trail")
    trail_command.add_argument("--not-logging", action="store_true")
    args = parser.parse_args()
    if args.command == "queue":
        result = make_queue(args.endpoint_url, args.region, args.policy or "rule", args.leave_out)
    elif args.command == "put":
        result = put(args.endpoint_url, args.region, args.detail)
    elif args.command == "send":
        result = send(args.endpoint_url, args.region, args.queue_url, args.detail)
    elif args.command == "send-raw":
        result = send_raw(args.endpoint_url, args.region, args.queue_url, args.body, args.times)
    elif args.command == "count":
        result = count(args.endpoint_url, args.region, args.queue_url)
    elif args.command == "hub":
        result = hub(args.endpoint_url, args.region)
    elif args.command == "findings":
        result = findings(args.endpoint_url, args.region)
    elif args.command == "topic":
        result = topic(args.endpoint_url, args.region)
    elif args.command == "drain":
        result = drain(args.endpoint_url, args.region, args.queue_url)
    elif args.command == "trail":
        result = trail(args.endpoint_url, args.region, not args.not_logging)
    else:
        result = whoami(args.endpoint_url, args.region)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
