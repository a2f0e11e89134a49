#!/usr/bin/env python3
"""A loopback AWS Lambda Runtime API, for running a function's `bootstrap`
the way Lambda does, without Lambda.

    lambda_runtime_api.py EVENTS_JSON

EVENTS_JSON is a file holding a JSON array of invocation payloads. The
server prints the port it listens on, then one JSON line per thing the
function does, flushed at once:

    {"kind": "next", "request_id": ..., "at": UNIX_TIME}   a request for the next
                                                           event (request_id null
                                                           when none is left)
    {"kind": "response", "request_id": ..., "body": ...}   its answer
    {"kind": "error", "request_id": ..., "body": ...}      its error
    {"kind": "init_error", "body": ...}                     a failed start

It speaks the three endpoints of the Runtime API (2018-06-01):
GET runtime/invocation/next answers each payload in turn with the headers
Lambda sends (Lambda-Runtime-Aws-Request-Id, -Deadline-Ms,
-Invoked-Function-Arn, -Trace-Id); once they are all handed out, it holds
the request open, as Lambda does between invocations.
POST runtime/invocation/ID/response and .../error answer 202.
"""

import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PREFIX = "/2018-06-01/runtime/"
FUNCTION_ARN = "arn:aws:lambda:us-east-1:123456789012:function:nacl-drift-guard"


class State:
    def __init__(self, events):
        self.events = list(events)
        self.handed_out = 0
        self.lock = threading.Lock()

    def next_event(self):
        with self.lock:
            if self.handed_out >= len(self.events):
                return None, None
            index = self.handed_out
            self.handed_out += 1
            return f"request-{index + 1}", self.events[index]


def report(**fields):
    print(json.dumps(fields), flush=True)


def handler_for(state):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            if self.path != PREFIX + "invocation/next":
                self.send_error(404)
                return
            request_id, event = state.next_event()
            report(kind="next", request_id=request_id, at=time.time())
            if request_id is None:
                while True:  # Lambda freezes the function here.
                    time.sleep(3600)
            body = json.dumps(event).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Lambda-Runtime-Aws-Request-Id", request_id)
            self.send_header("Lambda-Runtime-Deadline-Ms", str(int((time.time() + 300) * 1000)))
            self.send_header("Lambda-Runtime-Invoked-Function-Arn", FUNCTION_ARN)
            self.send_header("Lambda-Runtime-Trace-Id", "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            text = self.rfile.read(length).decode() if length else ""
            try:
                body = json.loads(text) if text else None
            except json.JSONDecodeError:
                body = text
            parts = self.path[len(PREFIX):].split("/") if self.path.startswith(PREFIX) else []
            if parts == ["init", "error"]:
                report(kind="init_error", body=body)
            elif len(parts) == 3 and parts[0] == "invocation" and parts[2] in ("response", "error"):
                report(kind=parts[2], request_id=parts[1], body=body)
            else:
                self.send_error(404)
                return
            self.send_response(202)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

    return Handler


def main():
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    with open(sys.argv[1]) as file:
        events = json.load(file)
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler_for(State(events)))
    server.daemon_threads = True
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
