#!/usr/bin/env python3
"""Benchmark: restoring 400 deleted entries spread over 20 NACLs, with
`nacl-drift apply` and with the AWS docs' runbook way, a shell loop of
`aws ec2 create-network-acl-entry`, against the same local EC2 emulator.

    tests/bench/apply_restore.py [--nacls 20] [--entries 20]
                                 [--binary target/release/nacl-drift] [--min-speedup 10]

It starts moto (installed by tests/emulator/install-moto.sh, with the AWS
CLI added to the same virtualenv), creates the NACLs, snapshots them,
deletes every entry, and times `nacl-drift apply --yes` start to finish
(plan, calls, verification). Then it deletes the entries again and times
the loop, one `aws` process per entry, as a runbook script would. It prints
both, and exits 1 when nacl-drift is less than --min-speedup times faster
or either restore is incomplete.

nacl-drift runs with `--call-rate 1000`: the emulator has no token bucket,
and the benchmark measures the tool, not EC2's limit. On AWS, apply's
default pace (4 calls a second in each account and region, after a burst
of 20) keeps inside EC2's bucket, so 400 calls in one region take about
95 s there; the loop, at about one call a second, is slower still.

Build the binary first: `cargo build --release`.
"""

import argparse
import os
import shlex
import subprocess
import sys
import tempfile
import time

from emulator import DEFAULT_BINARY, emulator, moto_venv, require_binary

REGION = "us-east-1"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nacls", type=int, default=20)
    parser.add_argument("--entries", type=int, default=20)
    parser.add_argument("--binary", default=DEFAULT_BINARY)
    parser.add_argument("--min-speedup", type=float, default=10)
    args = parser.parse_args()
    require_binary(args.binary)

    venv = moto_venv()
    aws = os.path.join(venv, "bin/aws")
    if not os.path.exists(aws):
        subprocess.run([os.path.join(venv, "bin/python"), "-m", "pip", "install", "--quiet",
                        "--disable-pip-version-check", "awscli"], check=True)
    import boto3  # noqa: E402  (from the emulator's virtualenv)

    with emulator(venv) as endpoint:
        ec2 = boto3.client("ec2", region_name=REGION, endpoint_url=endpoint)
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        entries = {}
        for n in range(args.nacls):
            acl = ec2.create_network_acl(VpcId=vpc)["NetworkAcl"]["NetworkAclId"]
            entries[acl] = [
                dict(NetworkAclId=acl, RuleNumber=10 * (i + 1), Egress=i % 2 == 1,
                     Protocol="6", RuleAction="deny" if i % 5 == 0 else "allow",
                     CidrBlock=f"10.{n}.{i}.0/24", PortRange={"From": 443, "To": 443})
                for i in range(args.entries)
            ]
            for entry in entries[acl]:
                ec2.create_network_acl_entry(**entry)
        total = sum(len(e) for e in entries.values())

        def delete_all():
            for acl_entries in entries.values():
                for e in acl_entries:
                    ec2.delete_network_acl_entry(NetworkAclId=e["NetworkAclId"],
                                                 RuleNumber=e["RuleNumber"], Egress=e["Egress"])

        def restored():
            acls = ec2.describe_network_acls(NetworkAclIds=list(entries))["NetworkAcls"]
            return sum(1 for acl in acls for e in acl["Entries"] if e["RuleNumber"] < 32767)

        with tempfile.TemporaryDirectory() as work:
            baselines = os.path.join(work, "baselines")
            common = ["--baseline-dir", baselines, "--endpoint-url", endpoint]
            subprocess.run([args.binary, "snapshot", "--region", REGION, *common],
                           check=True, stdout=subprocess.DEVNULL)
            delete_all()
            start = time.perf_counter()
            subprocess.run([args.binary, "apply", "--yes", "--call-rate", "1000", *common], check=True, stdout=subprocess.DEVNULL)
            tool_seconds = time.perf_counter() - start
            tool_restored = restored()

        delete_all()
        script = "\n".join(
            f"{shlex.quote(aws)} ec2 create-network-acl-entry --endpoint-url {endpoint} "
            f"--network-acl-id {e['NetworkAclId']} --rule-number {e['RuleNumber']} "
            f"{'--egress' if e['Egress'] else '--ingress'} --protocol 6 "
            f"--rule-action {e['RuleAction']} --cidr-block {e['CidrBlock']} --port-range From=443,To=443"
            for acl_entries in entries.values() for e in acl_entries
        )
        start = time.perf_counter()
        subprocess.run(["bash", "-e", "-c", script], check=True, stdout=subprocess.DEVNULL)
        loop_seconds = time.perf_counter() - start
        loop_restored = restored()

    speedup = loop_seconds / tool_seconds
    print(f"restore {total} entries over {args.nacls} NACLs on the local emulator:")
    print(f"  nacl-drift apply --yes --call-rate 1000 (plan, calls, verify): {tool_seconds:.2f} s ({tool_restored} restored)")
    print(f"  shell loop of aws ec2 create-network-acl-entry: {loop_seconds:.2f} s ({loop_restored} restored)")
    print(f"  speed-up: {speedup:.1f}x")
    if tool_restored != total or loop_restored != total:
        sys.exit("a restore was incomplete")
    if speedup < args.min_speedup:
        sys.exit(f"missed the target: at least {args.min_speedup}x")


if __name__ == "__main__":
    main()
