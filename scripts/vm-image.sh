#!/usr/bin/env bash
# Builds the tiny guest that tests/e2e_vm.rs boots in QEMU: Debian 12's
# kernel and an initramfs with a static busybox and the virtio-net modules.
# Nothing is installed on the host: the two .deb files are only unpacked.
#
#   scripts/vm-image.sh [OUT_DIR]      (default: target/vm-image)
#
# Writes OUT_DIR/vmlinuz and OUT_DIR/initramfs.gz. Cached: does nothing if
# both exist and the script has not changed since (delete OUT_DIR to force
# a rebuild). Needs apt-get (with a package list), dpkg-deb, depmod,
# modprobe, cpio and gzip.
#
# The guest's /init reads its address from the kernel command line:
#   fs.ip=10.0.0.2/24  fs.peer=10.0.0.1
# and prints markers on the serial console (console=ttyS0):
#   FS-GUEST-BOOTED                       (/init started)
#   FS-GUEST-READY mac=<eth0 MAC> ip=<fs.ip>
#   FS-GUEST-PING-OK peer=<fs.peer>   (or FS-GUEST-PING-FAIL)
# Then it runs each line written to the console as a shell command and
# prints FS-GUEST-DONE rc=<status> after it (the console does not echo).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=${1:-$root/target/vm-image}
stamp="$out/.built-by"
self_sum=$(sha256sum "${BASH_SOURCE[0]}" | cut -d' ' -f1)

if [ -s "$out/vmlinuz" ] && [ -s "$out/initramfs.gz" ] &&
    [ "$(cat "$stamp" 2>/dev/null)" = "$self_sum" ]; then
    echo "vm-image: cached in $out"
    exit 0
fi

for tool in apt-get apt-cache dpkg-deb depmod modprobe cpio gzip; do
    command -v "$tool" >/dev/null 2>&1 || {
        echo "vm-image: $tool not found (apt-get install -y cpio kmod dpkg apt)" >&2
        exit 1
    }
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

# The kernel package that linux-image-amd64 points at, e.g.
# linux-image-6.1.0-56-amd64.
kernel_pkg() {
    apt-cache depends linux-image-amd64 2>/dev/null |
        awk '/Depends: linux-image-[0-9]/ { print $2; exit }'
}
kpkg=$(kernel_pkg)
if [ -z "$kpkg" ] && [ "$(id -u)" -eq 0 ]; then
    # A fresh machine has no package list yet.
    apt-get update -qq || true
    kpkg=$(kernel_pkg)
fi
if [ -z "$kpkg" ]; then
    echo "vm-image: no kernel package found behind linux-image-amd64; run apt-get update" >&2
    exit 1
fi
echo "vm-image: downloading $kpkg and busybox-static"
# apt's sandbox user cannot write here; the download is unsandboxed.
apt-get download -q "$kpkg" busybox-static 2>&1 | grep -v '^W: Download is performed unsandboxed' || true
ls ./*.deb >/dev/null 2>&1 || { echo "vm-image: apt-get download failed" >&2; exit 1; }

mkdir kernel busybox
dpkg-deb -x linux-image-*.deb kernel
dpkg-deb -x busybox-static_*.deb busybox
kver=$(ls kernel/lib/modules)

# The .deb has no modules.dep (depmod runs at install): make one here and
# let modprobe list the modules in load order. virtio_pci and virtio_net
# are modules in Debian's kernel (CONFIG_VIRTIO_PCI=m, CONFIG_VIRTIO_NET=m).
depmod -b kernel "$kver"
# (modprobe takes one module per call: later words would be parameters.)
mods=$(for m in virtio_pci virtio_net; do
    modprobe -d kernel -S "$kver" --show-depends "$m"
done | awk '$1 == "insmod" && !seen[$2]++ { print $2 }')

initrd=initrd
mkdir -p "$initrd"/{bin,dev,proc,sys,tmp,lib/modules}
cp busybox/bin/busybox "$initrd/bin/busybox"
: >"$initrd/modules.order"
for m in $mods; do
    name=$(basename "$m")
    cp "$m" "$initrd/lib/modules/$name"
    echo "$name" >>"$initrd/modules.order"
done
echo "vm-image: kernel $kver, modules: $(tr '\n' ' ' <"$initrd/modules.order")"

cat >"$initrd/init" <<'EOF'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
exec </dev/console >/dev/console 2>&1
echo "FS-GUEST-BOOTED"
for m in $(cat /modules.order); do
    insmod "/lib/modules/$m" || echo "FS-GUEST-ERROR insmod $m"
done
ip=
peer=
for arg in $(cat /proc/cmdline); do
    case "$arg" in
    fs.ip=*) ip=${arg#fs.ip=} ;;
    fs.peer=*) peer=${arg#fs.peer=} ;;
    esac
done
i=0
while [ ! -e /sys/class/net/eth0 ]; do
    i=$((i + 1))
    [ $i -gt 100 ] && { echo "FS-GUEST-ERROR no eth0"; break; }
    sleep 0.1
done
ip link set lo up
[ -n "$ip" ] && ip addr add "$ip" dev eth0
ip link set eth0 up
echo "FS-GUEST-READY mac=$(cat /sys/class/net/eth0/address) ip=$ip"
if [ -n "$peer" ]; then
    if ping -c 3 -W 2 "$peer" >/dev/null 2>&1 ||
        ping -c 5 -W 2 "$peer" >/dev/null 2>&1; then
        echo "FS-GUEST-PING-OK peer=$peer"
    else
        echo "FS-GUEST-PING-FAIL peer=$peer"
    fi
fi
# A command channel for the host: one shell command per console line.
stty -echo 2>/dev/null
while true; do
    while read -r cmd; do
        sh -c "$cmd"
        echo "FS-GUEST-DONE rc=$?"
    done
    sleep 1
done
EOF
chmod 755 "$initrd/init"

mkdir -p "$out"
(cd "$initrd" && find . | cpio -o -H newc --quiet | gzip -9) >"$out/initramfs.gz.tmp"
cp kernel/boot/vmlinuz-"$kver" "$out/vmlinuz.tmp"
mv "$out/initramfs.gz.tmp" "$out/initramfs.gz"
mv "$out/vmlinuz.tmp" "$out/vmlinuz"
echo "$self_sum" >"$stamp"
echo "vm-image: built $out (vmlinuz $(du -h "$out/vmlinuz" | cut -f1), initramfs $(du -h "$out/initramfs.gz" | cut -f1))"
