#!/usr/bin/env python3
"""Benchmark: `nacl-drift snapshot` of an organization, concurrently and
one call at a time, behind a proxy that adds AWS's round trip.

    tests/bench/org_snapshot.py [--members 40] [--regions 4] [--delay-ms 100]
                                [--concurrency 16] [--binary target/release/nacl-drift]
                                [--min-speedup 10]

It starts moto (installed by tests/emulator/install-moto.sh), creates an
organization of MEMBERS accounts with a VPC and a NACL in each of REGIONS
regions (tests/emulator/organization.py), and puts tests/emulator/proxy.py
in front of it, which holds every request DELAY_MS before answering. Then
it snapshots every account-region through a role assumed in each account
(`--accounts`), with `--concurrency CONCURRENCY` and with `--concurrency 1`,
in the same run, and prints both wall times, the ratio, and the API calls
each made, counted by the proxy. The least possible is one AssumeRole per
account and one DescribeNetworkAcls page per account-region. It exits 1
when the ratio is below --min-speedup, or when either snapshot is
incomplete.

Build the binary first: `cargo build --release`.
"""

import argparse
import collections
import json
import os
import subprocess
import sys
import tempfile
import time

from emulator import DEFAULT_BINARY, ENV, ROOT, emulator, moto_venv, require_binary

REGIONS = ["us-east-1", "eu-west-1", "eu-central-1", "ap-southeast-2", "us-west-2",
           "ca-central-1", "sa-east-1", "ap-northeast-1"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=40)
    parser.add_argument("--regions", type=int, default=4, choices=range(1, len(REGIONS) + 1))
    parser.add_argument("--delay-ms", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--binary", default=DEFAULT_BINARY)
    parser.add_argument("--min-speedup", type=float, default=10)
    args = parser.parse_args()
    require_binary(args.binary)
    regions = REGIONS[:args.regions]

    venv = moto_venv()
    python = os.path.join(venv, "bin/python")
    with emulator(venv) as endpoint:
        seeded = time.perf_counter()
        org = json.loads(subprocess.run(
            [python, os.path.join(ROOT, "tests/emulator/organization.py"), "--endpoint-url",
             endpoint, "seed", "--members", str(args.members), "--regions", ",".join(regions)],
            check=True, capture_output=True, text=True, env=ENV).stdout)
        print(f"seeded {args.members} accounts x {len(regions)} regions "
              f"in {time.perf_counter() - seeded:.1f} s")

        with tempfile.TemporaryDirectory() as work:
            counted = os.path.join(work, "calls.txt")
            proxy = subprocess.Popen(
                [python, os.path.join(ROOT, "tests/emulator/proxy.py"), "--upstream", endpoint,
                 "--delay-ms", str(args.delay_ms), "--count", counted],
                stdout=subprocess.PIPE, text=True)
            try:
                proxied = f"http://127.0.0.1:{proxy.stdout.readline().strip()}"
                accounts = os.path.join(work, "accounts.yaml")
                with open(accounts, "w") as file:
                    file.write("defaults:\n  role: arn:aws:iam::{account_id}:role/NaclDriftReadOnly\n")
                    file.write(f"  regions: [{', '.join(regions)}]\naccounts:\n")
                    for member in org["members"]:
                        file.write(f"  - account_id: \"{member['id']}\"\n    name: {member['name']}\n")

                def snapshot(concurrency):
                    open(counted, "w").close()
                    baselines = os.path.join(work, f"baselines-{concurrency}")
                    start = time.perf_counter()
                    subprocess.run([args.binary, "snapshot", "--accounts", accounts,
                                    "--concurrency", str(concurrency), "--quiet",
                                    "--endpoint-url", proxied, "--baseline-dir", baselines],
                                   check=True, stdout=subprocess.DEVNULL, env=ENV)
                    seconds = time.perf_counter() - start
                    with open(counted) as calls:
                        counts = collections.Counter(line.strip() for line in calls)
                    files = sum(len(names) for _, _, names in os.walk(baselines))
                    return seconds, counts, files

                results = {c: snapshot(c) for c in (args.concurrency, 1)}
            finally:
                proxy.kill()
                proxy.wait()

        expected_files = args.members * len(regions) * 2  # each account's VPC and default VPC
        least = args.members + args.members * len(regions)
        failed = False
        for concurrency, (seconds, counts, files) in results.items():
            calls = ", ".join(f"{n} {call.split()[1]}" for call, n in sorted(counts.items()))
            print(f"--concurrency {concurrency:>2}: {seconds:.2f} s, {sum(counts.values())} calls "
                  f"({calls}; the least possible is {least}), {files} baseline files")
            if files != expected_files:
                print(f"  incomplete: expected {expected_files} baseline files")
                failed = True
        fast, slow = results[args.concurrency][0], results[1][0]
        ratio = slow / fast
        print(f"speedup: {ratio:.1f}x ({args.members} accounts x {len(regions)} regions, "
              f"{args.delay_ms} ms per request)")
        if ratio < args.min_speedup:
            print(f"below the target of {args.min_speedup}x")
            failed = True
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
