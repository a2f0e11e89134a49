"""What the benchmarks that run against the local EC2 emulator share: the
repository's root, the built binary, moto's virtualenv and boto3 from it,
dummy credentials, and a moto server on a free loopback port."""

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_BINARY = os.path.join(ROOT, "target/release/nacl-drift")

# Credentials that work against the emulator and nowhere else, and no AWS
# configuration of the machine's.
ENV = dict(os.environ, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
           AWS_DEFAULT_REGION="us-east-1", AWS_EC2_METADATA_DISABLED="true",
           AWS_CONFIG_FILE="/dev/null", AWS_SHARED_CREDENTIALS_FILE="/dev/null")
ENV.pop("AWS_PROFILE", None)


def run_measured(command, stdout=os.devnull):
    """Runs command, its output to the file `stdout`; returns (exit code,
    wall seconds, peak RSS in MB). Exits, with its stderr, when it fails
    (exit codes 0 and 2, "found", are not failures)."""
    start = time.perf_counter()
    with open(stdout, "wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    stderr = process.stderr.read().decode()
    if process.returncode not in (0, 2):
        sys.exit(f"{' '.join(command)} failed ({process.returncode}):\n{stderr}")
    return process.returncode, elapsed, usage.ru_maxrss / 1024


def require_binary(path):
    if not os.path.exists(path):
        sys.exit(f"{path} does not exist: run `cargo build --release` first")


def moto_venv():
    """The emulator's virtualenv (tests/emulator/install-moto.sh installs it
    once), with its boto3 importable from here."""
    venv = subprocess.run([os.path.join(ROOT, "tests/emulator/install-moto.sh")],
                          check=True, capture_output=True, text=True).stdout.strip()
    sys.path.insert(0, next(os.path.join(venv, "lib", d, "site-packages")
                            for d in os.listdir(os.path.join(venv, "lib"))))
    os.environ.update(ENV)
    return venv


@contextlib.contextmanager
def emulator(venv):
    """A moto server on a free loopback port, answering: yields its URL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    endpoint = f"http://127.0.0.1:{port}"
    moto = subprocess.Popen([os.path.join(venv, "bin/moto_server"), "-H", "127.0.0.1",
                             "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        yield endpoint
    finally:
        moto.kill()
        moto.wait()


def snapshotted_estate(venv, endpoint, binary, work):
    """The example estate (examples/estate.py) seeded on the emulator and
    snapshotted into WORK/baselines: what seed printed, and the arguments
    that point nacl-drift at those baselines and the emulator."""
    estate = json.loads(subprocess.run(
        [os.path.join(venv, "bin/python"), os.path.join(ROOT, "examples/estate.py"),
         "--endpoint-url", endpoint, "seed"],
        check=True, capture_output=True, text=True).stdout)
    common = ["--baseline-dir", os.path.join(work, "baselines"), "--endpoint-url", endpoint]
    subprocess.run([binary, "snapshot", "--region", "us-east-1", "--region", "eu-west-1", *common],
                   check=True, stdout=subprocess.DEVNULL)
    return estate, common


def wait_until_restored(watch, acl, trigger=None):
    """Reads `watch`'s ndjson lines until one reports ACL restored and
    verified in sync (by a reconcile of TRIGGER, when given)."""
    while True:
        line = json.loads(watch.stdout.readline())
        restored = any(call["network_acl_id"] == acl and call["status"] == "done"
                       for call in line["restored"])
        if restored and line["in_sync"] and trigger in (None, line["trigger"]):
            return line
