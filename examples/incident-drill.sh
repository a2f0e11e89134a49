#!/usr/bin/env bash
# The incident drill: nacl-drift's main job, end to end, on a local EC2
# emulator. No AWS account is needed, and nothing leaves this machine.
#
#   examples/incident-drill.sh [--keep DIR]
#
# 1. builds nacl-drift, installs the pinned emulator (moto) and starts it on
#    a free loopback port;
# 2. seeds the example estate (examples/estate.py): a three-tier shop in
#    us-east-1 and a standby web tier in eu-west-1;
# 3. snapshots every NACL of both regions into baselines, validates them,
#    and snapshots again to show that an unchanged estate changes no byte;
# 4. checks that diff finds the estate in sync (exit 0);
# 5. does the incidents nacl-drift exists for: an unauthorized deletion of a
#    deny entry, an accidental deletion of a critical allow entry, a
#    malicious widening of an allow entry, and a subnet moved onto a
#    permissive NACL;
# 6. runs diff, which reports each of them, what it does to traffic and who
#    did it (from the CloudTrail log files of those calls), and exits 2;
# 7. plans the restore (apply --dry-run), restores (apply --yes --prune),
#    and diffs again, which is clean: exit 0;
# 8. leaves the guard on: `watch --restore` on the queue an EventBridge rule
#    on CloudTrail's NACL calls feeds, deletes the SSH deny once more, and
#    shows the guard put it back within seconds and say who deleted it;
# 9. takes a Terraform state as the intent (a VPC terraform-aws-modules/vpc
#    made in us-west-2): a rule added in the console is drift, named by the
#    Terraform address that declares its NACL; with the state in the S3
#    backend, apply restores nothing while a terraform run holds its locks
#    (the .tflock and the DynamoDB lock table), then removes the rule.
#
# The baselines go to a temporary folder, removed at the end, unless
# --keep DIR names a folder to keep them in.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
keep=""
if [[ "${1:-}" == "--keep" ]]; then
  keep="${2:?--keep needs a folder}"
elif [[ $# -gt 0 ]]; then
  echo "usage: $0 [--keep DIR]" >&2
  exit 1
fi

if [[ -t 1 && -z "${NO_COLOR:-}" ]]; then
  step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
else
  step() { printf '\n== %s\n' "$*"; }
fi

step "Building nacl-drift"
cargo build --quiet --manifest-path "$root/Cargo.toml" --bin nacl-drift
nacl_drift="$root/target/debug/nacl-drift"

step "Starting the local EC2 emulator"
venv=$("$root/tests/emulator/install-moto.sh")
port=$("$venv/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
endpoint="http://127.0.0.1:$port"
work=$(mktemp -d)
"$venv/bin/moto_server" -H 127.0.0.1 -p "$port" >"$work/moto.log" 2>&1 &
moto_pid=$!
cleanup() {
  kill "$moto_pid" 2>/dev/null || true
  wait "$moto_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
for _ in $(seq 1 100); do
  "$venv/bin/python" -c "import urllib.request as u; u.urlopen('$endpoint/moto-api/', timeout=2)" 2>/dev/null && break
  kill -0 "$moto_pid" 2>/dev/null || { cat "$work/moto.log" >&2; exit 1; }
  sleep 0.2
done
echo "moto is listening on $endpoint"

# Dummy credentials: they only ever reach the emulator on loopback.
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_SESSION_TOKEN=testing
export AWS_EC2_METADATA_DISABLED=true AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
export AWS_ENDPOINT_URL="$endpoint"
unset AWS_PROFILE AWS_REGION AWS_DEFAULT_REGION

step "Seeding the example estate"
"$venv/bin/python" "$root/examples/estate.py" --endpoint-url "$endpoint" seed >"$work/estate.json"
estate() { "$venv/bin/python" -c "import json, sys; print(json.load(open('$work/estate.json'))$1)"; }
prod_vpc=$(estate "['us-east-1']['vpc_id']")
db_acl=$(estate "['us-east-1']['network_acls']['db']")
echo "us-east-1: VPC shop-prod $prod_vpc, with web, app and db tier NACLs (db tier: $db_acl)"
echo "eu-west-1: VPC shop-dr $(estate "['eu-west-1']['vpc_id']"), with a web tier NACL"

baselines="${keep:-$work/baselines}"
step "Snapshot: every NACL of both regions into $baselines"
"$nacl_drift" snapshot --baseline-dir "$baselines" --region us-east-1 --region eu-west-1

prod_file="$baselines/123456789012/us-east-1/$prod_vpc.yaml"
step "The db tier in $prod_file"
awk -v acl="$db_acl" '$0 ~ "^- id: " acl {show=1} show && /^- id: / && $0 !~ acl {show=0} show' "$prod_file"

step "Validate the baselines"
"$nacl_drift" validate --baseline-dir "$baselines"

step "Snapshot again: an unchanged estate changes no byte"
before=$(find "$baselines" -type f -name '*.yaml' -exec sha256sum {} + | sort)
"$nacl_drift" snapshot --baseline-dir "$baselines" --region us-east-1 --region eu-west-1
after=$(find "$baselines" -type f -name '*.yaml' -exec sha256sum {} + | sort)
if [[ "$before" != "$after" ]]; then
  echo "drill failed: the second snapshot changed a baseline" >&2
  exit 1
fi
echo "Every baseline is byte-identical."

step "Diff: live state against the baselines, before any incident"
"$nacl_drift" diff --baseline-dir "$baselines"

step "The incidents"
"$venv/bin/python" "$root/examples/estate.py" --endpoint-url "$endpoint" incident "$work/estate.json" \
  --cloudtrail-logs "$work/cloudtrail"
echo "(and the CloudTrail log files AWS would deliver for those calls, in $work/cloudtrail)"

step "Diff: what changed behind our backs, what it exposes, and who did it (exit 2 means drift)"
status=0
"$nacl_drift" diff --baseline-dir "$baselines" --cloudtrail-logs "$work/cloudtrail" || status=$?
if [[ $status -ne 2 ]]; then
  echo "drill failed: diff exited $status, not 2, after the incidents" >&2
  exit 1
fi

step "Apply, dry run: the plan, closing calls first (exit 2: there is work to do)"
status=0
"$nacl_drift" apply --baseline-dir "$baselines" --dry-run || status=$?
if [[ $status -ne 2 ]]; then
  echo "drill failed: apply --dry-run exited $status, not 2" >&2
  exit 1
fi

step "Apply: restore the baselines"
"$nacl_drift" apply --baseline-dir "$baselines" --yes --prune

step "Diff again: clean"
"$nacl_drift" diff --baseline-dir "$baselines"

step "The guard: watch --restore on the queue of CloudTrail's NACL calls"
queue=$("$venv/bin/python" "$root/tests/emulator/events.py" --endpoint-url "$endpoint" queue \
  | "$venv/bin/python" -c 'import json, sys; print(json.load(sys.stdin)["queue_url"])')
echo "EventBridge rule nacl-drift-guard -> SQS $queue"
AWS_REGION=us-east-1 "$nacl_drift" watch --baseline-dir "$baselines" --sqs-queue-url "$queue" \
  --restore --format text >"$work/guard.log" 2>"$work/guard.err" &
guard_pid=$!
wait_for_lines() {
  for _ in $(seq 1 150); do
    [[ $(wc -l <"$work/guard.log") -ge $1 ]] && return 0
    kill -0 "$guard_pid" 2>/dev/null || break
    sleep 0.2
  done
  cat "$work/guard.err" "$work/guard.log" >&2
  echo "drill failed: the guard did not report" >&2
  exit 1
}
wait_for_lines 1
cat "$work/guard.err" "$work/guard.log"
"$venv/bin/python" "$root/examples/estate.py" --endpoint-url "$endpoint" again "$work/estate.json"
wait_for_lines 2
tail -n 1 "$work/guard.log"
kill "$guard_pid"
wait "$guard_pid" || true
if ! tail -n 1 "$work/guard.log" | grep -q "verified in sync"; then
  echo "drill failed: the guard did not restore the SSH deny" >&2
  exit 1
fi

step "Terraform as the intent: a VPC terraform-aws-modules/vpc made in us-west-2, and its state"
"$venv/bin/python" "$root/tests/emulator/terraform.py" --endpoint-url "$endpoint" --region us-west-2 \
  seed "$work" >"$work/terraform.json"
tf_acl=$("$venv/bin/python" -c "import json; print(json.load(open('$work/terraform.json'))['public_acl'])")
state="$work/terraform.tfstate"
"$nacl_drift" diff --baseline-dir "$baselines" --terraform-state "$state"

step "Someone adds ingress 104 (tcp 8443 from anywhere) to $tf_acl in the console; a refresh copies it into the state"
"$venv/bin/python" -c "import boto3; boto3.client('ec2', region_name='us-west-2', endpoint_url='$endpoint').create_network_acl_entry(NetworkAclId='$tf_acl', RuleNumber=104, Egress=False, Protocol='6', RuleAction='allow', CidrBlock='0.0.0.0/0', PortRange={'From': 8443, 'To': 8443})"
"$venv/bin/python" "$root/tests/emulator/terraform.py" --endpoint-url "$endpoint" --region us-west-2 refresh "$work"
status=0
"$nacl_drift" diff --baseline-dir "$baselines" --terraform-state "$state" || status=$?
[[ $status -eq 2 ]] || { echo "drill failed: diff exited $status, not 2" >&2; exit 1; }

step "The same state in the S3 backend: while terraform apply holds its locks (.tflock, the lock table), apply restores nothing (exit 1)"
terraform_py=("$venv/bin/python" "$root/tests/emulator/terraform.py" --endpoint-url "$endpoint")
backend=(--bucket drill-tfstate --key env:/prod/network/terraform.tfstate --lock-table terraform-locks)
"${terraform_py[@]}" push "$work" "${backend[@]}"
"${terraform_py[@]}" lock "$work" "${backend[@]}"
in_s3=(--terraform-state s3://drill-tfstate/env:/prod/network/terraform.tfstate --terraform-lock-table terraform-locks)
status=0
"$nacl_drift" apply --baseline-dir "$baselines" "${in_s3[@]}" --yes || status=$?
[[ $status -eq 1 ]] || { echo "drill failed: apply under the lock exited $status, not 1" >&2; exit 1; }

step "The run is done, its locks released: apply removes the rule Terraform never declared, and diff is clean"
"${terraform_py[@]}" unlock "$work" "${backend[@]}"
"$nacl_drift" apply --baseline-dir "$baselines" "${in_s3[@]}" --yes
"$nacl_drift" diff --baseline-dir "$baselines" "${in_s3[@]}"

step "Drill complete"
