#!/usr/bin/env python3
"""A loopback proxy in front of the emulator, for what the emulator cannot do.

    proxy.py --upstream http://127.0.0.1:PORT [--delay-ms 100]
             [--deny-region REGION] [--deny-action ACTION] [--deny-assume-role ACCOUNT]
             [--count FILE] [--keys FILE]
             [--dry-run permit|refuse] [--lookup-events empty] [--no-vpcs-in REGION]
             [--hub-off-in REGION] [--hub-updates FILE] [--hub-fail-imports COUNT]
             [--backend-in BUCKET=REGION]

It prints the port it listens on, then forwards every request to the
upstream, unchanged, except that:

- with --delay-ms, every answer waits that long first (AWS's round trip);
- with --deny-region, EC2 calls signed for that region get EC2's own
  `UnauthorizedOperation` error (HTTP 403), as an account whose role lacks
  permission there, or a region that is not enabled, would;
- with --deny-action, EC2 calls of that action (`DescribeSecurityGroups`)
  get the same error, as a role whose policy lacks that one action would;
- with --deny-assume-role, STS AssumeRole into a role of that account gets
  STS's `AccessDenied` (HTTP 403), as a missing trust policy would;
- with --dry-run, EC2 calls sent with DryRun=true are answered as AWS
  answers them (the emulator ignores DryRun and would make the call):
  `permit` gives `DryRunOperation` (HTTP 412), `refuse` gives
  `UnauthorizedOperation` (HTTP 403); neither reaches the emulator;
- with --lookup-events empty, CloudTrail LookupEvents (which the emulator
  does not implement) answers AWS's JSON for no event;
- with --no-vpcs-in, EC2 DescribeNetworkAcls and DescribeSubnets signed
  for that region answer AWS's XML for none, as a region whose default VPC
  was deleted would (the emulator makes a default VPC in every region, and
  keeps its default NACL when the VPC is deleted);
- with --hub-off-in, Security Hub calls signed for that region get Security
  Hub's `InvalidAccessException` (HTTP 401), as a region where it is not
  enabled would (the emulator takes findings in every region);
- with --hub-updates, Security Hub's BatchUpdateFindings (which the
  emulator does not implement) is answered as AWS answers it, every
  finding processed, and each request's body is appended to FILE, a line
  each;
- with --hub-fail-imports, the first COUNT BatchImportFindings calls get
  Security Hub's `InternalException` (HTTP 500), a passing fault that the
  SDK retries too;
- with --backend-in, a Terraform S3 backend lives in REGION: S3 calls on
  BUCKET signed for another region get S3's 301 `PermanentRedirect`,
  naming the bucket's region in `x-amz-bucket-region`, and DynamoDB calls
  signed for another region get `ResourceNotFoundException` (the lock
  table is not there), as AWS answers them (the emulator has no regions
  for S3);
- with --count, each request's service and action is appended to FILE, one
  line each (`sts AssumeRole`), to count the API calls a run makes;
- with --keys, each request's service and the access key id that signed it
  are appended to FILE (`ec2 AKIDPROFILE`): whose credentials a run used.

The service and region come from the request's SigV4 credential scope, the
action from its form body (EC2 and STS both speak AWS's query protocol) or
from its X-Amz-Target header (CloudTrail speaks AWS's JSON protocol).
"""

import argparse
import http.client
import json
import re
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SCOPE = re.compile(r"Credential=([^/]+)/\d+/([^/]+)/([^/]+)/aws4_request")

EC2_DENIED = """<?xml version="1.0" encoding="UTF-8"?>
<Response><Errors><Error><Code>UnauthorizedOperation</Code><Message>You are not authorized to perform this operation.</Message></Error></Errors><RequestID>7a62c49f-347e-4fc4-9331-6e8eEXAMPLE</RequestID></Response>"""

STS_DENIED = """<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <Error><Type>Sender</Type><Code>AccessDenied</Code><Message>User: arn:aws:iam::123456789012:user/ci is not authorized to perform: sts:AssumeRole on resource: {role}</Message></Error>
  <RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId>
</ErrorResponse>"""


EC2_DRY_RUN_PERMITTED = """<?xml version="1.0" encoding="UTF-8"?>
<Response><Errors><Error><Code>DryRunOperation</Code><Message>Request would have succeeded, but DryRun flag is set.</Message></Error></Errors><RequestID>5b4d1d0e-9d7c-4a47-9c0a-2f7aEXAMPLE</RequestID></Response>"""

NO_EVENTS = b'{"Events": []}'

S3_REDIRECT = """<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>PermanentRedirect</Code><Message>The bucket you are attempting to access must be addressed using the specified endpoint. Please send all future requests to this endpoint.</Message><Endpoint>{bucket}.s3.amazonaws.com</Endpoint><Bucket>{bucket}</Bucket><RequestId>4442587FB7D0A2F9</RequestId><HostId>Uuag1LuByRx9e6j5Onimru9pO4ZVKnJ2Qz7/C1NPcfTWAtRPfTaOFg==</HostId></Error>"""

NO_TABLE = b'{"__type": "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException", "message": "Requested resource not found"}'

HUB_INTERNAL = b'{"__type": "InternalException", "Message": "Internal service error"}'
HUB_OFF = b'{"__type": "InvalidAccessException", "Message": "Account 123456789012 is not subscribed to AWS Security Hub"}'

# What EC2 answers a Describe call that finds nothing.
EC2_NONE = """<?xml version="1.0" encoding="UTF-8"?>
<{action}Response xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
    <requestId>5d0f1e4c-0000-4000-8000-000000000000</requestId>
    <{items}/>
</{action}Response>"""

EC2_ITEMS = {"DescribeNetworkAcls": "networkAclSet", "DescribeSubnets": "subnetSet"}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--upstream", required=True)
    parser.add_argument("--delay-ms", type=int, default=0)
    parser.add_argument("--deny-region")
    parser.add_argument("--deny-action")
    parser.add_argument("--deny-assume-role", metavar="ACCOUNT")
    parser.add_argument("--count", metavar="FILE")
    parser.add_argument("--keys", metavar="FILE")
    parser.add_argument("--dry-run", choices=["permit", "refuse"])
    parser.add_argument("--lookup-events", choices=["empty"])
    parser.add_argument("--no-vpcs-in", metavar="REGION")
    parser.add_argument("--hub-off-in", metavar="REGION")
    parser.add_argument("--hub-updates", metavar="FILE")
    parser.add_argument("--hub-fail-imports", type=int, default=0, metavar="COUNT")
    parser.add_argument("--backend-in", metavar="BUCKET=REGION")
    args = parser.parse_args()
    backend_bucket, _, backend_region = (args.backend_in or "=").partition("=")
    upstream = urllib.parse.urlsplit(args.upstream)
    count_lock = threading.Lock()
    imports_to_fail = [args.hub_fail_imports]

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *_):
            pass

        def do_POST(self):
            self.forward()

        def do_GET(self):
            self.forward()

        def do_PATCH(self):
            self.forward()

        def forward(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            scope = SCOPE.search(self.headers.get("Authorization", ""))
            key, region, service = scope.groups() if scope else ("", "", "")
            form = urllib.parse.parse_qs(body.decode("utf-8", "replace"))
            target = self.headers.get("X-Amz-Target", "")
            action = form.get("Action", [""])[0] or target.rsplit(".", 1)[-1]
            if args.count:
                with count_lock, open(args.count, "a") as counted:
                    counted.write(f"{service} {action}\n")
            if args.keys:
                with count_lock, open(args.keys, "a") as keys:
                    keys.write(f"{service} {key}\n")
            if args.delay_ms:
                time.sleep(args.delay_ms / 1000)
            if (service == "s3" and backend_bucket and region != backend_region
                    and self.path.startswith(f"/{backend_bucket}/")):
                redirect = S3_REDIRECT.format(bucket=backend_bucket).encode()
                return self.answer(301, redirect, "application/xml",
                                   {"x-amz-bucket-region": backend_region})
            if service == "dynamodb" and backend_bucket and region != backend_region:
                return self.answer(400, NO_TABLE, "application/x-amz-json-1.0")
            if service == "ec2" and (region == args.deny_region or action == args.deny_action):
                return self.answer(403, EC2_DENIED.encode())
            if service == "ec2" and args.dry_run and form.get("DryRun", [""])[0] == "true":
                if args.dry_run == "permit":
                    return self.answer(412, EC2_DRY_RUN_PERMITTED.encode())
                return self.answer(403, EC2_DENIED.encode())
            if (service == "ec2" and region == args.no_vpcs_in
                    and action in ("DescribeNetworkAcls", "DescribeSubnets")):
                return self.answer(200, EC2_NONE.format(action=action, items=EC2_ITEMS[action]).encode())
            if service == "securityhub" and region == args.hub_off_in:
                return self.answer(401, HUB_OFF, "application/json")
            if (service == "securityhub" and self.path.startswith("/findings/import")
                    and imports_to_fail[0] > 0):
                with count_lock:
                    imports_to_fail[0] -= 1
                return self.answer(500, HUB_INTERNAL, "application/json")
            if (service == "securityhub" and args.hub_updates
                    and self.command == "PATCH" and self.path.startswith("/findings/batchupdate")):
                with count_lock, open(args.hub_updates, "a") as updates:
                    updates.write(body.decode("utf-8") + "\n")
                processed = json.loads(body)["FindingIdentifiers"]
                answer = {"ProcessedFindings": processed, "UnprocessedFindings": []}
                return self.answer(200, json.dumps(answer).encode(), "application/json")
            if service == "cloudtrail" and action == "LookupEvents" and args.lookup_events:
                return self.answer(200, NO_EVENTS, "application/x-amz-json-1.1")
            role = form.get("RoleArn", [""])[0]
            if (service == "sts" and action == "AssumeRole" and args.deny_assume_role
                    and f"::{args.deny_assume_role}:" in role):
                return self.answer(403, STS_DENIED.format(role=role).encode())
            connection = http.client.HTTPConnection(upstream.hostname, upstream.port, timeout=60)
            headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
            headers["Host"] = upstream.netloc
            connection.request(self.command, self.path, body=body, headers=headers)
            response = connection.getresponse()
            data = response.read()
            connection.close()
            self.answer(response.status, data, response.getheader("Content-Type"))

        def answer(self, status, data, content_type="text/xml", headers=None):
            self.send_response(status)
            self.send_header("Content-Type", content_type or "text/xml")
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
