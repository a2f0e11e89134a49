#!/usr/bin/env python3
"""Benchmark: `nacl-drift timeline` over a week of one account-region, as a
process, start to finish.

    tests/bench/timeline.py [--nacls 50] [--pairs 5000] [--other-records 990000]
                            [--flow-records 10000000] [--runs 3]
                            [--binary target/release/nacl-drift]
                            [--max-seconds 10] [--max-mb 400]

It starts moto (tests/emulator/install-moto.sh), makes NACLS network ACLs,
each over a subnet of its own with one network interface (an SSH deny, rule
80, before an allow of everything, and eight more entries), and has
nacl-drift snapshot them into baselines. Then it writes, as a trail and a
flow log deliver them to S3:

- CloudTrail log files for the last 7 days (one gzipped file each 5
  minutes): PAIRS deletions of an SSH deny, each made again 5 minutes later
  (2 x PAIRS NACL calls, each pair a window that opened and closed), among
  OTHER_RECORDS records of other calls;
- VPC Flow Logs of the last day, default format, one file each 5 minutes:
  FLOW_RECORDS records on the interfaces (HTTPS, SSH, REJECTs).

and times `timeline --cloudtrail-logs ... --flow-logs ... --since 7d
--format json` RUNS times. It prints the median and worst wall time and the
peak resident memory, checks that every window was found and that the
replay ends in the live state, and exits 1 past a target.

Build the binary first: `cargo build --release`.
"""

import argparse
import gzip
import json
import multiprocessing
import os
import random
import statistics
import sys
import tempfile
import time

from emulator import DEFAULT_BINARY, emulator, moto_venv, require_binary, run_measured

ACCOUNT = "123456789012"
REGION = "us-east-1"
FIVE_MINUTES = 300
WEEK = 7 * 86_400
MALLORY = f"arn:aws:iam::{ACCOUNT}:user/mallory"
GUARD = f"arn:aws:sts::{ACCOUNT}:assumed-role/nacl-drift-guard/guard"
OTHER_CALLS = [("s3.amazonaws.com", "GetObject"), ("sts.amazonaws.com", "AssumeRole"),
               ("ec2.amazonaws.com", "DescribeInstances"), ("kms.amazonaws.com", "Decrypt"),
               ("ec2.amazonaws.com", "RunInstances"), ("iam.amazonaws.com", "GetRole")]


def seed(endpoint, nacls):
    """The NACLs, each over a subnet of its own with an interface: returns
    [(acl id, interface id, its address)]."""
    import boto3
    ec2 = boto3.client("ec2", region_name=REGION, endpoint_url=endpoint)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    made = []
    for n in range(nacls):
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{n}.0/24")["Subnet"]["SubnetId"]
        acl = ec2.create_network_acl(VpcId=vpc)["NetworkAcl"]["NetworkAclId"]
        entries = [(80, "deny", "6", 22, False), (100, "allow", "-1", None, False),
                   (100, "allow", "-1", None, True)]
        entries += [(110 + 10 * i, "allow", "6", 8000 + i, False) for i in range(7)]
        for number, action, protocol, port, egress in entries:
            entry = {"NetworkAclId": acl, "RuleNumber": number, "RuleAction": action,
                     "Protocol": protocol, "Egress": egress, "CidrBlock": "0.0.0.0/0"}
            if port:
                entry["PortRange"] = {"From": port, "To": port}
            ec2.create_network_acl_entry(**entry)
        association = ec2.describe_network_acls(
            Filters=[{"Name": "association.subnet-id", "Values": [subnet]}]
        )["NetworkAcls"][0]["Associations"]
        for held in association:
            if held["SubnetId"] == subnet:
                ec2.replace_network_acl_association(
                    AssociationId=held["NetworkAclAssociationId"], NetworkAclId=acl)
        interface = ec2.create_network_interface(SubnetId=subnet)["NetworkInterface"]
        made.append((acl, interface["NetworkInterfaceId"], interface["PrivateIpAddress"]))
    return made


def record(name, source, at, principal, request, rng):
    return {
        "eventVersion": "1.09", "eventSource": source, "eventName": name,
        "eventTime": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(at)),
        "eventID": f"{rng.getrandbits(64):016x}-{at}", "awsRegion": REGION,
        "recipientAccountId": ACCOUNT, "sourceIPAddress": "198.51.100.7",
        "userAgent": "aws-cli/2.17.0", "userIdentity": {"type": "IAMUser", "arn": principal},
        "requestParameters": request, "responseElements": {"_return": True},
    }


def write_trail(folder, acls, pairs, others, now, rng):
    """CloudTrail files of the week: returns how many records."""
    start = now - WEEK
    by_file = {}
    deny = {"ruleAction": "deny", "aclProtocol": "6", "cidrBlock": "0.0.0.0/0",
            "portRange": {"from": 22, "to": 22}}
    step = (WEEK - 3_600) // pairs
    for i in range(pairs):
        acl = acls[i % len(acls)][0]
        at = start + 60 + i * step
        key = {"networkAclId": acl, "ruleNumber": 80, "egress": False}
        calls = [("DeleteNetworkAclEntry", at, MALLORY, key),
                 ("CreateNetworkAclEntry", at + FIVE_MINUTES, GUARD, dict(key, **deny))]
        for name, when, who, request in calls:
            by_file.setdefault(when // FIVE_MINUTES, []).append(
                record(name, "ec2.amazonaws.com", when, who, request, rng))
    for _ in range(others):
        when = start + rng.randrange(WEEK)
        source, name = rng.choice(OTHER_CALLS)
        request = {"bucketName": "logs", "key": f"k/{rng.getrandbits(32):x}"}
        by_file.setdefault(when // FIVE_MINUTES, []).append(
            record(name, source, when, MALLORY, request, rng))
    for period, records in by_file.items():
        stamp = time.gmtime(period * FIVE_MINUTES)
        day = os.path.join(folder, "AWSLogs", ACCOUNT, "CloudTrail", REGION,
                           time.strftime("%Y/%m/%d", stamp))
        os.makedirs(day, exist_ok=True)
        name = f"{ACCOUNT}_CloudTrail_{REGION}_{time.strftime('%Y%m%dT%H%MZ', stamp)}_{period:x}.json.gz"
        with gzip.open(os.path.join(day, name), "wt", compresslevel=1) as file:
            json.dump({"Records": records}, file)
    return sum(len(records) for records in by_file.values())


def write_flows(folder, acls, count, now, rng):
    """The day's flow log files, default format: HTTPS mostly, SSH, REJECTs."""
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../emulator"))
    from flowlogs import DEFAULT, path_of
    periods = 86_400 // FIVE_MINUTES
    per_file = count // periods
    sources = [f"{rng.randrange(1, 224)}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(256)}"
               for _ in range(5_000)]
    start = now - 86_400
    for period in range(periods):
        at = (start // FIVE_MINUTES + period) * FIVE_MINUTES
        day, path = path_of(folder, ACCOUNT, REGION, "fl-0bench", at)
        os.makedirs(day, exist_ok=True)
        lines = [DEFAULT]
        for _ in range(per_file):
            _, eni, address = acls[rng.randrange(len(acls))]
            roll = rng.randrange(100)
            port, action = (22, "ACCEPT") if roll < 2 else (443, "REJECT" if roll < 5 else "ACCEPT")
            t = at + rng.randrange(FIVE_MINUTES)
            lines.append(f"2 {ACCOUNT} {eni} {sources[rng.randrange(5_000)]} {address} "
                         f"{rng.randrange(1024, 65536)} {port} 6 {rng.randrange(1, 50)} "
                         f"{rng.randrange(60, 90_000)} {t} {t + 20} {action} OK")
        with gzip.open(path, "wt", compresslevel=1) as file:
            file.write("\n".join(lines) + "\n")
    return per_file * periods


def write_logs(trail, flows, acls, args, now):
    rng = random.Random(33)
    began = time.perf_counter()
    records = write_trail(trail, acls, args.pairs, args.other_records, now, rng)
    flow_records = write_flows(flows, acls, args.flow_records, now, rng)
    print(f"wrote {records} CloudTrail records ({2 * args.pairs} NACL calls) and "
          f"{flow_records} flow records in {time.perf_counter() - began:.0f} s", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nacls", type=int, default=50)
    parser.add_argument("--pairs", type=int, default=5_000)
    parser.add_argument("--other-records", type=int, default=990_000)
    parser.add_argument("--flow-records", type=int, default=10_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--binary", default=DEFAULT_BINARY)
    parser.add_argument("--max-seconds", type=float, default=10.0)
    parser.add_argument("--max-mb", type=float, default=400.0)
    args = parser.parse_args()
    require_binary(args.binary)
    venv = moto_venv()
    with emulator(venv) as endpoint, tempfile.TemporaryDirectory() as work:
        acls = seed(endpoint, args.nacls)
        baselines = os.path.join(work, "baselines")
        common = ["--baseline-dir", baselines, "--endpoint-url", endpoint]
        run_measured([args.binary, "snapshot", "--region", REGION] + common)
        now = int(time.time())
        trail, flows = os.path.join(work, "trail"), os.path.join(work, "flows")
        # Written by a process of its own: the records it holds would
        # otherwise be the resident memory of every process forked from
        # this one (a peak measured of nacl-drift before its exec).
        writer = multiprocessing.get_context("fork").Process(
            target=write_logs, args=(trail, flows, acls, args, now))
        writer.start()
        writer.join()
        if writer.exitcode != 0:
            sys.exit("writing the logs failed")
        out = os.path.join(work, "timeline.json")
        command = [args.binary, "timeline", "--cloudtrail-logs", trail, "--flow-logs", flows,
                   "--since", "7d", "--format", "json"] + common
        runs = [run_measured(command, stdout=out) for _ in range(args.runs)]
        report = json.load(open(out, encoding="utf-8"))
    windows = report["windows"]
    counted = sum(window.get("flows", {}).get("records", 0) for window in windows)
    seconds = [elapsed for _, elapsed, _ in runs]
    peak = max(mb for _, _, mb in runs)
    print(f"timeline: {len(windows)} windows, {counted} flow records in them; "
          f"median {statistics.median(seconds):.2f} s, worst {max(seconds):.2f} s, "
          f"{peak:.0f} MB peak ({args.runs} runs)")
    if len(windows) != args.pairs or report["not_the_live_state"] or report["not_replayed"]:
        sys.exit(f"expected {args.pairs} windows ending in the live state: "
                 f"{len(windows)}, {report['not_the_live_state'][:3]}, {report['not_replayed'][:3]}")
    if max(seconds) > args.max_seconds or peak > args.max_mb:
        sys.exit(f"missed the target: {args.max_seconds} s and {args.max_mb} MB")


if __name__ == "__main__":
    main()
