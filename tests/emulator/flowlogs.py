#!/usr/bin/env python3
"""VPC Flow Logs files as a flow log delivers them to S3, for tests and the
bench (moto writes none: ../shared notes, "VPC Flow Logs").

    flowlogs.py write DIR RECORDS.json

RECORDS.json is {"account", "region", "flow_log_id", "format" (the header
line: field names in the flow log's order; the default version 2 format
when absent), "records": [LINE, ...]}. Each record goes to the file of the
5-minute period its `end` falls in, as S3 has it:

    DIR/AWSLogs/<account>/vpcflowlogs/<region>/<yyyy>/<mm>/<dd>/
        <account>_vpcflowlogs_<region>_<flow_log_id>_<YYYYMMDDTHHmmZ>_<hash>.log.gz

each file one gzip member, its first line the header. A line whose `end`
is not a number (a malformed one) goes to the first file. It prints the
paths written, as JSON.
"""

import argparse
import gzip
import hashlib
import json
import os
import time

DEFAULT = ("version account-id interface-id srcaddr dstaddr srcport dstport "
           "protocol packets bytes start end action log-status")


def path_of(folder, account, region, flow_log_id, period):
    stamp = time.gmtime(period)
    day = os.path.join(folder, "AWSLogs", account, "vpcflowlogs", region,
                       time.strftime("%Y/%m/%d", stamp))
    digest = hashlib.sha256(f"{flow_log_id}{period}".encode()).hexdigest()[:8]
    name = (f"{account}_vpcflowlogs_{region}_{flow_log_id}_"
            f"{time.strftime('%Y%m%dT%H%MZ', stamp)}_{digest}.log.gz")
    return day, os.path.join(day, name)


def write(folder, account, region, flow_log_id, records, header=DEFAULT):
    """Writes `records` (lines of `header`'s format); returns the paths."""
    end = header.split(" ").index("end")
    periods = {}
    first = None
    for line in records:
        fields = line.split(" ")
        try:
            period = int(fields[end]) // 300 * 300
        except (IndexError, ValueError):
            period = first
        if first is None:
            first = period
        periods.setdefault(period, []).append(line)
    paths = []
    for period, lines in sorted(periods.items(), key=lambda item: item[0] or 0):
        day, path = path_of(folder, account, region, flow_log_id, period or 0)
        os.makedirs(day, exist_ok=True)
        with gzip.open(path, "wt", encoding="utf-8", newline="\n") as file:
            file.write(header + "\n")
            for line in lines:
                file.write(line + "\n")
        paths.append(path)
    return paths


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    command = commands.add_parser("write")
    command.add_argument("folder")
    command.add_argument("records")
    args = parser.parse_args()
    with open(args.records, encoding="utf-8") as file:
        spec = json.load(file)
    paths = write(args.folder, spec["account"], spec["region"], spec["flow_log_id"],
                  spec["records"], spec.get("format", DEFAULT))
    print(json.dumps({"paths": paths}))


if __name__ == "__main__":
    main()
