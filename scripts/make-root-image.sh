#!/usr/bin/env bash
# Builds the sample stack's root image from local material only (nothing can be
# pulled here): a tiny root filesystem made of Debian's busybox-static, with an
# applet symlink for every command busybox provides, /etc/passwd, /etc/group,
# /etc/os-release and the usual directories, imported with `docker import` as
#
#     datahub-local/busybox-root:<busybox version>     (e.g. 1.35.0)
#
# Idempotent: if that tag already exists, nothing is done. The tag is printed
# on stdout (and nothing else is), so callers can write
#     tag=$(scripts/make-root-image.sh)
# images/spec.yml refers to it through the variable ROOT_IMAGE.
#
# Needs: busybox-static and a running docker daemon (scripts/setup.sh,
# scripts/services.sh start).
set -euo pipefail

REPOSITORY=${DATAHUB_ROOT_REPOSITORY:-datahub-local/busybox-root}
BUSYBOX=/bin/busybox

die() { echo "make-root-image.sh: error: $*" >&2; exit 1; }
log() { echo "make-root-image.sh: $*" >&2; }

[[ -x $BUSYBOX ]] || die "$BUSYBOX not found: apt-get install busybox-static (or run scripts/setup.sh)"
# Debian's plain `busybox` package is linked dynamically and would not run in
# an empty root filesystem; busybox-static (which replaces it) does.
dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q 'install ok installed' \
  || die "busybox-static is not installed: apt-get install busybox-static (or run scripts/setup.sh)"
docker info >/dev/null 2>&1 || die "no docker daemon answers: run scripts/services.sh start"

# "BusyBox v1.35.0 (Debian 1:1.35.0-4+deb12u1+b1) multi-call binary." -> 1.35.0
version=$("$BUSYBOX" 2>&1 | sed -n '1s/^BusyBox v\([0-9][0-9A-Za-z.]*\).*/\1/p')
[[ -n $version ]] || die "cannot read the version of $BUSYBOX"
tag="$REPOSITORY:$version"

if docker image inspect "$tag" >/dev/null 2>&1; then
  log "$tag exists already"
  echo "$tag"
  exit 0
fi

rootfs=$(mktemp -d "${TMPDIR:-/tmp}/datahub-rootfs.XXXXXX")
trap 'rm -rf "$rootfs"' EXIT

mkdir -p "$rootfs"/{bin,sbin,usr/bin,usr/sbin,usr/local/bin,usr/local/sbin,etc,root,home,opt,var/tmp,tmp,proc,sys,dev,run}
chmod 1777 "$rootfs/tmp" "$rootfs/var/tmp"
chmod 0700 "$rootfs/root"
cp "$BUSYBOX" "$rootfs/bin/busybox"
chmod 0755 "$rootfs/bin/busybox"

# One symlink per applet, at the place busybox itself would install it
# (bin/sh, usr/bin/awk, sbin/ifconfig ...).
count=0
while IFS= read -r applet; do
  [[ -n $applet && $applet != bin/busybox ]] || continue
  mkdir -p "$rootfs/$(dirname "$applet")"
  ln -sf /bin/busybox "$rootfs/$applet"
  count=$((count + 1))
done < <("$BUSYBOX" --list-full)
[[ -L $rootfs/bin/sh ]] || die "busybox has no sh applet"

cat > "$rootfs/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
cat > "$rootfs/etc/group" <<'EOF'
root:x:0:
users:x:100:
nogroup:x:65534:
EOF
cat > "$rootfs/etc/os-release" <<EOF
NAME="DataHub local root"
ID=datahub-busybox
VERSION_ID="$version"
PRETTY_NAME="DataHub local root (BusyBox $version)"
EOF
echo "$version" > "$rootfs/etc/busybox-version"

log "importing $tag ($count applets)"
tar --numeric-owner --owner=0 --group=0 -C "$rootfs" -cf - . \
  | docker import \
      -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
      -c 'WORKDIR /' \
      -c 'CMD ["sh"]' \
      -m "busybox-static $version root filesystem made by scripts/make-root-image.sh" \
      - "$tag" >/dev/null

# Smoke test: the shell and a few applets work inside the image.
out=$(docker run --rm --network none "$tag" sh -c 'echo ok; id -un; ls / >/dev/null') \
  || die "the new image $tag does not run"
[[ $out == $'ok\nroot' ]] || die "unexpected output from $tag: $out"

log "built $tag"
echo "$tag"
