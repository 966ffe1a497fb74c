#!/usr/bin/env bash
# Starts (or reuses) a private Docker Engine for the test suite and benchmarks, and builds the
# local busybox image the tests run. Prints the DOCKER_HOST to use on its last line.
#
#   scripts/test-engine.sh start  [name]   start engine <name> (default "doctor-test")
#   scripts/test-engine.sh stop   [name]   stop it; returns once dockerd has exited
#   scripts/test-engine.sh status [name]   exit 0 when it is running
#
# The engine runs beside any other engine on the machine: its own data root, exec root, pid
# file, socket and bridge, and no iptables changes. It never touches docker0.
set -euo pipefail

cmd="${1:-start}"
name="${2:-doctor-test}"
base="${DOCTOR_ENGINE_BASE:-/tmp/$name}"
sock="$base/docker.sock"
bridge="br-${name:0:12}"
# A /24 per engine name so two engines (the multi-host tests) never share an address range.
octet=$(( $(printf '%s' "$name" | cksum | cut -d' ' -f1) % 200 + 20 ))
cidr="10.213.$octet.1/24"

log() { printf 'test-engine: %s\n' "$*" >&2; }

engine_up() { DOCKER_HOST="unix://$sock" docker info >/dev/null 2>&1; }

need_root() {
  if [ "$(id -u)" != 0 ]; then
    log "starting a private engine needs root (dockerd); run as root or set DOCKER_HOST to an engine"
    exit 1
  fi
}

install_packages() {
  local missing=()
  command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
  [ -x /bin/busybox ] || command -v busybox >/dev/null 2>&1 || missing+=(busybox-static)
  command -v ip >/dev/null 2>&1 || missing+=(iproute2)
  if [ "${#missing[@]}" -gt 0 ]; then
    log "installing ${missing[*]}"
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
  fi
}

start_engine() {
  if engine_up; then log "engine $name already running at $sock"; return; fi
  need_root
  install_packages
  mkdir -p "$base"
  if ! ip link show "$bridge" >/dev/null 2>&1; then
    ip link add "$bridge" type bridge
    ip addr add "$cidr" dev "$bridge"
  fi
  ip link set "$bridge" up
  rm -f "$sock"
  log "starting dockerd $name at $sock"
  nohup dockerd \
    --data-root "$base/data" --exec-root "$base/exec" --pidfile "$base/dockerd.pid" \
    --host "unix://$sock" --iptables=false --ip6tables=false --bridge="$bridge" \
    >"$base/dockerd.log" 2>&1 &
  for _ in $(seq 1 120); do
    if engine_up; then return; fi
    sleep 0.5
  done
  log "dockerd did not come up; last lines of $base/dockerd.log:"
  tail -n 20 "$base/dockerd.log" >&2
  exit 1
}

# A tiny image made locally (no registry here): busybox-static plus the applets the tests use.
build_image() {
  local image="doctor-test/busybox:1"
  if DOCKER_HOST="unix://$sock" docker image inspect "$image" >/dev/null 2>&1; then return; fi
  local bb
  bb="$(command -v busybox || echo /bin/busybox)"
  local rootfs
  rootfs="$(mktemp -d)"
  mkdir -p "$rootfs/bin" "$rootfs/tmp" "$rootfs/etc" "$rootfs/data"
  cp "$bb" "$rootfs/bin/busybox"
  for applet in sh echo sleep head tr dd cat kill yes seq printf true false ls rm touch mkdir wc env date nc wget; do
    ln -sf busybox "$rootfs/bin/$applet"
  done
  echo 'root:x:0:0:root:/root:/bin/sh' >"$rootfs/etc/passwd"
  log "building $image"
  tar -C "$rootfs" -c . | DOCKER_HOST="unix://$sock" docker import \
    --change 'ENV PATH=/bin' --change 'CMD ["sh"]' - "$image" >/dev/null
  rm -rf "$rootfs"
}

# dockerd stops its containers and containerd before it exits, which can take a while: say
# "stopped" only once the process is gone (and its socket with it).
STOP_WAIT_SECONDS="${DOCTOR_ENGINE_STOP_WAIT:-60}"

stop_engine() {
  local pid=""
  [ -f "$base/dockerd.pid" ] && pid="$(cat "$base/dockerd.pid" 2>/dev/null || true)"
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    local waited=0
    while kill -0 "$pid" 2>/dev/null; do
      if [ "$waited" -ge $((STOP_WAIT_SECONDS * 4)) ]; then
        log "engine $name (dockerd pid $pid) is still exiting after ${STOP_WAIT_SECONDS} s"
        exit 1
      fi
      sleep 0.25
      waited=$((waited + 1))
    done
  fi
  rm -f "$sock"
  ip link del "$bridge" 2>/dev/null || true
  log "engine $name stopped"
}

case "$cmd" in
  start) start_engine; build_image; echo "unix://$sock" ;;
  stop) stop_engine ;;
  status) engine_up ;;
  *) log "usage: $0 start|stop|status [name]"; exit 2 ;;
esac
