#!/usr/bin/env python3
"""Benchmark: the guard's event path on the local emulator, and the Lambda
function's cold start.

    tests/bench/watch_events.py [--incidents 20] [--debounce 1]
                                [--binary target/release/nacl-drift] [--max-seconds 3]

Event mode: it starts moto (installed by tests/emulator/install-moto.sh),
seeds the example estate (examples/estate.py), snapshots it, makes the
guard's queue and EventBridge rule (tests/emulator/events.py), and starts
`watch --sqs-queue-url ... --restore --debounce DEBOUNCEs`. Then,
INCIDENTS times, it deletes the db tier's SSH deny (the drill's first
incident), puts the CloudTrail event of that call (PutEvents), and waits
for the line that reports it restored and verified in sync. It prints the
median and worst time from PutEvents to that line, and exits 1 when the
worst is over --max-seconds.

Cold start: it starts the binary as Lambda starts `bootstrap` (no
arguments, the function's environment) against a loopback Runtime API
(tests/emulator/lambda_runtime_api.py), five times, and prints the median
time from the process's start to its first request for an event; that
includes asking STS (here, the emulator) who the function is.

Build the binary first: `cargo build --release`.
"""

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time

from emulator import (DEFAULT_BINARY, ENV, ROOT, emulator, moto_venv, require_binary,
                      snapshotted_estate, wait_until_restored)

sys.path.insert(0, os.path.join(ROOT, "tests/emulator"))


def cloudtrail_call(db, event_id):
    return json.dumps({
        "eventVersion": "1.09", "eventSource": "ec2.amazonaws.com",
        "eventName": "DeleteNetworkAclEntry",
        "eventTime": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "eventID": event_id, "awsRegion": "us-east-1", "recipientAccountId": "123456789012",
        "sourceIPAddress": "198.51.100.7",
        "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::123456789012:user/mallory"},
        "requestParameters": {"networkAclId": db, "ruleNumber": 80, "egress": False},
        "responseElements": {"_return": True},
    })


def event_mode(args, venv, endpoint):
    import boto3  # noqa: E402  (from the emulator's virtualenv)
    import events  # noqa: E402  (tests/emulator/events.py)

    latencies = []
    with tempfile.TemporaryDirectory() as work:
        estate, common = snapshotted_estate(venv, endpoint, args.binary, work)
        db = estate["us-east-1"]["network_acls"]["db"]
        ec2 = boto3.client("ec2", region_name="us-east-1", endpoint_url=endpoint)
        queue = events.make_queue(endpoint, "us-east-1")["queue_url"]
        watch = subprocess.Popen(
            [args.binary, "watch", "--sqs-queue-url", queue, "--restore",
             "--debounce", f"{args.debounce}s", "--flap-limit", str(args.incidents + 1),
             *common],
            stdout=subprocess.PIPE, text=True, env=dict(ENV, AWS_REGION="us-east-1"))
        try:
            watch.stdout.readline()  # the sweep on start: in sync
            for incident in range(args.incidents):
                time.sleep(random.uniform(0, 1))
                ec2.delete_network_acl_entry(NetworkAclId=db, RuleNumber=80, Egress=False)
                put = time.perf_counter()
                events.put(endpoint, "us-east-1", cloudtrail_call(db, f"bench-{incident}"))
                wait_until_restored(watch, db, trigger="event")
                latencies.append(time.perf_counter() - put)
        finally:
            watch.kill()
            watch.wait()
    return latencies


def cold_starts(args, venv, endpoint, runs=5):
    starts = []
    with tempfile.TemporaryDirectory() as work:
        events_file = os.path.join(work, "events.json")
        with open(events_file, "w") as file:
            file.write("[]")
        os.makedirs(os.path.join(work, "baselines"))
        for _ in range(runs):
            api = subprocess.Popen(
                [os.path.join(venv, "bin/python"),
                 os.path.join(ROOT, "tests/emulator/lambda_runtime_api.py"), events_file],
                stdout=subprocess.PIPE, text=True)
            port = api.stdout.readline().strip()
            environment = dict(
                ENV, AWS_LAMBDA_RUNTIME_API=f"127.0.0.1:{port}",
                AWS_LAMBDA_FUNCTION_NAME="nacl-drift-guard",
                AWS_LAMBDA_FUNCTION_MEMORY_SIZE="256", AWS_LAMBDA_FUNCTION_VERSION="$LATEST",
                LAMBDA_TASK_ROOT=work, AWS_REGION="us-east-1", AWS_ENDPOINT_URL=endpoint)
            started = time.time()
            function = subprocess.Popen([args.binary], env=environment, cwd=work,
                                        stdout=subprocess.DEVNULL)
            try:
                report = json.loads(api.stdout.readline())
                starts.append(report["at"] - started)
            finally:
                function.kill()
                function.wait()
                api.kill()
                api.wait()
    return starts


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=20)
    parser.add_argument("--debounce", type=float, default=1)
    parser.add_argument("--binary", default=DEFAULT_BINARY)
    parser.add_argument("--max-seconds", type=float, default=3)
    args = parser.parse_args()
    require_binary(args.binary)

    venv = moto_venv()
    with emulator(venv) as endpoint:
        latencies = event_mode(args, venv, endpoint)
        starts = cold_starts(args, venv, endpoint)

    median, worst = statistics.median(latencies), max(latencies)
    print(f"event mode, --debounce {args.debounce:g}s: {len(latencies)} incidents restored "
          f"and verified, {median:.2f} s median, {worst:.2f} s worst from PutEvents "
          f"(target: under {args.max_seconds:g} s)")
    print(f"lambda cold start: {statistics.median(starts) * 1000:.0f} ms median from the "
          f"process's start to its first request for an event ({len(starts)} starts)")
    sys.exit(0 if worst < args.max_seconds else 1)


if __name__ == "__main__":
    main()
