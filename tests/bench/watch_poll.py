#!/usr/bin/env python3
"""Benchmark: how long `nacl-drift watch --restore` in poll mode takes from
an incident to its verified restore, on the local EC2 emulator.

    tests/bench/watch_poll.py [--interval 5] [--incidents 10]
                              [--binary target/release/nacl-drift] [--max-seconds 7]

It starts moto (installed by tests/emulator/install-moto.sh), seeds the
example estate (examples/estate.py), snapshots it, and starts `watch
--interval INTERVALs --restore --format ndjson`. Then, INCIDENTS times, at
a random moment within an interval, it deletes the db tier's SSH deny
(the drill's first incident) and waits for the line that reports it
restored and verified in sync. It prints the median and worst time from the
deletion to that line, and exits 1 when the worst is over --max-seconds
(the target: the interval plus 2 s). The flapping brake is set above the
number of incidents: here the same NACL breaks on purpose.

Build the binary first: `cargo build --release`.
"""

import argparse
import random
import statistics
import subprocess
import sys
import tempfile
import time

from emulator import (DEFAULT_BINARY, emulator, moto_venv, require_binary, snapshotted_estate,
                      wait_until_restored)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--interval", type=float, default=5)
    parser.add_argument("--incidents", type=int, default=10)
    parser.add_argument("--binary", default=DEFAULT_BINARY)
    parser.add_argument("--max-seconds", type=float)
    args = parser.parse_args()
    target = args.max_seconds if args.max_seconds is not None else args.interval + 2
    require_binary(args.binary)

    venv = moto_venv()
    import boto3  # noqa: E402  (from the emulator's virtualenv)

    with emulator(venv) as endpoint, tempfile.TemporaryDirectory() as work:
        estate, common = snapshotted_estate(venv, endpoint, args.binary, work)
        db = estate["us-east-1"]["network_acls"]["db"]
        ec2 = boto3.client("ec2", region_name="us-east-1", endpoint_url=endpoint)
        watch = subprocess.Popen(
            [args.binary, "watch", "--interval", f"{args.interval}s", "--restore",
             "--flap-limit", str(args.incidents + 1), *common],
            stdout=subprocess.PIPE, text=True)
        try:
            watch.stdout.readline()  # the first reconcile: in sync
            latencies = []
            for _ in range(args.incidents):
                time.sleep(random.uniform(0, args.interval))
                ec2.delete_network_acl_entry(NetworkAclId=db, RuleNumber=80, Egress=False)
                broken = time.perf_counter()
                wait_until_restored(watch, db)
                latencies.append(time.perf_counter() - broken)
        finally:
            watch.kill()
            watch.wait()

    median, worst = statistics.median(latencies), max(latencies)
    print(f"poll mode, --interval {args.interval:g}s: {len(latencies)} incidents restored "
          f"and verified, {median:.2f} s median, {worst:.2f} s worst "
          f"(target: under {target:g} s)")
    sys.exit(0 if worst < target else 1)


if __name__ == "__main__":
    main()
