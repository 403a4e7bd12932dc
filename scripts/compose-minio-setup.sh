#!/bin/sh
# One-shot MinIO set-up, run by the minio-init service of docker-compose.yml with the MinIO root
# credentials (the only container besides MinIO that ever sees them):
#   1. create the `lake` bucket and mirror the bundled sample lake into it;
#   2. create (or update) the read-only policy in deploy/minio/worker-readonly-policy.json;
#   3. create (or update) the worker's own account and attach that policy to it.
# The worker and the initial job sample S3 with that account, so a compromised worker can read
# the lake but cannot write, delete or administer anything. Safe to re-run on every `up`.
#
# Usage: compose-minio-setup.sh [POLICY_FILE [SEED_DIR]]
#   (defaults: /setup/worker-readonly-policy.json and /seed, where the compose file mounts them)
# Needs: mc on PATH; MINIO_ROOT_USER, MINIO_ROOT_PASSWORD, MINIO_WORKER_ACCESS_KEY,
# MINIO_WORKER_SECRET_KEY in the environment. Prints names, never a secret.
set -eu

policy_file=${1:-/setup/worker-readonly-policy.json}
seed_dir=${2:-/seed}
endpoint=${MINIO_ENDPOINT:-http://minio:9000}
bucket=lake
policy=s3-enricher-worker-readonly

for var in MINIO_ROOT_USER MINIO_ROOT_PASSWORD MINIO_WORKER_ACCESS_KEY MINIO_WORKER_SECRET_KEY; do
  eval "value=\${$var:-}"
  if [ -z "$value" ]; then
    echo "minio-setup: $var is empty: set it in .env (see .env.example)" >&2
    exit 1
  fi
done
# The preflight refuses this too; checked again because this job holds the root key and would
# otherwise attach a read-only policy to the root account, which ignores policies.
if [ "$MINIO_WORKER_ACCESS_KEY" = "$MINIO_ROOT_USER" ]; then
  echo "minio-setup: MINIO_WORKER_ACCESS_KEY equals MINIO_ROOT_USER: the worker needs its own key" >&2
  exit 1
fi
if [ ! -r "$policy_file" ]; then
  echo "minio-setup: cannot read the worker policy $policy_file" >&2
  exit 1
fi

mc alias set local "$endpoint" "$MINIO_ROOT_USER" "$MINIO_ROOT_PASSWORD" >/dev/null
mc mb --ignore-existing "local/$bucket"
mc mirror --overwrite "$seed_dir" "local/$bucket"

# `policy create` replaces an existing policy of that name, so an edited file takes effect.
mc admin policy create local "$policy" "$policy_file"
# `user add` on an existing account sets its secret: a changed MINIO_WORKER_SECRET_KEY applies.
mc admin user add local "$MINIO_WORKER_ACCESS_KEY" "$MINIO_WORKER_SECRET_KEY" >/dev/null
# Before mc RELEASE.2024-10 a second attach fails with "already in effect" (minio/mc#4670).
if ! out=$(mc admin policy attach local "$policy" --user "$MINIO_WORKER_ACCESS_KEY" 2>&1); then
  case $out in
    *"already in effect"*) ;;
    *)
      printf 'minio-setup: attaching %s failed: %s\n' "$policy" "$out" >&2
      exit 1
      ;;
  esac
fi
echo "minio-setup: bucket $bucket seeded; account $MINIO_WORKER_ACCESS_KEY has policy $policy"
