#!/usr/bin/env bash
# Usage: molecule/image/build.sh [bookworm|trixie|bookworm-ssh]        (default: bookworm)
#
# Builds a Debian systemd test-host image, reproducibly and only when its recipe changes:
#   bookworm -> flask-toolkit/debian12-systemd, trixie -> flask-toolkit/debian13-systemd;
#   bookworm-ssh -> flask-toolkit/debian12-ssh: the first with sshd and a sudo user
#   (Dockerfile.ssh), reached over SSH as users reach servers (scripts/bench, mitogen scenario).
#
# No image registry is reachable, so the base is made here: debootstrap (minbase, the suite)
# into a folder, imported with `docker import`. The Dockerfile next to this script adds systemd;
# it is the same for both suites, so that the two test hosts differ only by their release.
# Both images carry the hash of the recipe in their tag; an image whose tag exists is reused.
#
# Prints the image name on stdout. Needs root (debootstrap) and a running Docker engine.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
suite=${1:-bookworm}
if [ "$suite" = bookworm-ssh ]; then
  base=$("$here/build.sh" bookworm)
  recipe_hash=$( (docker image inspect -f '{{.Id}}' "$base"; cat "$here/Dockerfile.ssh") | sha256sum | cut -c1-12)
  image="flask-toolkit/debian12-ssh:$recipe_hash"
  if ! docker image inspect "$image" >/dev/null 2>&1; then
    echo "[image] building $image" >&2
    docker build --quiet --build-arg BASE_IMAGE="$base" -f "$here/Dockerfile.ssh" \
      --label "org.flask-toolkit.recipe=$recipe_hash" -t "$image" "$here" >&2
  fi
  docker tag "$image" flask-toolkit/debian12-ssh:latest
  echo flask-toolkit/debian12-ssh:latest
  exit 0
fi
case $suite in
  bookworm) release=12 ;;
  trixie) release=13 ;;
  *) echo "usage: $0 [bookworm|trixie]" >&2; exit 64 ;;
esac
name=${FLASK_TOOLKIT_IMAGE_NAME:-flask-toolkit/debian$release-systemd}
variant=minbase

recipe_hash=$( (echo "$suite $variant"; cat "$here/Dockerfile" "$here/build.sh") | sha256sum | cut -c1-12)
base="flask-toolkit/${suite}-${variant}:$(echo "$suite $variant" | sha256sum | cut -c1-12)"
image="$name:$recipe_hash"

log() { echo "[image] $*" >&2; }

if docker image inspect "$image" >/dev/null 2>&1; then
  log "$image is up to date"
else
  if ! docker image inspect "$base" >/dev/null 2>&1; then
    log "debootstrap $suite ($variant) -> $base"
    rootfs=$(mktemp -d)
    trap 'rm -rf "$rootfs" "$rootfs.log"' EXIT
    # debootstrap's built-in default mirror: no host name of ours to keep up to date. Its
    # progress is hundreds of lines per suite: kept in a log, shown only when it fails.
    if ! debootstrap --variant="$variant" "$suite" "$rootfs" >"$rootfs.log" 2>&1; then
      cat "$rootfs.log" >&2
      exit 1
    fi
    # Same bytes for the same packages: no apt lists, caches or logs in the base.
    rm -rf "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/log/*
    tar --numeric-owner -C "$rootfs" -c . | docker import - "$base" >&2
  fi
  log "building $image"
  docker build --quiet --build-arg BASE_IMAGE="$base" \
    --label "org.flask-toolkit.recipe=$recipe_hash" -t "$image" "$here" >&2
fi
# Molecule and the sandbox refer to the image by this stable tag.
docker tag "$image" "$name:latest"
echo "$name:latest"
