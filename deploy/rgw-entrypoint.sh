#!/bin/sh
# Ceph RADOS Gateway (localhost/faceshot-s3:ceph, from ../shared/tools/containers.sh) standing in for
# MinIO where no image can be pulled: docker-compose.offline.yml and the tests' S3 container run it.
# It does what the image's own entrypoint does (create the user from S3_ACCESS_KEY/S3_SECRET_KEY, start
# the gateway on port 9000, create S3_BUCKET), but bounds every radosgw-admin call: measured here, about
# one call in three finishes its work and then never exits (threads deadlock at shutdown), which would
# leave the container "starting" forever. A call that hangs is killed and the step is checked again.
set -eu
: "${S3_ACCESS_KEY:=faceshot}" "${S3_SECRET_KEY:=faceshot-secret}"
D=/var/lib/ceph/radosgw
mkdir -p "$D" /var/run/ceph /var/log/ceph
OPTS="--no-mon-config --rgw-backend-store=dbstore --rgw-config-store=dbstore --dbstore-db-dir=$D --run-dir=/var/run/ceph"

admin() { timeout -s KILL 15 radosgw-admin $OPTS "$@" >/dev/null 2>&1; }

attempt=0
until admin user info --uid=faceshot; do
  attempt=$((attempt + 1))
  if [ "$attempt" -gt 10 ]; then echo "could not create the S3 user" >&2; exit 1; fi
  admin user create --uid=faceshot --display-name=faceshot \
    --access-key="$S3_ACCESS_KEY" --secret-key="$S3_SECRET_KEY" || true
done

radosgw -f $OPTS --rgw-frontends="beast port=9000" --debug-rgw=0 &
pid=$!
trap 'kill -TERM $pid 2>/dev/null' TERM INT
i=0
until curl -fs http://127.0.0.1:9000/ >/dev/null 2>&1; do
  i=$((i + 1))
  if [ "$i" -gt 300 ]; then echo "radosgw did not answer within 60 s" >&2; exit 1; fi
  if ! kill -0 "$pid" 2>/dev/null; then echo "radosgw exited" >&2; exit 1; fi
  sleep 0.2
done
if [ -n "${S3_BUCKET:-}" ]; then
  timeout 30 minio-client alias set local http://127.0.0.1:9000 "$S3_ACCESS_KEY" "$S3_SECRET_KEY" >/dev/null
  timeout 30 minio-client mb --ignore-existing "local/$S3_BUCKET" >/dev/null
fi
echo "s3 ready on port 9000"
wait $pid
