#!/usr/bin/env bash
# Installs every build and test dependency of circuitwatch from Debian 12
# packages. Idempotent: when everything is present it installs nothing and
# says so in one line. Works as root or through sudo.
set -euo pipefail

# To build the daemon and its .deb (the container image's build stage
# installs only these: install-deps.sh --build).
BUILD_PACKAGES=(
  build-essential cmake pkgconf git
  # CPack's shlibdeps (the .deb's Depends) runs file(1) on the binary
  file
  # the man pages and shell completions are generated from --help and
  # docs/configuration.md by deploy/debian/gen_docs.py
  python3
  libmicrohttpd-dev libuv1-dev libyaml-dev zlib1g-dev libcrypt-dev libgnutls28-dev
  libprotobuf-c-dev protobuf-c-compiler libpcap-dev librdkafka-dev
  libjansson-dev libmnl-dev uthash-dev libcap-dev
  # circuitwatch status/routes fetch the daemon's /api/v1 over HTTP(S)
  libcurl4-openssl-dev
)

PACKAGES=(
  "${BUILD_PACKAGES[@]}"
  # unit tests, sanitizers, fuzzing; libtsan2 is gcc 12's ThreadSanitizer
  # runtime for the tsan preset (gcc-12 pulls it in; named so it stays)
  libcmocka-dev clang libclang-rt-14-dev libtsan2
  # integration tests: promtool and the Prometheus server, an HTTP client,
  # TLS material, JSON checks, process tools
  prometheus curl openssl python3 procps iproute2
  # deployment checks: systemd-analyze and systemd-sysusers, YAML parsing
  systemd python3-yaml
  # real routers for the BMP integration test
  frr gobgpd
  # an independent decoder to cross-check generated captures
  tshark
  # the benchmarks: pmacct's pmbmpd for bench_bmp.sh, jq for bench_capture.sh
  pmacct jq
  # the probes test: nftables drops a known fraction of probes
  nftables
  # Kafka: kcat consumes in test_kafka.sh; protoc --decode checks the event schema
  kcat protobuf-compiler
  # the status page test: headless Chromium renders / (--dump-dom, --screenshot)
  chromium
  # the routes stream test: rib_rebuild.py decodes RouteMessages (protoc --python_out)
  python3-protobuf
  # billing: IANA zone files (TZif) for billing cycles in local time, and the tz tests
  tzdata
  # tests/fresh-machine.sh: a minimal Debian 12 root to prove this list complete
  debootstrap
  # tests/test_deploy.sh: the .deb checked by lintian and hardening-check
  # (devscripts), installed into a debootstrapped root
  lintian devscripts
)

if [ "${1:-}" = --build ]; then
  PACKAGES=("${BUILD_PACKAGES[@]}")
elif [ $# -gt 0 ]; then
  echo "usage: install-deps.sh [--build]" >&2
  exit 2
fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: run as root or install sudo" >&2; exit 1; }
  SUDO=(sudo)
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done"
