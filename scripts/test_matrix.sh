#!/usr/bin/env bash
# `make test-matrix`: the plugin's whole suite (`make test`) on the newer QGIS releases of
# Debian's archive: trixie (QGIS 3.40) and sid (QGIS 3.44), each in a chroot built with
# mmdebstrap (about 90 s and 2.5 GB each, kept in MATRIX_DIR and reused by later runs).
# Building and entering chroots needs root: without it the matrix is skipped, saying so.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
SHARED=$(cd "$ROOT/.." && pwd)/shared
MATRIX_DIR=${MATRIX_DIR:-/var/tmp/insar_decomposition-matrix}
SUITES=${MATRIX_SUITES:-"trixie sid"}
PACKAGES=qgis,python3-qgis,qgis-providers,gdal-bin,python3-gdal,xvfb,xauth,python3-venv,python3-pip,ca-certificates,git,make,mount

if [ "$(id -u)" -ne 0 ]; then
  echo "test-matrix: skipped: building and entering the QGIS chroots needs root"
  exit 0
fi
if ! command -v mmdebstrap >/dev/null; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mmdebstrap >/dev/null
fi

build_chroot() {  # suite dir
  local suite=$1 dir=$2 opts=()
  [ -f "$dir/.ready" ] && return 0
  rm -rf "$dir"
  # sid's index can look expired on a frozen mirror
  [ "$suite" = sid ] && opts+=(--aptopt='Acquire::Check-Valid-Until "false"')
  echo "test-matrix: building the $suite chroot in $dir"
  mmdebstrap --quiet --variant=apt "${opts[@]}" --include="$PACKAGES" "$suite" "$dir"
  touch "$dir/.ready"
}

run_suite() {  # suite dir log
  local suite=$1 dir=$2 log=$3
  # the chroot resolves names and trusts certificates as the host does (pip reaches PyPI through it)
  cp /etc/resolv.conf "$dir/etc/resolv.conf"
  cp /etc/ssl/certs/ca-certificates.crt "$dir/etc/ssl/certs/ca-certificates.crt"
  rm -rf "$dir/work" && mkdir -p "$dir/work"
  git clone -q "$ROOT" "$dir/work/insar_decomposition"
  [ -d "$SHARED" ] && cp -rL "$SHARED" "$dir/work/shared"  # -L: shared/ may be a link
  for m in proc sys dev; do mountpoint -q "$dir/$m" || mount --bind "/$m" "$dir/$m"; done
  local status=0
  chroot "$dir" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
    PIP_CERT=/etc/ssl/certs/ca-certificates.crt SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt \
    bash -c "cd /work/insar_decomposition && make test LIBRARY_TESTS=optional" >"$log" 2>&1 || status=$?
  for m in dev sys proc; do umount -l "$dir/$m" 2>/dev/null || true; done
  return $status
}

mkdir -p "$MATRIX_DIR"
failed=0
summary=()
for suite in $SUITES; do
  dir="$MATRIX_DIR/$suite"
  log="$MATRIX_DIR/$suite.log"
  build_chroot "$suite" "$dir"
  version=$(chroot "$dir" dpkg-query -W -f='${Version}' qgis 2>/dev/null || echo unknown)
  echo "test-matrix: $suite, QGIS $version: make test"
  if run_suite "$suite" "$dir" "$log"; then result=passed; else result=FAILED; failed=1; fi
  counts=$(grep -E "^=+ .*(passed|failed).* in " "$log" | tail -1 | tr -d '=' | xargs || true)
  summary+=("$suite (QGIS $version): $result: ${counts:-no test summary, see $log}")
  [ "$result" = FAILED ] && tail -40 "$log"
done
echo
echo "test-matrix summary:"
printf '  %s\n' "${summary[@]}"
exit $failed
