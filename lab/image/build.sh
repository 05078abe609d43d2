#!/usr/bin/env bash
# Builds the lab's systemd base image without a registry: debootstrap a Debian 12
# root filesystem, then `docker import` it. The tag carries a hash of this recipe,
# so the image is rebuilt only when the recipe changes.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
mirror=${LAB_DEBIAN_MIRROR:-http://deb.debian.org/debian}
suite=bookworm

recipe_hash=$(cat "$here/build.sh" "$here/packages.txt" | sha256sum | cut -c1-12)
image="django-takeover-lab:$recipe_hash"

if [ "${1:-}" = "--print-tag" ]; then
  echo "$image"
  exit 0
fi

if docker image inspect "$image" >/dev/null 2>&1; then
  echo "lab image $image is up to date"
  exit 0
fi

command -v debootstrap >/dev/null || { echo "debootstrap is missing: apt-get install debootstrap" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "building the lab image needs root (debootstrap)" >&2; exit 2; }

rootfs=$(mktemp -d /var/tmp/takeover-rootfs.XXXXXX)
cleanup() {
  for m in proc sys dev/pts dev; do umount -l "$rootfs/$m" 2>/dev/null || true; done
  rm -rf "$rootfs"
}
trap cleanup EXIT

packages=$(grep -v '^#' "$here/packages.txt" | grep -v '^$' | paste -sd, -)
base_packages="systemd,systemd-sysv,dbus,python3,sudo,ca-certificates"

echo "debootstrap $suite into $rootfs"
debootstrap --variant=minbase --include="$base_packages" "$suite" "$rootfs" "$mirror" >"$rootfs.log" 2>&1 \
  || { tail -20 "$rootfs.log" >&2; exit 1; }
rm -f "$rootfs.log"

# Services installed below must not start inside the chroot.
printf '#!/bin/sh\nexit 101\n' >"$rootfs/usr/sbin/policy-rc.d"
chmod 0755 "$rootfs/usr/sbin/policy-rc.d"

mount -t proc proc "$rootfs/proc"
chroot "$rootfs" apt-get -qq update
chroot "$rootfs" env DEBIAN_FRONTEND=noninteractive apt-get -qq -y install --no-install-recommends \
  $(echo "$packages" | tr , ' ') >/dev/null 2>&1
umount "$rootfs/proc"

# The package creates a cluster; the lab's database role creates its own.
for cluster in $(chroot "$rootfs" pg_lsclusters -h | awk '{print $1 "/" $2}'); do
  chroot "$rootfs" pg_dropcluster "${cluster%/*}" "${cluster#*/}"
done

# Roles enable what a host needs; nothing else runs on a fresh container.
chroot "$rootfs" systemctl disable nginx php8.2-fpm postgresql >/dev/null 2>&1 || true
chroot "$rootfs" systemctl mask systemd-resolved.service getty@tty1.service console-getty.service \
  systemd-logind.service >/dev/null 2>&1 || true
rm -f "$rootfs/usr/sbin/policy-rc.d"

# Hosts are reached the way a team reaches its own: over SSH, as an
# unprivileged `deploy` user with passwordless sudo, never as root. The lab
# role installs the controller's key (generated per lab, never in git).
chroot "$rootfs" useradd --create-home --shell /bin/bash deploy
chroot "$rootfs" usermod --password '*' deploy
printf 'deploy ALL=(ALL:ALL) NOPASSWD: ALL\n' >"$rootfs/etc/sudoers.d/deploy"
chmod 0440 "$rootfs/etc/sudoers.d/deploy"
printf '%s\n' 'PermitRootLogin no' 'PasswordAuthentication no' 'KbdInteractiveAuthentication no' \
  >"$rootfs/etc/ssh/sshd_config.d/lab.conf"
# Without CAP_AUDIT_CONTROL a container cannot set the login uid; a session
# must not fail on it.
sed -i 's/^session\s\+required\s\+pam_loginuid.so/session optional pam_loginuid.so/' "$rootfs/etc/pam.d/sshd"
# No host key in the image: each container makes its own at first boot, so
# two hosts (or two labs) never share one.
rm -f "$rootfs"/etc/ssh/ssh_host_*
mkdir -p "$rootfs/etc/systemd/system/ssh.service.d"
printf '%s\n' '[Service]' 'ExecStartPre=' 'ExecStartPre=/usr/bin/ssh-keygen -A' 'ExecStartPre=/usr/sbin/sshd -t' \
  >"$rootfs/etc/systemd/system/ssh.service.d/host-keys.conf"
chroot "$rootfs" systemctl enable ssh.service >/dev/null 2>&1
sed -i 's/^# *en_US.UTF-8/en_US.UTF-8/' "$rootfs/etc/locale.gen"
chroot "$rootfs" locale-gen >/dev/null
chroot "$rootfs" apt-get clean
rm -rf "$rootfs"/var/lib/apt/lists/*
# Docker manages these per container.
: >"$rootfs/etc/machine-id"
rm -f "$rootfs/etc/hostname" "$rootfs/etc/resolv.conf"

echo "importing $image"
tar -C "$rootfs" -c . | docker import \
  --change 'CMD ["/lib/systemd/systemd"]' \
  --change 'ENV container=docker' \
  - "$image" >/dev/null
docker tag "$image" django-takeover-lab:latest
echo "built $image"
