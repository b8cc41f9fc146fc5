#!/usr/bin/env bash
# Builds an OCI image layout for every garden binary without Docker (umoci + skopeo), then checks each image.
#   hack/images.sh            build all images from the binaries already built, then check them
#   hack/images.sh --check    only check the layouts built before (no rebuild)
#   hack/images.sh --help
#
# No registry is reachable from here and nothing is pushed: each image is an OCI layout directory
# $GARDEN_IMAGES_DIR/<binary> (default <cargo target dir>/images/<binary>) tagged with the workspace version, e.g.
#   skopeo inspect oci:<target>/images/gardenlet:0.1.0
#   skopeo copy oci:<target>/images/gardenlet:0.1.0 docker://<registry>/garden/gardenlet:0.1.0   (to publish one)
# Images are garden/<binary>:<version>. Nothing is compiled here: CI builds debug binaries only (no --release in CI), so
# the images come from <target>/debug (`cargo build --workspace --bins`); IMAGES_PROFILE=release (as BENCH_PROFILE in
# the bench scripts) takes <target>/release instead (`cargo build --release --workspace --bins`).
#
# No musl target is available, so every image is a minimal base made from this host: the binary, exactly the shared
# libraries `ldd` names for it plus the dynamic loader, /etc/passwd and /etc/group with the user nonroot (65532),
# /etc/nsswitch.conf, the host's /etc/ssl/certs/ca-certificates.crt, /tmp (1777) and /home/nonroot (the working
# directory). Two layers: that base, then the binaries (and the portal's front end). Entry point: the binary, user
# 65532:65532, labels org.opencontainers.image.{title,version,source,revision}. File times and the creation time are
# the commit's, so rebuilding the same binaries gives the same digests; re-running replaces the layouts.
#   machine-controller  also carries local-node next to it (its local provider starts local-node from there)
#   garden-dashboard    also carries dashboard/frontend/dist at /usr/share/garden-dashboard, named by the variable
#                       GARDEN_DASHBOARD_STATIC_DIR (a --static-dir flag overrides it)
#
# The check (always after a build): `skopeo inspect` and `skopeo inspect --config` (amd64, linux, entry point, user,
# labels); the image unpacked with umoci: binaries present, every NEEDED library (readelf -d) and the interpreter in
# the image, `ld.so --list` resolving every library inside the image, and the entry point's `--help` run through the
# image's own loader and libraries (no chroot) exiting 0. One line per image with its size and digest; exits non-zero
# on any failure.
#
# Environment: CARGO_TARGET_DIR (honoured as by cargo), IMAGES_PROFILE (debug|release, default debug),
# GARDEN_IMAGES_DIR, GARDEN_IMAGES_SOURCE (the source label; default: the git remote origin, else file://<repo>).
# Installs umoci, skopeo, binutils (readelf), python3, ca-certificates with apt-get when missing.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=hack/lib.sh
source "$ROOT/hack/lib.sh"

MODE=build
for arg in "$@"; do
  case "$arg" in
    --help | -h)
      sed -n '2,/^set -euo pipefail$/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    --check) MODE=check ;;
    *) garden::die "unknown argument '$arg' (see hack/images.sh --help)" ;;
  esac
done

# The images: name -> binaries (the first is the entry point; all go to /usr/local/bin).
IMAGES=(
  garden-apiserver
  garden-controller-manager
  gardenlet
  machine-controller
  etcd-backup
  gardener-extension-provider-local
  gardener-extension-provider-aws
  gardener-extension-provider-openstack
  garden-dashboard
)
declare -A EXTRA_BINS=(
  # machine-controller's local driver runs `local-node` from next to its own binary (--local-node-binary).
  [machine-controller]="local-node"
)
# Binaries of this host that an image carries too (absolute paths; installed into BIN_PATH under their names).
declare -A HOST_BINS=(
  # etcd-backup's restore rebuilds a data directory with a temporary etcd and etcdctl (Debian's etcd-server and
  # etcd-client: the restore init container of the kubernetes control-plane runtime runs from this image).
  [etcd-backup]="/usr/bin/etcd /usr/bin/etcdctl"
)
BIN_PATH=/usr/local/bin
DASHBOARD_STATIC=/usr/share/garden-dashboard
NONROOT_UID=65532
LOADER=/lib64/ld-linux-x86-64.so.2
CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt

images::bins() { # the binaries of image $1 (names in the image's BIN_PATH), entry point first
  printf '%s\n' "$1"
  local extra
  for extra in ${EXTRA_BINS[$1]:-} ${HOST_BINS[$1]:-}; do printf '%s\n' "${extra##*/}"; done
}

images::source() { # where binary $2 of image $1 comes from
  local host
  for host in ${HOST_BINS[$1]:-}; do
    if [[ "${host##*/}" == "$2" ]]; then printf '%s\n' "$host"; return; fi
  done
  printf '%s\n' "$BIN_DIR/$2"
}

images::entrypoint() { # the entry point of image $1, one argument a line
  printf '%s\n' "$BIN_PATH/$1"
}

images::ensure_tools() {
  local -a missing=()
  command -v umoci >/dev/null 2>&1 || missing+=(umoci)
  command -v skopeo >/dev/null 2>&1 || missing+=(skopeo)
  command -v readelf >/dev/null 2>&1 || missing+=(binutils)
  command -v python3 >/dev/null 2>&1 || missing+=(python3)
  [[ -s "$CA_BUNDLE" ]] || missing+=(ca-certificates)
  if [[ ${#missing[@]} -gt 0 ]]; then
    garden::apt_install "${missing[@]}"
  fi
  local cmd
  for cmd in umoci skopeo readelf python3 ldd; do
    command -v "$cmd" >/dev/null 2>&1 || garden::die "'$cmd' still missing after installing packages"
  done
  [[ -s "$CA_BUNDLE" ]] || garden::die "$CA_BUNDLE still missing after installing ca-certificates"
}

# umoci needs --rootless when not run as root (files then belong to root in the image).
UMOCI_UNPACK=(umoci unpack)
if [[ "$(id -u)" -ne 0 ]]; then UMOCI_UNPACK+=(--rootless); fi

PROFILE="${IMAGES_PROFILE:-debug}"
case "$PROFILE" in
  debug) BUILD_CMD="cargo build --workspace --bins" ;;
  release) BUILD_CMD="cargo build --release --workspace --bins" ;;
  *) garden::die "IMAGES_PROFILE must be debug or release, not '$PROFILE'" ;;
esac
TARGET_DIR="$(garden::target_dir)"
if [[ "$PROFILE" == debug ]]; then BIN_DIR="$(garden::bin_dir)"; else BIN_DIR="$TARGET_DIR/release"; fi
IMAGES_DIR="${GARDEN_IMAGES_DIR:-$TARGET_DIR/images}"
case "$IMAGES_DIR" in /*) ;; *) IMAGES_DIR="$(pwd)/$IMAGES_DIR" ;; esac

VERSION="$(awk '/^\[/{s=($0=="[workspace.package]")} s && /^version *=/{gsub(/.*= *"|".*/,""); print; exit}' \
  "$ROOT/Cargo.toml")"
[[ -n "$VERSION" ]] || garden::die "no version in [workspace.package] of $ROOT/Cargo.toml"
REVISION="$(git -C "$ROOT" rev-parse HEAD)" || garden::die "git rev-parse HEAD failed in $ROOT (the revision label)"
CREATED="$(TZ=UTC git -C "$ROOT" log -1 --format=%cd --date=format-local:%Y-%m-%dT%H:%M:%SZ HEAD)"
EPOCH="$(git -C "$ROOT" log -1 --format=%ct HEAD)"
SOURCE="${GARDEN_IMAGES_SOURCE:-$(git -C "$ROOT" remote get-url origin 2>/dev/null || printf 'file://%s' "$ROOT")}"

WORK_DIRS=()
cleanup() {
  local d
  for d in "${WORK_DIRS[@]}"; do [[ -n "$d" ]] && rm -rf "$d"; done
}
trap cleanup EXIT

# images::run LOG CMD...: runs a tool with its output in LOG, shown only when it fails.
images::run() {
  local log="$1"
  shift
  if ! "$@" >>"$log" 2>&1; then
    printf 'ERROR: %s failed:\n' "$*" >&2
    sed 's/^/  /' "$log" >&2
    return 1
  fi
}

# Sets every file time under $1 to the commit's, so the layers are reproducible.
images::normalize_times() {
  find "$1" -exec touch -h -d "@$EPOCH" {} +
}

# images::libraries BINARY...: the shared libraries ldd names for the binaries (absolute paths, the loader included).
images::libraries() {
  local bin out
  for bin in "$@"; do
    out="$(ldd "$bin" 2>&1)" || garden::die "ldd $bin failed: $out"
    if grep -q 'not found' <<<"$out"; then garden::die "ldd $bin: a library is missing on this host: $out"; fi
    # "libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x...)" and "/lib64/ld-linux-x86-64.so.2 (0x...)";
    # linux-vdso.so.1 lives in the kernel.
    awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// {print $1}' <<<"$out"
  done | sort -u
}

# images::base ROOTFS BINARY...: the minimal base the binaries need.
images::base() {
  local rootfs="$1"
  shift
  local lib libs
  libs="$(images::libraries "$@")"
  while IFS= read -r lib; do
    # The real file at the path ldd names (Debian's /lib64/ld-linux-x86-64.so.2 is a symlink into /lib).
    mkdir -p "$rootfs$(dirname "$lib")"
    cp -L "$lib" "$rootfs$lib"
  done <<<"$libs"
  mkdir -p "$rootfs/etc/ssl/certs" "$rootfs/tmp" "$rootfs/home/nonroot" "$rootfs$BIN_PATH"
  cat >"$rootfs/etc/passwd" <<EOF
root:x:0:0:root:/root:/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin
nonroot:x:$NONROOT_UID:$NONROOT_UID:nonroot:/home/nonroot:/sbin/nologin
EOF
  cat >"$rootfs/etc/group" <<EOF
root:x:0:
nogroup:x:65534:
nonroot:x:$NONROOT_UID:
EOF
  printf 'passwd: files\ngroup: files\nhosts: files dns\n' >"$rootfs/etc/nsswitch.conf"
  cp "$CA_BUNDLE" "$rootfs$CA_BUNDLE"
  chmod 0644 "$rootfs/etc/passwd" "$rootfs/etc/group" "$rootfs/etc/nsswitch.conf" "$rootfs$CA_BUNDLE"
  chmod 1777 "$rootfs/tmp"
  if [[ "$(id -u)" -eq 0 ]]; then
    chown -R 0:0 "$rootfs"
    chown "$NONROOT_UID:$NONROOT_UID" "$rootfs/home/nonroot"
    chmod 0700 "$rootfs/home/nonroot"
  else
    chmod 1777 "$rootfs/home/nonroot" # rootless: no chown to 65532 possible
  fi
}

images::build() {
  local name="$1" work layout bundle rootfs log bin
  local -a bins=() entry=() cfg=()
  mapfile -t bins < <(images::bins "$name")
  mapfile -t entry < <(images::entrypoint "$name")
  work="$(mktemp -d "$IMAGES_DIR/.build-$name.XXXXXX")"
  WORK_DIRS+=("$work")
  layout="$work/layout" bundle="$work/bundle" rootfs="$work/bundle/rootfs" log="$work/log"
  local image="$layout:$VERSION"

  images::run "$log" umoci init --layout "$layout"
  images::run "$log" umoci new --image "$image"
  images::run "$log" "${UMOCI_UNPACK[@]}" --image "$image" "$bundle"

  # Layer 1: the base.
  local -a sources=()
  for bin in "${bins[@]}"; do sources+=("$(images::source "$name" "$bin")"); done
  images::base "$rootfs" "${sources[@]}"
  images::normalize_times "$rootfs"
  local libnames
  libnames="$(images::libraries "${sources[@]}" | grep -v "$LOADER" | xargs -n1 basename | paste -sd ' ')"
  images::run "$log" umoci repack --refresh-bundle --image "$image" --history.created "$CREATED" \
    --history.created_by "hack/images.sh: base (loader, $libnames, passwd, group, CA certificates, /tmp)" "$bundle"

  # Layer 2: the binaries (and the portal's front end).
  for bin in "${bins[@]}"; do
    install -m 0755 "$(images::source "$name" "$bin")" "$rootfs$BIN_PATH/$bin"
  done
  local what="${bins[*]}"
  if [[ "$name" == garden-dashboard ]]; then
    mkdir -p "$rootfs$DASHBOARD_STATIC"
    cp -R "$ROOT/dashboard/frontend/dist/." "$rootfs$DASHBOARD_STATIC/"
    chmod -R u=rwX,go=rX "$rootfs$DASHBOARD_STATIC"
    what+=" + dashboard/frontend/dist"
  fi
  if [[ "$(id -u)" -eq 0 ]]; then chown -R 0:0 "$rootfs$BIN_PATH" "$rootfs/usr/share" 2>/dev/null || true; fi
  images::normalize_times "$rootfs"
  images::run "$log" umoci repack --refresh-bundle --image "$image" --history.created "$CREATED" \
    --history.created_by "hack/images.sh: $what ($PROFILE)" "$bundle"

  # The configuration.
  cfg=(--architecture amd64 --os linux --created "$CREATED" --history.created "$CREATED"
    --history.created_by "hack/images.sh: config"
    --config.user "$NONROOT_UID:$NONROOT_UID" --config.workingdir /home/nonroot
    --config.env "PATH=/usr/local/bin:/usr/bin:/bin" --config.env "SSL_CERT_FILE=$CA_BUNDLE"
    --config.label "org.opencontainers.image.title=garden/$name"
    --config.label "org.opencontainers.image.version=$VERSION"
    --config.label "org.opencontainers.image.source=$SOURCE"
    --config.label "org.opencontainers.image.revision=$REVISION")
  if [[ "$name" == garden-dashboard ]]; then cfg+=(--config.env "GARDEN_DASHBOARD_STATIC_DIR=$DASHBOARD_STATIC"); fi
  local arg
  for arg in "${entry[@]}"; do cfg+=(--config.entrypoint "$arg"); done
  images::run "$log" umoci config --image "$image" "${cfg[@]}"
  images::run "$log" umoci gc --layout "$layout"

  # Replace the old layout (if any).
  rm -rf "${IMAGES_DIR:?}/$name"
  mv "$layout" "$IMAGES_DIR/$name"
  rm -rf "$work"
  garden::log "built garden/$name:$VERSION ($what) in $IMAGES_DIR/$name"
}

# images::check NAME: prints "ok ..." with size and digest, or the failures (returns 1).
images::check() {
  local name="$1" dir="$IMAGES_DIR/$1" inspect config manifest work bundle rootfs log bin
  local -a bins=() entry=() problems=()
  mapfile -t bins < <(images::bins "$name")
  mapfile -t entry < <(images::entrypoint "$name")
  if [[ ! -f "$dir/index.json" ]]; then
    printf 'FAIL garden/%s:%s: no OCI layout at %s (run hack/images.sh)\n' "$name" "$VERSION" "$dir"
    return 1
  fi
  if ! inspect="$(skopeo inspect "oci:$dir:$VERSION" 2>&1)"; then
    printf 'FAIL garden/%s:%s: skopeo inspect oci:%s:%s: %s\n' "$name" "$VERSION" "$dir" "$VERSION" "$inspect"
    return 1
  fi
  if ! config="$(skopeo inspect --config "oci:$dir:$VERSION" 2>&1)"; then
    printf 'FAIL garden/%s:%s: skopeo inspect --config: %s\n' "$name" "$VERSION" "$config"
    return 1
  fi
  if ! manifest="$(skopeo inspect --raw "oci:$dir:$VERSION" 2>&1)"; then
    printf 'FAIL garden/%s:%s: skopeo inspect --raw: %s\n' "$name" "$VERSION" "$manifest"
    return 1
  fi
  # The metadata, as skopeo reads it.
  local meta
  meta="$(python3 - "$inspect" "$config" "$manifest" "$NONROOT_UID:$NONROOT_UID" "garden/$name" "$VERSION" "$SOURCE" "$REVISION" \
    "${entry[@]}" <<'PY'
import json, sys
inspect, config, manifest = (json.loads(a) for a in sys.argv[1:4])
user, title, version, source, revision = sys.argv[4:9]
entry = sys.argv[9:]
problems = []
def want(what, got, expected):
    if got != expected:
        problems.append(f"{what} is {got!r}, want {expected!r}")
want("architecture (inspect)", inspect.get("Architecture"), "amd64")
want("os (inspect)", inspect.get("Os"), "linux")
want("architecture (config)", config.get("architecture"), "amd64")
want("os (config)", config.get("os"), "linux")
c = config.get("config") or {}
want("entrypoint", c.get("Entrypoint"), entry)
want("user", c.get("User"), user)
labels = {"org.opencontainers.image.title": title, "org.opencontainers.image.version": version,
          "org.opencontainers.image.source": source, "org.opencontainers.image.revision": revision}
for k, v in labels.items():
    want(f"label {k} (config)", (c.get("Labels") or {}).get(k), v)
    want(f"label {k} (inspect)", (inspect.get("Labels") or {}).get(k), v)
# skopeo 1.9's inspect has no LayersData: the compressed size is the manifest's layer sizes.
size = sum(l.get("size", 0) for l in manifest.get("layers") or [])
want("layers (manifest vs inspect)", [l.get("digest") for l in manifest.get("layers") or []], inspect.get("Layers"))
print(inspect.get("Digest", "?"), size, len(inspect.get("Layers") or []))
for a in c.get("Entrypoint") or []:
    print("E", a.replace("\n", " "))
for p in problems:
    print("P", p)
PY
  )" || {
    printf 'FAIL garden/%s:%s: reading the metadata failed: %s\n' "$name" "$VERSION" "$meta"
    return 1
  }
  local digest size layers
  read -r digest size layers <<<"$(head -n1 <<<"$meta")"
  # The image's own entry point is what runs below.
  local -a image_entry=()
  mapfile -t image_entry < <(sed -n 's/^E //p' <<<"$meta")
  mapfile -t -O "${#problems[@]}" problems < <(sed -n 's/^P //p' <<<"$meta")
  [[ ${#image_entry[@]} -gt 0 ]] || image_entry=("${entry[@]}")

  # The content, unpacked.
  work="$(mktemp -d "${TMPDIR:-/tmp}/garden-image-check.XXXXXX")"
  WORK_DIRS+=("$work")
  bundle="$work/bundle" rootfs="$work/bundle/rootfs" log="$work/log"
  if ! images::run "$log" "${UMOCI_UNPACK[@]}" --image "$dir:$VERSION" "$bundle"; then
    printf 'FAIL garden/%s:%s: umoci unpack failed\n' "$name" "$VERSION"
    rm -rf "$work"
    return 1
  fi
  local -a libdirs=()
  local d
  for d in /lib/x86_64-linux-gnu /usr/lib/x86_64-linux-gnu /lib64 /usr/lib64 /lib /usr/lib; do
    [[ -d "$rootfs$d" ]] && libdirs+=("$rootfs$d")
  done
  local libpath
  libpath="$(IFS=:; printf '%s' "${libdirs[*]}")"
  local loader="$rootfs$LOADER"
  [[ -x "$loader" ]] || problems+=("no loader $LOADER in the image")

  # Every ELF file of the image: its interpreter and NEEDED libraries must be in the image.
  local -a elves=()
  for bin in "${bins[@]}"; do
    if [[ -x "$rootfs$BIN_PATH/$bin" ]]; then
      elves+=("$rootfs$BIN_PATH/$bin")
    else
      problems+=("no executable $BIN_PATH/$bin in the image")
    fi
  done
  while IFS= read -r -d '' f; do elves+=("$f"); done < <(find "${libdirs[@]}" -maxdepth 1 -type f -name '*.so*' -print0)
  local f interp soname found
  for f in "${elves[@]}"; do
    interp="$(readelf -lW "$f" 2>/dev/null | sed -n 's/.*Requesting program interpreter: \(.*\)]$/\1/p')"
    if [[ -n "$interp" && ! -e "$rootfs$interp" ]]; then problems+=("${f#"$rootfs"}: interpreter $interp not in the image"); fi
    while IFS= read -r soname; do
      found=""
      for d in "${libdirs[@]}"; do [[ -e "$d/$soname" ]] && found=1 && break; done
      [[ -n "$found" ]] || problems+=("${f#"$rootfs"} needs $soname, not in the image")
    done < <(readelf -dW "$f" 2>/dev/null | sed -n 's/.*(NEEDED).*Shared library: \[\(.*\)\]$/\1/p')
  done

  # ldd with the image's loader and lib dirs: every library resolves inside the image.
  if [[ -x "$loader" ]]; then
    for bin in "${bins[@]}"; do
      [[ -x "$rootfs$BIN_PATH/$bin" ]] || continue
      local list
      if ! list="$("$loader" --inhibit-cache --library-path "$libpath" --list "$rootfs$BIN_PATH/$bin" 2>&1)"; then
        problems+=("ld.so --list $BIN_PATH/$bin failed: $list")
        continue
      fi
      while IFS= read -r line; do
        problems+=("$BIN_PATH/$bin: library not from the image: $line")
      done < <(awk -v root="$rootfs" '$2 == "=>" && index($3, root "/") != 1 {print}' <<<"$list")
    done
  fi

  # The entry point's --help through the image's loader and libraries. The loader would still fall back to the
  # host's system directories for a library the image lacks: its own trace (LD_DEBUG=libs) must show every object
  # it initialised coming from the image.
  if [[ -x "$loader" && -x "$rootfs${image_entry[0]}" ]]; then
    local out rc=0
    out="$(cd "$work" && LD_DEBUG=libs LD_DEBUG_OUTPUT="$work/ld-debug" "$loader" --inhibit-cache \
      --library-path "$libpath" "$rootfs${image_entry[0]}" "${image_entry[@]:1}" --help 2>&1)" || rc=$?
    if [[ "$rc" -ne 0 ]]; then
      problems+=("${image_entry[*]} --help exited $rc: $(head -c 600 <<<"$out" | tr -s "\n" " ")")
    elif ! grep -q -- '--help' <<<"$out"; then
      problems+=("${image_entry[*]} --help printed no usage: $(head -c 300 <<<"$out" | tr -s "\n" " ")")
    fi
    if ! compgen -G "$work/ld-debug.*" >/dev/null; then
      problems+=("${image_entry[*]} --help: the loader wrote no LD_DEBUG trace")
    else
      while IFS= read -r line; do
        problems+=("${image_entry[*]} --help loaded a library from outside the image: $line")
      done < <(sed -n 's/.*calling init: \(.*\)$/\1/p' "$work"/ld-debug.* | awk -v root="$rootfs" 'index($0, root "/") != 1' |
        sort -u)
    fi
  fi

  # The base.
  grep -q "^nonroot:x:$NONROOT_UID:$NONROOT_UID:" "$rootfs/etc/passwd" 2>/dev/null ||
    problems+=("/etc/passwd has no nonroot user $NONROOT_UID")
  grep -q "^nonroot:x:$NONROOT_UID:" "$rootfs/etc/group" 2>/dev/null || problems+=("/etc/group has no group $NONROOT_UID")
  [[ -s "$rootfs$CA_BUNDLE" ]] || problems+=("no $CA_BUNDLE")
  [[ "$(stat -c %a "$rootfs/tmp" 2>/dev/null)" == 1777 ]] || problems+=("/tmp missing or not mode 1777")
  if [[ "$name" == garden-dashboard && ! -f "$rootfs$DASHBOARD_STATIC/index.html" ]]; then
    problems+=("no $DASHBOARD_STATIC/index.html (the portal's front end)")
  fi

  local unpacked
  unpacked="$(du -sb "$rootfs" | cut -f1)"
  rm -rf "$work"
  if [[ ${#problems[@]} -gt 0 ]]; then
    printf 'FAIL garden/%s:%s (%s):\n' "$name" "$VERSION" "$dir"
    printf '  - %s\n' "${problems[@]}"
    return 1
  fi
  printf 'ok   garden/%-52s %7.1f MiB compressed (%s layers), %7.1f MiB unpacked  %s\n' "$name:$VERSION" \
    "$(awk -v b="$size" 'BEGIN{print b/1048576}')" "$layers" "$(awk -v b="$unpacked" 'BEGIN{print b/1048576}')" "$digest"
}

images::ensure_tools

if [[ "$MODE" == build ]]; then
  missing=()
  for name in "${IMAGES[@]}"; do
    while IFS= read -r bin; do
      src="$(images::source "$name" "$bin")"
      [[ -x "$src" ]] || missing+=("$src")
    done < <(images::bins "$name")
  done
  if [[ ${#missing[@]} -gt 0 ]]; then
    garden::die "missing binaries (${PROFILE} build): ${missing[*]} -- build them with \`$BUILD_CMD\`, then rerun"
  fi
  if [[ ! -f "$ROOT/dashboard/frontend/dist/index.html" ]]; then
    garden::die "the portal's front end is not built (no dashboard/frontend/dist/index.html): \
(cd dashboard/frontend && npm ci && npm run build), or hack/test.sh"
  fi
  mkdir -p "$IMAGES_DIR"
  garden::log "building ${#IMAGES[@]} images ($PROFILE binaries from $BIN_DIR, revision $REVISION) into $IMAGES_DIR"
  for name in "${IMAGES[@]}"; do
    images::build "$name"
  done
fi

garden::log "checking ${#IMAGES[@]} images in $IMAGES_DIR"
failed=0
for name in "${IMAGES[@]}"; do
  images::check "$name" || failed=$((failed + 1))
done
if [[ "$failed" -gt 0 ]]; then
  garden::die "$failed of ${#IMAGES[@]} images failed the check"
fi
garden::log "all ${#IMAGES[@]} images ok"
