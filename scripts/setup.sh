#!/usr/bin/env bash
# Installs what ferroswitch needs on Debian 12 and reserves hugepages.
# Idempotent: every step checks before it acts.
set -euo pipefail

PKGS=(dpdk dpdk-dev libdpdk-dev libclang-dev clang pkg-config
      iproute2 iputils-ping tcpdump python3 procps util-linux openvswitch-common
      openssl iperf3 qemu-system-x86 cpio kmod)
NR_HUGEPAGES=${NR_HUGEPAGES:-512}

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

missing=()
for p in "${PKGS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing ${missing[*]}"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# os-ken (PyPI): the real OpenFlow controller the end-to-end tests use.
if ! python3 -c 'import os_ken' >/dev/null 2>&1; then
    echo "setup: installing os-ken (pip)"
    python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore os-ken
fi

# scapy: ferro-pktgen's tests read the pcap files it writes with it.
if ! python3 -c 'import scapy' >/dev/null 2>&1; then
    echo "setup: installing scapy"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-scapy >/dev/null 2>&1 || true
    python3 -c 'import scapy' >/dev/null 2>&1 ||
        python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore scapy
fi

if ! command -v cargo >/dev/null 2>&1; then
    echo "setup: cargo not found; install the Rust toolchain (rustup) first" >&2
    exit 1
fi

# Hugepages: raise to NR_HUGEPAGES 2 MB pages, never lower; mount hugetlbfs.
cur=$(cat /proc/sys/vm/nr_hugepages)
if [ "$cur" -lt "$NR_HUGEPAGES" ]; then
    echo "$NR_HUGEPAGES" | as_root tee /proc/sys/vm/nr_hugepages >/dev/null || true
fi
if ! mount | grep -q 'on /dev/hugepages type hugetlbfs'; then
    as_root mkdir -p /dev/hugepages
    as_root mount -t hugetlbfs nodev /dev/hugepages || echo "setup: could not mount hugetlbfs; ferroswitch will run with --no-huge" >&2
fi
echo "setup: hugepages total=$(cat /proc/sys/vm/nr_hugepages) free=$(awk '/HugePages_Free/{print $2}' /proc/meminfo)"

# The guest that tests/e2e_vm.rs boots (Debian's kernel and busybox-static,
# downloaded, not installed): built once into target/vm-image.
bash "$(dirname "${BASH_SOURCE[0]}")/vm-image.sh" || echo "setup: the VM image could not be built; tests/e2e_vm.rs will fail until scripts/vm-image.sh succeeds" >&2
