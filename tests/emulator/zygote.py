"""A warm Python for the tests: moto and boto3 imported once, and a child
forked for each emulator and each script a test runs. A fresh interpreter
spends most of a second of CPU importing them; a fork, milliseconds. The
tests start hundreds of each, on two cores.

    zygote.py SOCKET

Listens on the Unix socket SOCKET, prints "ready" once it does, and exits
when its stdin closes (the test process that started it ended). Each
connection sends one JSON line and gets JSON lines back:

- {"emulator": LOG}: a moto server, forked, on a free loopback port, its
  log in LOG. Answers {"port": N} once it listens; it stops when the
  connection closes, so a test's emulator lives as long as its handle.
- {"script": [PATH, ARG...], "cwd": DIR, "env": {...}, "stdout": FILE,
  "stderr": FILE}: the script (or, as `python -c`, ["-c", CODE, ARG...])
  run as __main__ in a forked child, in DIR,
  with exactly that environment, its output in those files. Answers
  {"code": N}, its exit code, when it ends.

The zygote itself never serves a request, so every emulator starts with
moto's backends empty, as a new moto_server does.
"""

import json
import os
import runpy
import select
import signal
import socket
import sys
import threading
import traceback

import boto3  # noqa: F401  (imported for the children)
import moto.backends
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import make_server

# The services the tests call, imported before any fork.
SERVICES = [
    "cloudtrail", "dynamodb", "ec2", "events", "iam", "logs", "organizations",
    "s3", "securityhub", "sns", "sqs", "sts",
]


def emulator(connection, log):
    """Serves moto on a free loopback port until the connection closes."""
    os.dup2(os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), 2)
    server = make_server(
        "127.0.0.1", 0, DomainDispatcherApplication(create_backend_app),
        threaded=True, request_handler=MotoRequestHandler,
    )
    # moto_server sets it: moto names its own URLs (SQS queues) with it.
    os.environ["MOTO_PORT"] = str(server.server_port)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    connection.sendall(json.dumps({"port": server.server_port}).encode() + b"\n")
    while connection.recv(4096):
        pass
    os._exit(0)


def script(connection, request):
    """Runs one script as __main__ and answers its exit code."""
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
    os.dup2(os.open(request["stdout"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), 1)
    os.dup2(os.open(request["stderr"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), 2)
    arguments = list(request["script"])
    try:
        if arguments[0] == "-c":
            sys.argv = ["-c", *arguments[2:]]
            sys.path[0] = ""
            exec(compile(arguments[1], "<string>", "exec"), {"__name__": "__main__"})
        else:
            sys.argv = arguments
            sys.path[0] = os.path.dirname(os.path.abspath(arguments[0]))
            runpy.run_path(arguments[0], run_name="__main__")
        code = 0
    except SystemExit as exit:
        code = exit.code if isinstance(exit.code, int) else (0 if exit.code is None else 1)
        if not isinstance(exit.code, (int, type(None))):
            print(exit.code, file=sys.stderr)
    except BaseException:
        traceback.print_exc()
        code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    connection.sendall(json.dumps({"code": code}).encode() + b"\n")
    os._exit(0)


def serve(path):
    for service in SERVICES:
        moto.backends.get_backend(service)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(64)
    # Children are never waited for: the kernel reaps them.
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    print("ready", flush=True)
    try:
        while True:
            readable, _, _ = select.select([listener, sys.stdin], [], [])
            if sys.stdin in readable and not sys.stdin.buffer.read1(4096):
                return
            if listener not in readable:
                continue
            connection, _ = listener.accept()
            request = json.loads(connection.makefile("rb").readline())
            if os.fork() == 0:
                listener.close()
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                try:
                    if "emulator" in request:
                        emulator(connection, request["emulator"])
                    else:
                        script(connection, request)
                except BaseException:
                    traceback.print_exc()
                finally:
                    os._exit(1)
            connection.close()
    finally:
        os.unlink(path)
        os.unlink(os.path.splitext(path)[0] + ".log")


if __name__ == "__main__":
    serve(sys.argv[1])
