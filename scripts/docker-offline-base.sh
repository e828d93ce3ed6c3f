#!/usr/bin/env bash
# Makes the base images the Dockerfiles start FROM (debian:bookworm-slim and
# node:20-bookworm-slim) on a machine whose Docker engine reaches no image registry.
# debootstrap builds a minimal Debian bookworm from the Debian mirror apt already
# uses; the Node image adds this machine's Node 20. Each image is tagged with the
# official name, so the same Dockerfiles build here and, elsewhere, from the real
# images. Images already present are left alone (pull the official ones instead
# where a registry answers).
#
# Needs: a reachable engine (DOCKER_HOST), debootstrap, root. Cache: RINGTAIL_CACHE_DIR.
set -euo pipefail

cache="${RINGTAIL_CACHE_DIR:-$HOME/.cache/ringtail}/docker-base"
rootfs_tar="$cache/bookworm-minbase.tar"
mkdir -p "$cache"

have_image() { docker image inspect "$1" >/dev/null 2>&1; }

# The first Debian mirror in apt's sources (deb822 or one-line format).
debian_mirror() {
  local uri
  uri=$(grep -hsE '^(URIs:|deb )' /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list /etc/apt/sources.list 2>/dev/null |
    grep -v security | sed -E 's/^URIs:[[:space:]]*//; s/^deb (\[[^]]*\] )?//' | awk '{print $1}' | head -n 1)
  echo "${uri:-http://deb.debian.org/debian}"
}

# CA certificates this machine trusts beyond Debian's own (a TLS-intercepting proxy or
# a private mirror), one PEM file each, so HTTPS from image builds (Maven, npm) works
# here as it does on the host. None on an ordinary machine.
host_extra_cas() {
  local out=$1 known f fp
  known=$(for f in /usr/share/ca-certificates/*/*.crt; do openssl x509 -in "$f" -noout -fingerprint -sha256; done | sort -u)
  awk -v dir="$out" '/BEGIN CERTIFICATE/ { n++ } n { print > (dir "/split-" n ".pem") }' /etc/ssl/certs/ca-certificates.crt
  for f in "$out"/split-*.pem; do
    fp=$(openssl x509 -in "$f" -noout -fingerprint -sha256 2>/dev/null) || { rm -f "$f"; continue; }
    if grep -qxF "$fp" <<<"$known"; then rm -f "$f"; else mv "$f" "${f/split-/ringtail-host-}"; fi
  done
  for f in "$out"/ringtail-host-*.pem; do [[ -e "$f" ]] && mv "$f" "${f%.pem}.crt"; done
  return 0
}

if ! have_image debian:bookworm-slim; then
  if [[ ! -s "$rootfs_tar" ]]; then
    mirror=$(debian_mirror)
    echo "docker-offline-base: debootstrap bookworm from $mirror"
    dir=$(mktemp -d "$cache/rootfs.XXXXXX")
    trap 'rm -rf "$dir"' EXIT
    debootstrap --variant=minbase bookworm "$dir" "$mirror" >"$cache/debootstrap.log" 2>&1 ||
      { tail -n 20 "$cache/debootstrap.log" >&2; exit 1; }
    # Sources as in the official image: the release, its updates and security.
    security="${mirror%/debian}/debian-security"
    printf 'deb %s bookworm main\ndeb %s bookworm-updates main\ndeb %s bookworm-security main\n' \
      "$mirror" "$mirror" "$security" >"$dir/etc/apt/sources.list"
    rm -rf "$dir"/var/cache/apt/archives/*.deb "$dir"/var/lib/apt/lists/*
    tar -C "$dir" -cf "$rootfs_tar.tmp" . && mv "$rootfs_tar.tmp" "$rootfs_tar"
    rm -rf "$dir"
    trap - EXIT
  fi
  docker import "$rootfs_tar" ringtail/bookworm-rootfs:offline >/dev/null
  ctx=$(mktemp -d "$cache/debian.XXXXXX")
  trap 'rm -rf "$ctx"' EXIT
  mkdir -p "$ctx/ca"
  host_extra_cas "$ctx/ca"
  # update-ca-certificates (run when an image installs ca-certificates) adds these to the
  # system and Java stores; Node reads the concatenation through NODE_EXTRA_CA_CERTS.
  cat "$ctx"/ca/*.crt >"$ctx/ringtail-host-ca.pem" 2>/dev/null || true
  cat >"$ctx/Dockerfile" <<'DOCKERFILE'
FROM ringtail/bookworm-rootfs:offline
COPY ca/ /usr/local/share/ca-certificates/
COPY ringtail-host-ca.pem /usr/local/share/ringtail-host-ca.pem
ENV NODE_EXTRA_CA_CERTS=/usr/local/share/ringtail-host-ca.pem
CMD ["bash"]
DOCKERFILE
  docker build -q -t debian:bookworm-slim "$ctx" >"$cache/build.log" 2>&1 || { cat "$cache/build.log" >&2; exit 1; }
  rm -rf "$ctx"
  trap - EXIT
  echo "docker-offline-base: debian:bookworm-slim imported"
fi

if ! have_image node:20-bookworm-slim; then
  node_bin=$(command -v node || true)
  [[ -n "$node_bin" && "$("$node_bin" -p 'process.versions.node.split(".")[0]')" == 20 ]] ||
    { echo "docker-offline-base: node:20-bookworm-slim needs this machine's node to be Node 20" >&2; exit 1; }
  npm_dir=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")
  ctx=$(mktemp -d "$cache/node.XXXXXX")
  trap 'rm -rf "$ctx"' EXIT
  mkdir -p "$ctx/usr/local/bin" "$ctx/usr/local/lib/node_modules"
  cp "$(readlink -f "$node_bin")" "$ctx/usr/local/bin/node"
  cp -r "$npm_dir" "$ctx/usr/local/lib/node_modules/npm"
  # Laid out as in the official image: node and npm under /usr/local.
  cat >"$ctx/Dockerfile" <<'DOCKERFILE'
FROM debian:bookworm-slim
COPY usr /usr
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \
 && node --version && npm --version
CMD ["node"]
DOCKERFILE
  docker build -q -t node:20-bookworm-slim "$ctx" >"$cache/build.log" 2>&1 || { cat "$cache/build.log" >&2; exit 1; }
  rm -rf "$ctx"
  trap - EXIT
  echo "docker-offline-base: node:20-bookworm-slim built with Node $("$node_bin" --version)"
fi
