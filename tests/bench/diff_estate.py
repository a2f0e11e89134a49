#!/usr/bin/env python3
"""Benchmark: an offline `nacl-drift diff` of a large synthetic estate, as a
process, start to finish.

    tests/bench/diff_estate.py [--nacls 5000] [--entries 40] [--drift-percent 0]
                               [--interfaces 0] [--groups 2000]
                               [--runs 5] [--binary target/release/nacl-drift]
                               [--max-seconds 1.0] [--max-mb 300] [--no-jq]

It writes an `aws ec2 describe-network-acls` export of NACLS network ACLs
(ten per VPC, ENTRIES entries each, half ingress and half egress, mixing
tcp, udp, icmp, all and IPv6), has nacl-drift snapshot it into baselines
(one file per VPC), changes DRIFT_PERCENT of the NACLs in the export, and
times `nacl-drift diff --live-file ... --format json` RUNS times. It prints
the median and worst wall time and the peak resident memory of the diff
process, and exits 1 when the worst run misses a target.

With --interfaces N, every NACL's egress also lets replies out to the
internet (AWS's recommended rule 30000: tcp 1024-65535 to 0.0.0.0/0), and
it writes the exports of N network interfaces
(one a subnet, most with a public address), GROUPS security groups (SSH
from anywhere or from an office, HTTPS, a group's own members, ephemeral
ports) and a route table a VPC (half of them to an internet gateway), and
times `diff --assets` with them: the assets behind every effect.

With --terraform, it also writes the estate as a Terraform state (raw
state v4: an `aws_network_acl`, or `aws_default_network_acl`, per NACL with
its inline rules, as the AWS provider writes them) and times
`diff --terraform-state` of the same drift against the YAML diff: it
prints both and their ratio, and exits 1 past --max-ratio.

The diff runs with the cache of parsed baselines in a folder of its own:
RUNS times with --no-cache, once with the cache empty (it fills it), then
RUNS times with it filled, which is the case of a drift run between two
snapshots; the three must print the same bytes. The ratio and the targets
are of the runs with the cache filled; the others are printed beside them.

It also times what people script today, `jq -S` on the export the
baselines were taken from and on the drifted one, then `diff` (jq from
Debian's package), and prints how many times faster nacl-drift's best run
is than that pipeline's best (`--no-jq` skips it).

Build the binary first: `cargo build --release`.
"""

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile

from emulator import run_measured

ACCOUNT = "111122223333"
NACLS_PER_VPC = 10


def entry(number, egress, rng):
    kind = rng.randrange(6)
    item = {"RuleNumber": number, "Egress": egress,
            "RuleAction": "deny" if kind == 0 else "allow"}
    if kind == 5:
        item["Ipv6CidrBlock"] = f"2600:1f18:{rng.randrange(0x10000):x}::/48"
    else:
        item["CidrBlock"] = f"10.{rng.randrange(256)}.{rng.randrange(256)}.0/24"
    if kind in (0, 1, 5):
        port = rng.choice([22, 80, 443, 3306, 5432, 6379, 8080])
        item.update(Protocol="6", PortRange={"From": port, "To": port})
    elif kind == 2:
        item.update(Protocol="17", PortRange={"From": 1024, "To": 65535})
    elif kind == 3:
        item.update(Protocol="1", IcmpTypeCode={"Type": 3, "Code": 4})
    else:
        item["Protocol"] = "-1"
    return item


def estate(nacls, entries, rng, return_traffic=False):
    acls = []
    for n in range(nacls):
        vpc = n // NACLS_PER_VPC
        half = entries // 2
        acl_entries = [entry(100 + 10 * i, False, rng) for i in range(half)]
        acl_entries += [entry(100 + 10 * i, True, rng) for i in range(entries - half)]
        if return_traffic:
            # AWS's recommended rule for replies to clients on the internet.
            acl_entries.append({"RuleNumber": 30000, "Egress": True, "RuleAction": "allow",
                                "Protocol": "6", "PortRange": {"From": 1024, "To": 65535},
                                "CidrBlock": "0.0.0.0/0"})
        acl_entries += [
            {"RuleNumber": 32767, "Egress": egress, "RuleAction": "deny",
             "Protocol": "-1", "CidrBlock": "0.0.0.0/0"}
            for egress in (False, True)
        ]
        acls.append({
            "NetworkAclId": f"acl-{n:017x}",
            "VpcId": f"vpc-{vpc:017x}",
            "OwnerId": ACCOUNT,
            "IsDefault": n % NACLS_PER_VPC == 0,
            "Entries": acl_entries,
            "Associations": [
                {"NetworkAclAssociationId": f"aclassoc-{n:08x}{s}",
                 "NetworkAclId": f"acl-{n:017x}",
                 "SubnetId": f"subnet-{n:015x}{s:02x}"}
                for s in range(2)
            ],
            "Tags": [{"Key": "Name", "Value": f"tier-{n % NACLS_PER_VPC}"},
                     {"Key": "Owner", "Value": "platform-team"}],
        })
    return {"NetworkAcls": acls}


def drift(export, percent, rng):
    acls = export["NetworkAcls"]
    for acl in rng.sample(acls, len(acls) * percent // 100):
        change = rng.randrange(4)
        if change == 0:
            acl["Entries"].pop(rng.randrange(len(acl["Entries"]) - 2))
        elif change == 1:
            victim = rng.choice([e for e in acl["Entries"] if e["RuleNumber"] < 32767])
            victim["RuleAction"] = "allow"
            victim.pop("Ipv6CidrBlock", None)
            victim["CidrBlock"] = "0.0.0.0/0"
        elif change == 2:
            acl["Entries"].append({"RuleNumber": 5, "Egress": False, "RuleAction": "allow",
                                   "Protocol": "-1", "CidrBlock": "0.0.0.0/0"})
        else:
            acl["Tags"].append({"Key": "Changed", "Value": "yes"})


def assets(export, interfaces, groups, rng):
    """The exports of interfaces, security groups and route tables."""
    sources = [
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]},
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
         "IpRanges": [{"CidrIp": "203.0.113.0/24"}]},
        {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
         "IpRanges": [{"CidrIp": "0.0.0.0/0"}]},
        {"IpProtocol": "tcp", "FromPort": 1024, "ToPort": 65535,
         "IpRanges": [{"CidrIp": "0.0.0.0/0"}]},
        {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "198.51.100.0/24"}]},
    ]
    security_groups = []
    for g in range(groups):
        permissions = rng.sample(sources, rng.randrange(1, 4))
        permissions.append({"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": f"sg-{g:017x}"}]})
        security_groups.append({"GroupId": f"sg-{g:017x}", "GroupName": f"group-{g}",
                                "OwnerId": ACCOUNT, "IpPermissions": permissions})
    acls = export["NetworkAcls"]
    subnets = [(acl["VpcId"], association["SubnetId"])
               for acl in acls for association in acl["Associations"]]
    network_interfaces = []
    for i in range(interfaces):
        vpc, subnet = subnets[i % len(subnets)]
        item = {
            "NetworkInterfaceId": f"eni-{i:017x}", "SubnetId": subnet, "VpcId": vpc,
            "OwnerId": ACCOUNT, "InterfaceType": "interface",
            "Attachment": {"InstanceId": f"i-{i:017x}"},
            "PrivateIpAddress": f"10.{i // 65536 % 256}.{i // 256 % 256}.{i % 256}",
            "PrivateIpAddresses": [{"PrivateIpAddress": f"10.{i // 65536 % 256}.{i // 256 % 256}.{i % 256}"}],
            "Groups": [{"GroupId": f"sg-{g:017x}"}
                       for g in rng.sample(range(groups), rng.randrange(1, 3))],
        }
        if rng.random() < 0.7:
            public = {"PublicIp": f"54.{i // 65536 % 256}.{i // 256 % 256}.{i % 256}"}
            item["Association"] = public
            item["PrivateIpAddresses"][0]["Association"] = public
        network_interfaces.append(item)
    vpcs = sorted({acl["VpcId"] for acl in acls})
    route_tables = []
    for v, vpc in enumerate(vpcs):
        routes = [{"DestinationCidrBlock": "10.0.0.0/8", "GatewayId": "local", "State": "active"}]
        gateway = f"igw-{v:017x}" if v % 2 == 0 else f"nat-{v:017x}"
        routes.append({"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": gateway, "State": "active"})
        route_tables.append({"RouteTableId": f"rtb-{v:017x}", "VpcId": vpc, "OwnerId": ACCOUNT,
                             "Associations": [{"Main": True}], "Routes": routes})
    return {"NetworkInterfaces": network_interfaces}, {"SecurityGroups": security_groups}, {
        "RouteTables": route_tables}


def terraform_state(export):
    """The NACLs of `export` as the AWS provider writes them in a raw state."""
    def inline(entries, egress):
        listed = []
        for e in entries:
            if e["Egress"] != egress or e["RuleNumber"] >= 32767:
                continue
            ports = e.get("PortRange") or {}
            icmp = e.get("IcmpTypeCode") or {}
            listed.append({
                "action": e["RuleAction"], "cidr_block": e.get("CidrBlock", ""),
                "from_port": ports.get("From", 0), "icmp_code": icmp.get("Code", 0),
                "icmp_type": icmp.get("Type", 0), "ipv6_cidr_block": e.get("Ipv6CidrBlock", ""),
                "protocol": e["Protocol"], "rule_no": e["RuleNumber"], "to_port": ports.get("To", 0),
            })
        return listed
    provider = 'provider["registry.terraform.io/hashicorp/aws"]'
    resources = []
    for n, acl in enumerate(export["NetworkAcls"]):
        attributes = {
            "arn": f"arn:aws:ec2:us-east-1:{acl['OwnerId']}:network-acl/{acl['NetworkAclId']}",
            "egress": inline(acl["Entries"], True), "id": acl["NetworkAclId"],
            "ingress": inline(acl["Entries"], False), "owner_id": acl["OwnerId"],
            "subnet_ids": [a["SubnetId"] for a in acl["Associations"]],
            "tags": {t["Key"]: t["Value"] for t in acl["Tags"]}, "vpc_id": acl["VpcId"],
        }
        kind = "aws_default_network_acl" if acl["IsDefault"] else "aws_network_acl"
        resources.append({"module": "module.vpc", "mode": "managed", "type": kind,
                          "name": f"acl_{n}", "provider": provider,
                          "instances": [{"schema_version": 0, "attributes": attributes}]})
    return {"version": 4, "terraform_version": "1.5.7", "serial": 1,
            "lineage": "00000000-0000-0000-0000-000000000000", "outputs": {},
            "resources": resources}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nacls", type=int, default=5000)
    parser.add_argument("--entries", type=int, default=40)
    parser.add_argument("--drift-percent", type=int, default=0)
    parser.add_argument("--interfaces", type=int, default=0)
    parser.add_argument("--groups", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--binary", default="target/release/nacl-drift")
    parser.add_argument("--max-seconds", type=float, default=1.0)
    parser.add_argument("--max-mb", type=float, default=300)
    parser.add_argument("--terraform", action="store_true")
    parser.add_argument("--max-ratio", type=float, default=1.5)
    parser.add_argument("--no-jq", action="store_true",
                        help="skip timing jq -S on both exports followed by diff")
    args = parser.parse_args()
    if not os.path.exists(args.binary):
        sys.exit(f"{args.binary} does not exist: run `cargo build --release` first")
    if not args.no_jq and not shutil.which("jq"):
        sys.exit("jq is not installed (Debian's jq package), or pass --no-jq")

    rng = random.Random(42)
    with tempfile.TemporaryDirectory() as work:
        os.environ["NACL_DRIFT_CACHE_DIR"] = os.path.join(work, "cache")
        export = estate(args.nacls, args.entries, rng, return_traffic=args.interfaces > 0)
        live = os.path.join(work, "live.json")
        with open(live, "w") as out:
            json.dump(export, out, indent=4)
        baselines = os.path.join(work, "baselines")
        _, snapshot_seconds, snapshot_mb = run_measured(
            [args.binary, "snapshot", "--baseline-dir", baselines,
             "--live-file", live, "--region", "us-east-1"])
        state = os.path.join(work, "terraform.tfstate")
        if args.terraform:
            with open(state, "w") as out:
                json.dump(terraform_state(export), out, indent=2)
        before = os.path.join(work, "before.json")
        os.rename(live, before)
        drift(export, args.drift_percent, rng)
        with open(live, "w") as out:
            json.dump(export, out, indent=4)

        command = [args.binary, "diff", "--baseline-dir", baselines,
                   "--live-file", live, "--format", "json"]
        exposed = None
        if args.interfaces:
            command.append("--assets")
            for name, content in zip(("interfaces", "groups", "routes"),
                                     assets(export, args.interfaces, args.groups, rng)):
                path = os.path.join(work, f"{name}.json")
                with open(path, "w") as out:
                    json.dump(content, out, indent=4)
                command += ["--live-file", path]
            # Without the cache: the run timed "the cache empty" fills it.
            report = json.loads(subprocess.run(command + ["--no-cache"], capture_output=True,
                                               check=False).stdout)
            exposed = sum(len(effect.get("assets", {}).get("exposed", []))
                          for effect in report["effects"])
        outputs = {}

        def timed(label, extra=()):
            output = os.path.join(work, f"{label}.json")
            measured = run_measured(command + list(extra), stdout=output)
            with open(output, "rb") as printed:
                outputs.setdefault(printed.read(), label)
            return measured

        uncached = [timed("no-cache", ["--no-cache"]) for _ in range(args.runs)]
        filling = timed("cache-empty")
        runs = [timed("cache-filled") for _ in range(args.runs)]
        if len(outputs) != 1:
            sys.exit(f"the diff printed different bytes: {sorted(outputs.values())}")
        # What people script today: both exports sorted by jq, then diff
        # (exit 1, "differences", is its answer, not a failure).
        jq_diff = ["bash", "-c", 'jq -S . "$1" > "$3" && jq -S . "$2" > "$4" && '
                   'diff "$3" "$4" > /dev/null; test $? -le 1', "jq-diff", before, live,
                   os.path.join(work, "before.sorted"), os.path.join(work, "live.sorted")]
        jq_runs = [] if args.no_jq else [run_measured(jq_diff) for _ in range(args.runs)]
        terraform_runs = []
        if args.terraform:
            empty = os.path.join(work, "no-baselines")
            os.makedirs(empty)
            terraform_command = [args.binary, "diff", "--baseline-dir", empty,
                                 "--terraform-state", state, "--live-file", live,
                                 "--format", "json"]
            terraform_runs = [run_measured(terraform_command) for _ in range(args.runs)]
        codes = {code for code, _, _ in runs}
        seconds = [elapsed for _, elapsed, _ in runs]
        peak_mb = max(mb for _, _, mb in runs)
        size_mb = (os.path.getsize(live) + sum(
            os.path.getsize(os.path.join(folder, name))
            for folder, _, names in os.walk(baselines) for name in names)) / 2**20

    print(f"estate: {args.nacls} NACLs x {args.entries} entries, "
          f"{args.drift_percent}% drifted, {size_mb:.0f} MB of baselines and export")
    print(f"snapshot --live-file: {snapshot_seconds:.2f} s, {snapshot_mb:.0f} MB peak")
    if exposed is not None:
        print(f"assets: {args.interfaces} interfaces, {args.groups} security groups; "
              f"{exposed} interfaces newly exposed")
    diff_name = f"diff --live-file{' --assets' if args.interfaces else ''}"
    uncached_seconds = [elapsed for _, elapsed, _ in uncached]
    print(f"{diff_name} --no-cache ({args.runs} runs): best {min(uncached_seconds):.3f} s, "
          f"median {statistics.median(uncached_seconds):.3f} s, "
          f"{max(mb for _, _, mb in uncached):.0f} MB peak")
    print(f"{diff_name}, the cache empty (1 run, filling it): {filling[1]:.3f} s, "
          f"{filling[2]:.0f} MB peak")
    print(f"{diff_name}, the cache filled ({args.runs} runs, exit {sorted(codes)}): "
          f"best {min(seconds):.3f} s, median {statistics.median(seconds):.3f} s, "
          f"worst {max(seconds):.3f} s, {peak_mb:.0f} MB peak; the same bytes all three ways")
    if jq_runs:
        best_jq = min(elapsed for _, elapsed, _ in jq_runs)
        print(f"jq -S on both exports, then diff ({args.runs} runs): best {best_jq:.3f} s; "
              f"diff's best {min(seconds):.3f} s: {best_jq / min(seconds):.1f}x faster "
              f"({best_jq / min(uncached_seconds):.1f}x with --no-cache)")
    if terraform_runs:
        terraform_seconds = [elapsed for _, elapsed, _ in terraform_runs]
        ratio = statistics.median(terraform_seconds) / statistics.median(seconds)
        print(f"diff --terraform-state ({args.runs} runs, exit "
              f"{sorted({code for code, _, _ in terraform_runs})}): median "
              f"{statistics.median(terraform_seconds):.3f} s, worst {max(terraform_seconds):.3f} s, "
              f"{max(mb for _, _, mb in terraform_runs):.0f} MB peak; "
              f"{ratio:.2f}x the YAML diff")
        if ratio > args.max_ratio:
            sys.exit(f"diff --terraform-state is {ratio:.2f}x the YAML diff, past {args.max_ratio}x")
    expected_code = 2 if args.drift_percent else 0
    if codes != {expected_code}:
        sys.exit(f"diff exited {sorted(codes)}, expected {expected_code}")
    if max(seconds) > args.max_seconds or peak_mb > args.max_mb:
        sys.exit(f"missed the target: {args.max_seconds} s and {args.max_mb} MB")


if __name__ == "__main__":
    main()
