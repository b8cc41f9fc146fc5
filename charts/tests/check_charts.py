#!/usr/bin/env python3
"""Renders, lints and validates every chart under charts/ with the real Helm engine (PyPI helm-python-sdk) and the
Kubernetes schemas (PyPI kubernetes-validate). Run by hack/charts.sh, which provides the venv.

For every chart (a directory of charts/ with a Chart.yaml; WORKLOADS names the binaries it runs):
- Chart.yaml: apiVersion v2, version and appVersion 0.1.0; values.yaml's image.repository (per workload: the
  values section's) is garden/<image> with an empty tag, an image hack/images.sh builds, carrying the binary;
  every value in values.yaml is documented (a comment above it or above one of its parents); a values.schema.json.
- every values file ci/*.yaml: rendered (Chart.render, is_install) and linted (helm_python.lint, kube_version
  v1.33.0; warnings and errors fail); every object validated strictly (kubernetes_validate, 1.33); then the
  cross-checks below.
- every values file ci/broken/*.yaml must fail to render (schema or `fail`). `# base: FILE` (relative to ci/)
  merges it over a working values file first, `# expect: TEXT` requires TEXT in the error, so that a broken file
  fails for the reason it was written for.

Cross-checks of a rendered release:
- labels app.kubernetes.io/{name,instance,version,component,part-of,managed-by} and helm.sh/chart on every object,
  namespaced objects in the release namespace (but RoleBindings to kube's built-in Roles in their namespace), no
  duplicates, no null values (empty template blocks);
- RoleBinding / ClusterRoleBinding: subject ServiceAccounts rendered in the same namespace (or named in values,
  serviceAccount.create false), roleRef rendered or one of kube's built-in roles (BUILTIN_ROLES);
- Service: selector matches a Deployment's or StatefulSet's pod labels, targetPort a port of its containers;
  Ingress backends name a rendered Service and its port; NetworkPolicy and PodDisruptionBudget selectors match
  rendered pods (policy ports their container ports; no budget that blocks every drain); a StatefulSet's
  serviceName a rendered headless Service selecting its pods; a pod's priorityClassName rendered, built in or
  named in values;
- Deployment / StatefulSet: selector within the pod labels; each container runs a binary of WORKLOADS, from
  garden/<image>:<appVersion> (or the values' image); resource requests; runAsNonRoot, no privilege escalation,
  read-only root filesystem; probes on container ports, HTTPS exactly on the binary's --secure-port; volume mounts
  on declared volumes (or volumeClaimTemplates); configMap / secret volumes name a rendered object (with the keys
  mounted) or a name given in values; the pod's ServiceAccount rendered or named in values; a kubeconfig using
  the pod's token file only with automountServiceAccountToken;
- the container's arguments against the binary's clap flags read from its Rust source (following
  #[command(flatten)]; etcd's from ETCD_FLAGS): every flag exists, every required flag is given, enum values
  (value_enum), durations, socket addresses and integers parse; every file the binary reads (FILE_FLAGS) is a
  file of a mounted volume, every directory it writes (DIR_FLAGS) a writable volume (etcd's data a persistent
  one); --etcd-servers in the release namespace name a rendered Service whose pods run etcd on that port; etcd's
  advertised client URL is its StatefulSet pod's DNS name, --initial-cluster names the member's peer URL;
- APIServices: named <version>.<group>, a group/version garden-apiserver serves (its registries), and each one
  it serves has an APIService unless the values switch it off (OPTIONAL_API_GROUPS); spec.service names a
  rendered Service of the release namespace and one of its ports, whose pods serve HTTPS there; caBundle holds CA
  certificates, one of which signed (signature verified with `cryptography`) the serving certificate in the Secret
  the pods mount for --tls-cert-file, whose SANs include <service>.<namespace>.svc, which is valid now and whose
  key is the mounted --tls-private-key-file (when that Secret is rendered; an existing one cannot be read here);
- mounted kubeconfigs parse (clusters, users, contexts, current-context); the gardenlet configuration against the
  fields of gardenlet/src/config.rs (deny_unknown_fields) and its checks.
"""
from __future__ import annotations

import argparse
import base64
import copy
import ipaddress
import json
import re
import sys
import traceback
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import yaml

import helm_python as helm
import kubernetes_validate
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization

CHARTS_DIR = Path(__file__).resolve().parent.parent
REPO = CHARTS_DIR.parent
KUBE_VERSION = "1.33"
LINT_KUBE_VERSION = "v1.33.0"
APP_VERSION = "0.1.0"
RELEASE = "garden-test"
NAMESPACE = "garden"

@dataclass(frozen=True)
class Workload:
    """A binary a chart runs: its flags' source, the values section with its image and ServiceAccount ("": the
    top level), the container that runs it (None: every container of the chart's pods) and the hack/images.sh
    image carrying it (None: the image named like the binary, whose entry point it is)."""

    binary: str
    source: str | None  # the Rust file of its clap Parser; None: EXTERNAL_FLAGS[binary]
    values: str = ""
    container: str | None = None
    image: str | None = None

    @property
    def image_name(self) -> str:
        return self.image or self.binary


# chart -> the binaries it runs.
WORKLOADS = {
    "gardenlet": [Workload("gardenlet", "gardenlet/src/main.rs")],
    "machine-controller": [Workload("machine-controller", "machine-controller/src/main.rs")],
    "gardener-extension-provider-local": [Workload(
        "gardener-extension-provider-local",
        "extensions/provider-local/src/bin/gardener-extension-provider-local.rs",
    )],
    "gardener-extension-provider-aws": [Workload(
        "gardener-extension-provider-aws",
        "extensions/provider-aws/src/bin/gardener-extension-provider-aws.rs",
    )],
    "gardener-extension-provider-openstack": [Workload(
        "gardener-extension-provider-openstack",
        "extensions/provider-openstack/src/bin/gardener-extension-provider-openstack.rs",
    )],
    "garden-dashboard": [Workload("garden-dashboard", "dashboard/src/main.rs")],
    "garden-controlplane": [
        Workload("garden-apiserver", "garden-apiserver/src/main.rs", "apiserver", "garden-apiserver"),
        Workload("garden-controller-manager", "garden-controller-manager/src/main.rs", "controllerManager",
                 "garden-controller-manager"),
        Workload("etcd", None, "etcd", "etcd", image="etcd-backup"),
    ],
}

# The flags of etcd 3.4 (Debian's etcd-server 3.4.23, which hack/images.sh copies into garden/etcd-backup), from
# `etcd --help`: their value kinds (bool: takes true/false or nothing; u64: an unsigned integer; String: a value)
# and enums. 3.5 drops some (--logger capnslog, --log-package-levels, --debug) but keeps the ones a chart uses.
_ETCD_BOOL = """--auto-tls --client-cert-auth --debug --enable-pprof --enable-v2 --experimental-enable-lease-checkpoint
--experimental-enable-v2v3 --experimental-initial-corrupt-check --experimental-peer-skip-client-san-verification
--force-new-cluster --peer-auto-tls --peer-client-cert-auth --pre-vote --strict-reconfig-check""".split()
_ETCD_U64 = """--auth-token-ttl --backend-batch-limit --bcrypt-cost --election-timeout --experimental-compaction-batch-limit
--heartbeat-interval --initial-election-tick-advance --max-concurrent-streams --max-request-bytes --max-snapshots
--max-txn-ops --max-wals --proxy-dial-timeout --proxy-failure-wait --proxy-read-timeout --proxy-refresh-interval
--proxy-write-timeout --quota-backend-bytes --snapshot-count""".split()
_ETCD_STRING = """--advertise-client-urls --auth-token --auto-compaction-mode --auto-compaction-retention
--backend-batch-interval --cert-file --cipher-suites --client-cert-allowed-hostname --client-crl-file --cors --data-dir
--discovery --discovery-fallback --discovery-proxy --discovery-srv --discovery-srv-name
--experimental-backend-bbolt-freelist-type --experimental-corrupt-check-time --experimental-warning-apply-duration
--experimental-watch-progress-notify-interval --grpc-keepalive-interval --grpc-keepalive-min-time
--grpc-keepalive-timeout --host-whitelist --initial-advertise-peer-urls --initial-cluster --initial-cluster-state
--initial-cluster-token --key-file --listen-client-urls --listen-metrics-urls --listen-peer-urls --log-level
--log-outputs --log-package-levels --logger --metrics --name --peer-cert-allowed-cn --peer-cert-allowed-hostname
--peer-cert-file --peer-crl-file --peer-key-file --peer-trusted-ca-file --proxy --trusted-ca-file --wal-dir""".split()
_ETCD_ENUMS = {
    "--initial-cluster-state": ["new", "existing"],
    "--logger": ["capnslog", "zap"],
    "--log-level": ["debug", "info", "warn", "error", "panic", "fatal"],
    "--auto-compaction-mode": ["periodic", "revision"],
    "--metrics": ["basic", "extensive"],
    "--proxy": ["off", "readonly", "on"],
}
EXTERNAL_FLAGS = {
    "etcd": {
        **{f: {"type": "bool", "required": False, "enum": None, "parser": None} for f in _ETCD_BOOL},
        **{f: {"type": "u64", "required": False, "enum": None, "parser": None} for f in _ETCD_U64},
        **{f: {"type": "String", "required": False, "enum": _ETCD_ENUMS.get(f), "parser": None} for f in _ETCD_STRING},
    },
}

# Flags whose value is a file the binary reads: it must be a file of a mounted volume.
FILE_FLAGS = {
    "--kubeconfig", "--config", "--garden-ca", "--session-key-file", "--tls-cert-file", "--tls-private-key-file",
    "--client-ca-file", "--requestheader-client-ca-file", "--authentication-kubeconfig", "--authorization-kubeconfig",
    "--token-auth-file", "--proxy-client-cert-file", "--proxy-client-key-file",
}
KUBECONFIG_FLAGS = ("--kubeconfig", "--authentication-kubeconfig", "--authorization-kubeconfig")
# Flags naming a directory the binary writes: it must be on a writable volume (persistent: a PersistentVolumeClaim).
DIR_FLAGS = {"--cert-dir": "writable", "--local-state-dir": "writable", "--data-dir": "persistent"}
REQUIRED_LABELS = [
    "app.kubernetes.io/name",
    "app.kubernetes.io/instance",
    "app.kubernetes.io/version",
    "app.kubernetes.io/component",
    "app.kubernetes.io/part-of",
    "app.kubernetes.io/managed-by",
    "helm.sh/chart",
]
CLUSTER_SCOPED = {"ClusterRole", "ClusterRoleBinding", "Namespace", "PriorityClass", "CustomResourceDefinition",
                  "APIService"}
# Roles every Kubernetes cluster has (kube-apiserver's RBAC bootstrap): (kind, namespace or None, name).
BUILTIN_ROLES = {
    ("ClusterRole", None, "system:auth-delegator"),
    ("Role", "kube-system", "extension-apiserver-authentication-reader"),
}
BUILTIN_PRIORITY_CLASSES = {"system-cluster-critical", "system-node-critical"}
# Group/versions garden-apiserver serves that a chart may leave without an APIService when the value at this path
# is false (another server, e.g. MCM's CRDs, owns the group in that cluster).
OPTIONAL_API_GROUPS = {"machine.sapcloud.io": ("apiserver", "apiServices", "machine")}
GO_DURATION = re.compile(r"^\+?(0|(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|ms|s|m|h))+)$")
# garden-controller-manager's seedlifecycle::parse_duration: a number with ms, s, m or h; a bare number is seconds.
SIMPLE_DURATION = re.compile(r"^[0-9]+(ms|s|m|h)?$")
SA_TOKEN = "/var/run/secrets/kubernetes.io/serviceaccount/token"


def built_images() -> set[str]:
    """The images hack/images.sh builds (its IMAGES array)."""
    text = (CHARTS_DIR.parent / "hack" / "images.sh").read_text()
    block = re.search(r"^IMAGES=\((.*?)^\)", text, re.S | re.M)
    return set(block.group(1).split()) if block else set()


def image_binaries(image: str) -> set[str]:
    """The binaries hack/images.sh puts into `image`: its entry point, EXTRA_BINS and HOST_BINS (by file name)."""
    text = (CHARTS_DIR.parent / "hack" / "images.sh").read_text()
    out = {image}
    for table in ("EXTRA_BINS", "HOST_BINS"):
        block = re.search(rf"^declare -A {table}=\((.*?)^\)", text, re.S | re.M)
        for m in re.finditer(r'^\s*\[([\w-]+)\]="([^"]*)"', block.group(1) if block else "", re.M):
            if m.group(1) == image:
                out |= {b.rsplit("/", 1)[-1] for b in m.group(2).split()}
    return out


def served_group_versions() -> set[str]:
    """`<version>.<group>` of every group/version garden-apiserver serves as an aggregated API server: the
    registries `gardener_types()` (garden-apiserver/src/profiles/mod.rs) combines for `ApiProfile::Aggregated`, read
    from gardener.rs (rt(GROUP_CONST, "version", ...)) and machine.rs (api/src/machine/v1alpha1's GROUP and VERSION)."""
    profiles = REPO / "garden-apiserver/src/profiles/mod.rs"
    reg = REPO / "garden-apiserver/src/registry"
    text = profiles.read_text()
    if not re.search(r"ApiProfile::Aggregated => Registry::new\(gardener_types\(\)\)", text):
        raise ValueError(f"{profiles}: the aggregated profile does not serve gardener_types() (teach "
                         f"served_group_versions in {Path(__file__).name} what it serves)")
    m = re.search(r"fn gardener_types\(\)[^{]*\{(.*?)\n\}", text, re.S)
    if not m:
        raise ValueError(f"{profiles}: no gardener_types()")
    out = set()
    for module in re.findall(r"registry::(\w+)::types\(\)", m.group(1)):
        text = (reg / f"{module}.rs").read_text()
        if module == "machine" and "machine::GROUP" in text and "machine::VERSION" in text:
            api = dict(re.findall(r'pub const (\w+): &str = "([^"]+)";',
                                  (REPO / "api/src/machine/v1alpha1/mod.rs").read_text()))
            out.add(f"{api['VERSION']}.{api['GROUP']}")
            continue
        consts = dict(re.findall(r'const (\w+): &str = "([^"]+)";', text))
        found = {f"{version}.{consts[c]}" for c, version in re.findall(r'\brt\(\s*(\w+),\s*"(v\w+)"', text)
                 if c in consts}
        if not found:
            raise ValueError(f"garden-apiserver/src/registry/{module}.rs: no group/versions found (teach "
                             f"served_group_versions in {Path(__file__).name} how it names them)")
        out |= found
    if not out:
        raise ValueError(f"{profiles}: gardener_types() combines no registries")
    return out


class Failures:
    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, where: str, msg: str) -> None:
        self.items.append(f"{where}: {msg}")


# ---------------------------------------------------------------------------------------------------------------
# The binaries' flags, read from their clap structs.


def _camel_to_kebab(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "-", name).lower()


def rust_value_enums(*files: Path) -> dict[str, list[str]]:
    """Variants (as clap spells them: kebab-case) of every `ValueEnum` enum in `files`."""
    enums: dict[str, list[str]] = {}
    for f in files:
        text = f.read_text()
        for m in re.finditer(r"#\[derive\(([^\]]*ValueEnum[^\]]*)\)\]\s*(?:#\[[^\]]*\]\s*)*(?:pub\s+)?enum\s+(\w+)\s*\{", text):
            body = text[m.end():text.index("}", m.end())]
            variants = []
            for line in body.splitlines():
                line = line.strip()
                if not line or line.startswith("//") or line.startswith("#"):
                    continue
                vm = re.match(r"(\w+)\s*,?$", line)
                if vm:
                    variants.append(_camel_to_kebab(vm.group(1)))
            enums[m.group(2)] = variants
    return enums


def _struct_body(text: str, start: int) -> str:
    """The text between the brace at or after `start` and its partner."""
    i = text.index("{", start) + 1
    body_start, depth = i, 1
    while depth:
        depth += {"{": 1, "}": -1}.get(text[i], 0)
        i += 1
    return text[body_start:i - 1]


def _crate_dir(path: Path) -> Path:
    d = path.parent
    while d != REPO and not (d / "Cargo.toml").is_file():
        d = d.parent
    return d


def _workspace_paths() -> dict[str, Path]:
    """The workspace's own crates by dependency name (`[workspace.dependencies] name = { path = ... }`)."""
    text = (REPO / "Cargo.toml").read_text()
    return {m.group(1): REPO / m.group(2) for m in re.finditer(r'^([\w-]+)\s*=\s*\{\s*path\s*=\s*"([^"]+)"', text, re.M)}


def _crate_files(path: Path) -> list[Path]:
    """The Rust files of the crate `path` belongs to (its src/ directory) and of the workspace crates it depends on
    (a flattened Args struct may come from a library crate, like garden-apiserver's ServeOptions from
    api-machinery)."""
    crates, todo, local = [], [_crate_dir(path)], _workspace_paths()
    while todo:
        d = todo.pop()
        if d in crates:
            continue
        crates.append(d)
        deps = re.findall(r"^([\w-]+)(?:\.workspace\s*=\s*true|\s*=\s*\{[^}\n]*workspace\s*=\s*true)", (d / "Cargo.toml").read_text(), re.M)
        todo.extend(local[n] for n in deps if n in local)
    files = [f for d in crates if (d / "src").is_dir() for f in sorted((d / "src").rglob("*.rs"))]
    return files or [path]


def _struct_flags(files: list[Path], text: str, start: int, enums: dict, where: str, seen: set[str]) -> dict[str, dict]:
    flags: dict[str, dict] = {}
    attrs: list[str] = []
    for raw in _struct_body(text, start).splitlines():
        line = raw.strip()
        if line.startswith("///") or line.startswith("//") or not line:
            continue
        if line.startswith("#["):
            attrs.append(line)
            continue
        fm = re.match(r"(?:pub\s+)?(\w+)\s*:\s*(.+?),?$", line)
        if not fm:
            continue
        name, ty = fm.group(1), fm.group(2).rstrip(",").strip()
        field_attrs, attrs = attrs, []
        if any(re.match(r"#\[command\(\s*flatten\s*\)\]", a) for a in field_attrs):
            # #[command(flatten)]: the flags of another Args struct of the crate.
            inner = ty.split("::")[-1]
            if inner in seen:
                raise ValueError(f"{where}: flatten cycle through {inner}")
            for f in files:
                ftext = f.read_text()
                sm = re.search(rf"\bstruct\s+{inner}\s*\{{", ftext)
                if sm:
                    flags.update(_struct_flags(files, ftext, sm.start(), enums, f"{f}: {inner}", seen | {inner}))
                    break
            else:
                raise ValueError(f"{where}: flattened struct {inner} not found in the crate")
            continue
        arg = " ".join(a for a in field_attrs if a.startswith("#[arg("))
        if "long" not in arg:
            continue
        lm = re.search(r'long\s*=\s*"([^"]+)"', arg)
        flag = "--" + (lm.group(1) if lm else name.replace("_", "-"))
        optional = ty.startswith(("Option<", "Vec<")) or ty == "bool" or "default_value" in arg
        inner = ty[len("Option<"):-1] if ty.startswith("Option<") else ty
        enum = None
        if "value_enum" in arg:
            enum = enums.get(inner.split("::")[-1])
            if enum is None:
                raise ValueError(f"{where}: {flag}: value enum {inner} not found")
        parser = None
        pm = re.search(r"value_parser\s*=\s*([\w:]+)", arg)
        if pm:
            parser = pm.group(1).split("::")[-1]
        rm = re.search(r"\.range\((\d+)\.\.", arg)
        flags[flag] = {"type": inner, "required": not optional, "enum": enum, "parser": parser,
                       "min": int(rm.group(1)) if rm else None}
    return flags


def rust_flags(path: Path) -> dict[str, dict]:
    """The long flags of the clap `Parser` struct in `path`, with those of the structs it flattens
    (#[command(flatten)], looked up in the same crate): {"--name": {type, required, enum, parser, min}}."""
    text = path.read_text()
    m = re.search(r"#\[derive\([^\]]*Parser[^\]]*\)\]", text)
    if not m:
        raise ValueError(f"{path}: no #[derive(Parser)] struct")
    sm = re.compile(r"struct\s+(\w+)\s*\{").search(text, m.end())
    files = _crate_files(path)
    enums = rust_value_enums(*files, REPO / "component-base/src/lib.rs")
    flags = _struct_flags(files, text, sm.start(), enums, str(path), {sm.group(1)})
    if not flags:
        raise ValueError(f"{path}: no flags found")
    return flags


def check_flag_value(flag: str, spec: dict, value: str | None) -> str | None:
    """Why `value` is not a valid value of `flag`, or None."""
    ty = spec["type"]
    if ty == "bool":
        return None if value in (None, "true", "false") else f"{flag} takes no value"
    if value is None:
        return f"{flag} needs a value"
    if spec["enum"] is not None and value not in spec["enum"]:
        return f"{flag}={value}: not one of {spec['enum']}"
    if spec["parser"] == "duration" and not GO_DURATION.match(value):
        return f"{flag}={value}: not a Go duration"
    if spec["parser"] == "parse_duration" and not SIMPLE_DURATION.match(value.strip()):
        return f"{flag}={value}: not a duration of seedlifecycle::parse_duration (a number with ms, s, m or h)"
    if ty == "SocketAddr":
        host, _, port = value.rpartition(":")
        try:
            ipaddress.ip_address(host.strip("[]"))
            if not 0 <= int(port) <= 65535:
                raise ValueError(port)
        except ValueError:
            return f"{flag}={value}: not a socket address (IP:PORT)"
    if ty in ("u8", "u16", "u32", "u64", "usize"):
        bits = {"u8": 8, "u16": 16, "u32": 32, "u64": 64, "usize": 64}[ty]
        if not value.isdigit() or int(value) >= 2**bits:
            return f"{flag}={value}: not a {ty}"
        if spec.get("min") is not None and int(value) < spec["min"]:
            return f"{flag}={value}: below the minimum {spec['min']}"
    if ty == "PathBuf" and not value.startswith("/"):
        return f"{flag}={value}: not an absolute path (the image's working directory is not known)"
    return None


def parse_args(args: list[str]) -> list[tuple[str, str | None]]:
    out: list[tuple[str, str | None]] = []
    i = 0
    while i < len(args):
        a = args[i]
        if not a.startswith("--"):
            out.append(("", a))
            i += 1
            continue
        if "=" in a:
            k, v = a.split("=", 1)
            out.append((k, v))
        elif i + 1 < len(args) and not args[i + 1].startswith("--"):
            out.append((a, args[i + 1]))
            i += 1
        else:
            out.append((a, None))
        i += 1
    return out


# ---------------------------------------------------------------------------------------------------------------
# The gardenlet configuration, read from gardenlet/src/config.rs.


def rust_config_structs(path: Path) -> tuple[dict[str, dict[str, str]], dict[str, list[str]]]:
    """The serde structs of `path` as {struct: {camelCaseField: rust type}} and its plain enums (lowercase)."""
    text = path.read_text()
    structs: dict[str, dict[str, str]] = {}
    for m in re.finditer(r"pub struct (\w+) \{(.*?)\n\}", text, re.S):
        fields: dict[str, str] = {}
        rename = None
        for line in m.group(2).splitlines():
            line = line.strip()
            rm = re.search(r'#\[serde\(rename\s*=\s*"([^"]+)"', line)
            if rm:
                rename = rm.group(1)
                continue
            fm = re.match(r"pub (\w+): (.+),$", line)
            if fm:
                name = rename or re.sub(r"_(\w)", lambda x: x.group(1).upper(), fm.group(1))
                fields[name] = fm.group(2)
                rename = None
        structs[m.group(1)] = fields
    enums = {}
    for m in re.finditer(r'#\[serde\(rename_all = "lowercase"\)\]\s*pub enum (\w+) \{(.*?)\n\}', text, re.S):
        enums[m.group(1)] = [v.lower() for v in re.findall(r"^\s*(\w+),", m.group(2), re.M)]
    return structs, enums


def check_against_structs(value, ty: str, structs, enums, where: str, fail) -> None:
    ty = ty.strip()
    om = re.match(r"Option<(.+)>$", ty)
    if om:
        if value is not None:
            check_against_structs(value, om.group(1), structs, enums, where, fail)
        return
    if ty in structs:
        if not isinstance(value, dict):
            fail(f"{where}: {ty} must be a mapping")
            return
        for k, v in value.items():
            if k not in structs[ty]:
                fail(f"{where}.{k}: unknown field of {ty} (deny_unknown_fields)")
            else:
                check_against_structs(v, structs[ty][k], structs, enums, f"{where}.{k}", fail)
        return
    if ty in enums:
        if value not in enums[ty]:
            fail(f"{where}={value!r}: not one of {enums[ty]}")
        return
    if ty in ("u32", "u64"):
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            fail(f"{where}={value!r}: not an unsigned integer")
    elif ty in ("String", "std::path::PathBuf", "PathBuf"):
        if not isinstance(value, str):
            fail(f"{where}={value!r}: not a string")
    elif ty.startswith("BTreeMap<String, String>"):
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            fail(f"{where}: not a map of strings")


def check_gardenlet_config(cfg: dict, fail) -> None:
    structs, enums = rust_config_structs(REPO / "gardenlet/src/config.rs")
    check_against_structs(cfg, "GardenletConfiguration", structs, enums, "config", fail)
    name = cfg.get("seedConfig", {}).get("metadata", {}).get("name", "")
    if not re.match(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$", name or ""):
        fail(f"config.seedConfig.metadata.name {name!r}: not a DNS label")
    renew, lease = cfg.get("renewIntervalSeconds", 2), cfg.get("leaseDurationSeconds", 10)
    if renew <= 0 or lease < renew:
        fail(f"config: renewIntervalSeconds {renew} must be positive and at most leaseDurationSeconds {lease}")
    runtime = cfg.get("controlPlaneRuntime", {})
    if runtime.get("type") == "process" or "stateDir" in cfg:
        fail("config: the process runtime (stateDir) does not belong in a chart")


# ---------------------------------------------------------------------------------------------------------------
# Values helpers.


def deep_merge(base, over):
    """Helm's coalescing of user values: mappings merge, null deletes, anything else replaces."""
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        for k, v in over.items():
            if v is None:
                out.pop(k, None)
            elif k in out:
                out[k] = deep_merge(out[k], v)
            else:
                out[k] = copy.deepcopy(v)
        return out
    return copy.deepcopy(over)


def string_leaves(v) -> set[str]:
    if isinstance(v, dict):
        return set().union(*(string_leaves(x) for x in v.values())) if v else set()
    if isinstance(v, list):
        return set().union(*(string_leaves(x) for x in v)) if v else set()
    return {v} if isinstance(v, str) else set()


def directives(path: Path) -> dict[str, str]:
    out = {}
    for line in path.read_text().splitlines():
        m = re.match(r"#\s*(base|expect):\s*(.+)$", line)
        if m:
            out[m.group(1)] = m.group(2).strip()
    return out


def undocumented_values(values_yaml: Path) -> list[str]:
    """Keys of values.yaml documented neither by a comment right above them nor above one of their parents."""
    missing = []
    stack: list[tuple[int, str, bool]] = []  # (indent, key, documented)
    prev = ""
    for raw in values_yaml.read_text().splitlines():
        if not raw.strip():
            prev = ""
            continue
        if raw.lstrip().startswith("#"):
            prev = "#"
            continue
        m = re.match(r"^(\s*)([A-Za-z0-9_.-]+):(.*)$", raw)
        if not m or raw.lstrip().startswith("-"):
            prev = raw
            continue
        indent, key, rest = len(m.group(1)), m.group(2), m.group(3).strip()
        while stack and stack[-1][0] >= indent:
            stack.pop()
        documented = prev == "#" or any(d for _, _, d in stack)
        path = ".".join([k for _, k, _ in stack] + [key])
        stack.append((indent, key, documented))
        if rest and not documented:
            missing.append(path)
        prev = raw
    return missing


# ---------------------------------------------------------------------------------------------------------------
# Rendering and checks.


def render(chart: helm.Chart, values: dict) -> list[dict]:
    out = chart.render(values, name=RELEASE, namespace=NAMESPACE, is_install=True)
    objs = []
    for template, text in sorted(out.items()):
        if not template.endswith((".yaml", ".yml")):
            continue
        for doc in yaml.safe_load_all(text):
            if doc is None:
                continue
            doc["__template"] = template
            objs.append(doc)
    return objs


def null_paths(v, path: str = "") -> list[str]:
    if v is None:
        return [path or "/"]
    if isinstance(v, dict):
        return [p for k, x in v.items() if k != "__template" for p in null_paths(x, f"{path}/{k}")]
    if isinstance(v, list):
        return [p for i, x in enumerate(v) for p in null_paths(x, f"{path}/{i}")]
    return []


def obj_ns(o: dict) -> str | None:
    if o["kind"] in CLUSTER_SCOPED:
        return None
    return o.get("metadata", {}).get("namespace")


def find(objs, kind, name, ns):
    for o in objs:
        if o["kind"] == kind and o["metadata"]["name"] == name and obj_ns(o) == ns:
            return o
    return None


def labels_match(selector: dict, labels: dict) -> bool:
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def parse_kubeconfig(text: str, where: str, fail) -> dict | None:
    try:
        kc = yaml.safe_load(text)
    except yaml.YAMLError as e:
        fail(f"{where}: kubeconfig does not parse: {e}")
        return None
    if not isinstance(kc, dict) or kc.get("kind") not in (None, "Config"):
        fail(f"{where}: not a kubeconfig")
        return None
    names = {sec: {x.get("name") for x in kc.get(sec) or []} for sec in ("clusters", "users", "contexts")}
    ctx = next((c for c in kc.get("contexts") or [] if c.get("name") == kc.get("current-context")), None)
    if ctx is None:
        fail(f"{where}: kubeconfig current-context {kc.get('current-context')!r} is not among its contexts")
        return kc
    c = ctx.get("context") or {}
    if c.get("cluster") not in names["clusters"] or c.get("user") not in names["users"]:
        fail(f"{where}: kubeconfig context {ctx.get('name')!r} names a missing cluster or user")
    for cl in kc.get("clusters") or []:
        if not str((cl.get("cluster") or {}).get("server", "")).startswith("https://"):
            fail(f"{where}: kubeconfig cluster {cl.get('name')!r} has no https server")
    return kc


def object_file(obj: dict, key: str) -> str | None:
    if obj["kind"] == "ConfigMap":
        return (obj.get("data") or {}).get(key)
    data = obj.get("data") or {}
    if key in data:
        return base64.b64decode(data[key]).decode("utf-8", "replace")
    return (obj.get("stringData") or {}).get(key)


def mounted_file(path: str, container: dict, volumes: dict[str, dict]):
    """(volume, key) of the file at `path` in `container`, or None."""
    for vm in container.get("volumeMounts") or []:
        mp = vm["mountPath"].rstrip("/")
        if not path.startswith(mp + "/"):
            continue
        rel = path[len(mp) + 1:]
        vol = volumes.get(vm["name"])
        if vol is None:
            return None
        src = vol.get("configMap") or vol.get("secret")
        if src is None:
            return (vol, None) if "emptyDir" not in vol else None
        items = src.get("items")
        if items:
            for it in items:
                if it["path"] == rel:
                    return vol, it["key"]
            return None
        return vol, rel
    return None


def section(values: dict, path: str) -> dict:
    """The values section of a workload ("": the top level)."""
    return values if not path else (values.get(path) or {})


def value_at(values: dict, path: tuple[str, ...]):
    for k in path:
        if not isinstance(values, dict) or k not in values:
            return None
        values = values[k]
    return values


def pod_labels(w: dict) -> dict:
    return w["spec"]["template"]["metadata"].get("labels") or {}


def containers_of(w: dict) -> list[dict]:
    return w["spec"]["template"]["spec"]["containers"]


def container_port(c: dict, port) -> int | None:
    """The number of container port `port` (a name or a number) of `c`, or None."""
    for cp in c.get("ports") or []:
        if cp.get("name") == port or cp["containerPort"] == port:
            return cp["containerPort"]
    return None


def container_workload(workloads: list[Workload], c: dict) -> Workload | None:
    for wl in workloads:
        if wl.container is None or wl.container == c["name"]:
            return wl
    return None


def url_port(url: str) -> tuple[str, str | None, int | None]:
    """(scheme, host, port) of an http(s) URL (port defaulting by scheme)."""
    m = re.match(r"^(https?)://(\[[^\]]+\]|[^:/]+)(?::(\d+))?(/.*)?$", url)
    if not m:
        return "", None, None
    port = int(m.group(3)) if m.group(3) else (443 if m.group(1) == "https" else 80)
    return m.group(1), m.group(2).strip("[]"), port


def is_builtin_binding(o: dict) -> bool:
    """A RoleBinding to one of kube's built-in Roles, in that Role's namespace."""
    ref = o.get("roleRef") or {}
    return o["kind"] == "RoleBinding" and (ref.get("kind"), o["metadata"].get("namespace"), ref.get("name")) in BUILTIN_ROLES


def mount_for(path: str, container: dict) -> dict | None:
    """The volumeMount of `container` holding `path` (the longest matching mount path)."""
    best = None
    for vm in container.get("volumeMounts") or []:
        mp = vm["mountPath"].rstrip("/")
        if (path == mp or path.startswith(mp + "/")) and (best is None or len(mp) > len(best["mountPath"].rstrip("/"))):
            best = vm
    return best


def load_pem_certs(pem: str | bytes, where: str, fail) -> list:
    try:
        data = pem.encode() if isinstance(pem, str) else pem
        return x509.load_pem_x509_certificates(data)
    except ValueError as e:
        fail(f"{where}: no PEM certificate ({e})")
        return []


def check_serving_cert(where: str, cas: list, crt: str, key: str | None, svc: str, secret: str, fail) -> bool:
    """The serving certificate `crt` (and its key) against the CAs of an APIService and its Service name; True when
    a CA's signature on it was verified."""
    certs = load_pem_certs(crt, f"{where}: Secret/{secret} tls.crt", fail)
    if not certs:
        return False
    cert = certs[0]
    signed = False
    for ca in cas:
        try:
            cert.verify_directly_issued_by(ca)
            signed = True
            break
        except (InvalidSignature, ValueError, TypeError):
            continue
    if not signed:
        fail(f"{where}: no CA of its caBundle ({', '.join(c.subject.rfc4514_string() for c in cas)}) signed the serving "
             f"certificate in Secret/{secret} (issuer {cert.issuer.rfc4514_string()})")
    want = f"{svc}.{NAMESPACE}.svc"
    try:
        sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(x509.DNSName)
    except x509.ExtensionNotFound:
        sans = []
    if want not in sans:
        fail(f"{where}: the serving certificate's SANs {sans} lack {want} (the name the kube-apiserver verifies)")
    now = datetime.now(timezone.utc)
    if not cert.not_valid_before_utc <= now <= cert.not_valid_after_utc:
        fail(f"{where}: the serving certificate is not valid now ({cert.not_valid_before_utc} - {cert.not_valid_after_utc})")
    if key is not None:
        try:
            priv = serialization.load_pem_private_key(key.encode(), password=None)
            spki = serialization.PublicFormat.SubjectPublicKeyInfo
            if priv.public_key().public_bytes(serialization.Encoding.DER, spki) != \
                    cert.public_key().public_bytes(serialization.Encoding.DER, spki):
                fail(f"{where}: the key in Secret/{secret} does not match its certificate")
        except (ValueError, TypeError) as e:
            fail(f"{where}: the key in Secret/{secret} does not load: {e}")
    return signed


def check_release(chart_name: str, objs: list[dict], values: dict, app_version: str, workloads: list[Workload],
                  flags_by_binary: dict[str, dict], fail) -> dict:
    """The cross-checks of one rendered release; returns counts of what was verified."""
    stats = {"signatures": 0, "apiservices": 0}
    given_names = string_leaves(values)
    seen = set()
    for o in objs:
        md = o.get("metadata") or {}
        where = f"{o['kind']}/{md.get('name')}"
        key = (o["kind"], obj_ns(o), md.get("name"))
        if key in seen:
            fail(f"{where}: rendered twice")
        seen.add(key)
        labels = md.get("labels") or {}
        for lbl in REQUIRED_LABELS:
            if lbl not in labels:
                fail(f"{where}: label {lbl} missing")
        if labels.get("app.kubernetes.io/version") != app_version:
            fail(f"{where}: app.kubernetes.io/version {labels.get('app.kubernetes.io/version')!r} != {app_version}")
        for path in null_paths(o):
            fail(f"{where}: {path} renders as null (an empty block in a template?)")
        if o["kind"] not in CLUSTER_SCOPED and md.get("namespace") != NAMESPACE and not is_builtin_binding(o):
            fail(f"{where}: namespace {md.get('namespace')!r}, not the release namespace {NAMESPACE}")

    external_sa = set()
    for wl in workloads:
        sa = section(values, wl.values).get("serviceAccount") or {}
        if sa and not sa.get("create", True) and sa.get("name"):
            external_sa.add(sa["name"])

    # RBAC.
    for o in objs:
        if o["kind"] not in ("RoleBinding", "ClusterRoleBinding"):
            continue
        where = f"{o['kind']}/{o['metadata']['name']}"
        for s in o.get("subjects") or []:
            if s["kind"] != "ServiceAccount":
                continue
            ns = s.get("namespace") or obj_ns(o)
            if not find(objs, "ServiceAccount", s["name"], ns) and not (ns == NAMESPACE and s["name"] in external_sa):
                fail(f"{where}: subject ServiceAccount {ns}/{s['name']} is neither rendered nor named in values")
        ref = o["roleRef"]
        ref_ns = None if ref["kind"] == "ClusterRole" else obj_ns(o)
        if not find(objs, ref["kind"], ref["name"], ref_ns) and (ref["kind"], ref_ns, ref["name"]) not in BUILTIN_ROLES:
            fail(f"{where}: roleRef {ref['kind']}/{ref['name']} not rendered (nor one of kube's built-in roles)")

    pods = [o for o in objs if o["kind"] in ("Deployment", "StatefulSet")]

    def selected(sel: dict, ns) -> list[dict]:
        return [w for w in pods if obj_ns(w) == ns and labels_match(sel, pod_labels(w))]

    # Services and Ingresses.
    for o in objs:
        if o["kind"] != "Service":
            continue
        where = f"Service/{o['metadata']['name']}"
        sel = o["spec"].get("selector") or {}
        targets = selected(sel, obj_ns(o))
        if not targets:
            fail(f"{where}: selector {sel} matches no Deployment's or StatefulSet's pod labels")
            continue
        for p in o["spec"]["ports"]:
            tp = p.get("targetPort", p["port"])
            for d in targets:
                if not any(container_port(c, tp) for c in containers_of(d)):
                    fail(f"{where}: targetPort {tp!r} is no container port of {d['kind']}/{d['metadata']['name']}")
    for o in objs:
        if o["kind"] != "Ingress":
            continue
        where = f"Ingress/{o['metadata']['name']}"
        for rule in o["spec"].get("rules") or []:
            for path in (rule.get("http") or {}).get("paths") or []:
                svc_ref = path["backend"]["service"]
                svc = find(objs, "Service", svc_ref["name"], obj_ns(o))
                if svc is None:
                    fail(f"{where}: backend Service {svc_ref['name']} not rendered")
                    continue
                port = svc_ref["port"]
                if not any(p.get("name") == port.get("name") or p["port"] == port.get("number")
                           for p in svc["spec"]["ports"]):
                    fail(f"{where}: backend port {port} not a port of Service/{svc_ref['name']}")

    # NetworkPolicies and PodDisruptionBudgets.
    for o in objs:
        if o["kind"] != "NetworkPolicy":
            continue
        where = f"NetworkPolicy/{o['metadata']['name']}"
        sel = (o["spec"].get("podSelector") or {}).get("matchLabels") or {}
        targets = selected(sel, obj_ns(o))
        if not targets:
            fail(f"{where}: podSelector {sel} matches no rendered pods")
            continue
        for rule in o["spec"].get("ingress") or []:
            for peer in rule.get("from") or []:
                ps = (peer.get("podSelector") or {}).get("matchLabels")
                if ps and "namespaceSelector" not in peer and not selected(ps, obj_ns(o)):
                    fail(f"{where}: ingress from podSelector {ps} matches no rendered pods")
            for port in rule.get("ports") or []:
                p = port.get("port")
                if p is not None and not any(container_port(c, p) for t in targets for c in containers_of(t)):
                    fail(f"{where}: ingress port {p!r} is no container port of the selected pods")
    for o in objs:
        if o["kind"] != "PodDisruptionBudget":
            continue
        where = f"PodDisruptionBudget/{o['metadata']['name']}"
        sel = (o["spec"].get("selector") or {}).get("matchLabels") or {}
        targets = selected(sel, obj_ns(o))
        if not targets:
            fail(f"{where}: selector {sel} matches no rendered pods")
        for t in targets:
            replicas = t["spec"].get("replicas", 1)
            mu, ma = o["spec"].get("maxUnavailable"), o["spec"].get("minAvailable")
            if mu == 0 or (isinstance(ma, int) and ma >= replicas):
                fail(f"{where}: allows no eviction of the {replicas} pod(s) of {t['kind']}/{t['metadata']['name']}: "
                     "it blocks every node drain")

    # Workloads: first the arguments of every container, for the checks between them.
    if not pods:
        fail("no Deployment or StatefulSet rendered")
    args_of: dict[tuple[str, str, str], dict[str, str | None]] = {}
    for d in pods:
        for c in containers_of(d):
            cmd = c.get("command") or []
            parsed = parse_args(cmd[1:] + (c.get("args") or []))
            args_of[(d["kind"], d["metadata"]["name"], c["name"])] = {f: v for f, v in parsed if f}
    served_https: dict[tuple[str, str, str], dict] = {}

    for d in pods:
        where = f"{d['kind']}/{d['metadata']['name']}"
        tpl = d["spec"]["template"]
        pod = tpl["spec"]
        if not labels_match(d["spec"]["selector"].get("matchLabels") or {}, pod_labels(d)):
            fail(f"{where}: selector is not within the pod labels")
        sa = pod.get("serviceAccountName")
        if sa and not find(objs, "ServiceAccount", sa, obj_ns(d)) and sa not in external_sa:
            fail(f"{where}: ServiceAccount {sa} neither rendered nor named in values")
        pc = pod.get("priorityClassName")
        if pc and not find(objs, "PriorityClass", pc, None) and pc not in BUILTIN_PRIORITY_CLASSES \
                and pc not in given_names:
            fail(f"{where}: priorityClassName {pc} neither rendered, built in nor named in values")
        if d["kind"] == "StatefulSet":
            hs = find(objs, "Service", d["spec"].get("serviceName"), obj_ns(d))
            if hs is None:
                fail(f"{where}: serviceName {d['spec'].get('serviceName')!r} names no rendered Service")
            elif hs["spec"].get("clusterIP") != "None" or not labels_match(hs["spec"].get("selector") or {}, pod_labels(d)):
                fail(f"{where}: serviceName {hs['metadata']['name']} is not a headless Service selecting its pods")
        claims = {(v.get("metadata") or {}).get("name") for v in d["spec"].get("volumeClaimTemplates") or []}
        psc = pod.get("securityContext") or {}
        volumes = {v["name"]: v for v in pod.get("volumes") or []}
        for vname, v in volumes.items():
            for kind, ref_key in (("ConfigMap", "configMap"), ("Secret", "secret")):
                if ref_key not in v:
                    continue
                name = v[ref_key].get("name") or v[ref_key].get("secretName")
                target = find(objs, kind, name, obj_ns(d))
                if target is None:
                    if name not in given_names:
                        fail(f"{where}: volume {vname}: {kind} {name} neither rendered nor named in values")
                    continue
                for it in v[ref_key].get("items") or []:
                    if object_file(target, it["key"]) is None:
                        fail(f"{where}: volume {vname}: {kind} {name} has no key {it['key']}")
        for c in containers_of(d):
            cw = f"{where} container {c['name']}"
            wl = container_workload(workloads, c)
            if wl is None:
                fail(f"{cw}: runs none of the chart's binaries ({', '.join(w.container or w.binary for w in workloads)})")
                continue
            img = section(values, wl.values).get("image", {})
            expected_image = f"{img.get('repository')}:{img.get('tag') or app_version}"
            if c["image"] != expected_image:
                fail(f"{cw}: image {c['image']} != {expected_image}")
            cmd = c.get("command") or []
            if wl.image is not None and (not cmd or cmd[0].rsplit("/", 1)[-1] != wl.binary):
                fail(f"{cw}: the image's entry point is {wl.image_name}: command must run {wl.binary}")
            elif cmd and cmd[0].rsplit("/", 1)[-1] != wl.binary:
                fail(f"{cw}: command {cmd[0]} is not {wl.binary}")
            if not (c.get("resources") or {}).get("requests"):
                fail(f"{cw}: no resource requests")
            sc = c.get("securityContext") or {}
            if not (sc.get("runAsNonRoot") or psc.get("runAsNonRoot")):
                fail(f"{cw}: runAsNonRoot not set")
            if sc.get("allowPrivilegeEscalation") is not False:
                fail(f"{cw}: allowPrivilegeEscalation is not false")
            if sc.get("readOnlyRootFilesystem") is not True:
                fail(f"{cw}: readOnlyRootFilesystem is not true")
            ports = c.get("ports") or []
            for vm in c.get("volumeMounts") or []:
                if vm["name"] not in volumes and vm["name"] not in claims:
                    fail(f"{cw}: volumeMount {vm['name']} names no volume")

            # Arguments against the binary's flags.
            flags = flags_by_binary[wl.binary]
            args = parse_args(cmd[1:] + (c.get("args") or []))
            given = {}
            for flag, value in args:
                if not flag:
                    fail(f"{cw}: positional argument {value!r} (the binary takes none)")
                    continue
                if flag not in flags:
                    fail(f"{cw}: {flag}: not a flag of the binary {wl.binary} (known: {', '.join(sorted(flags))})")
                    continue
                if flag in given:
                    fail(f"{cw}: {flag} given twice")
                given[flag] = value
                why = check_flag_value(flag, flags[flag], value)
                if why:
                    fail(f"{cw}: {why}")
            for flag, spec in flags.items():
                if spec["required"] and flag not in given:
                    fail(f"{cw}: required flag {flag} missing")
            for flag in ("--health-bind-address", "--bind-address"):
                bind = given.get(flag)
                if not bind:
                    continue
                try:
                    host = str(ipaddress.ip_address(bind.strip("[]")))
                except ValueError:
                    host = bind.rpartition(":")[0].strip("[]")
                if host in ("127.0.0.1", "::1", "localhost"):
                    fail(f"{cw}: {bind} is loopback: probes and Services cannot reach it")

            # Which port speaks what, from the flags: probes must use that scheme.
            schemes: dict[int, tuple[str, str]] = {}
            if given.get("--secure-port", "").isdigit():
                sp = int(given["--secure-port"])
                schemes[sp] = ("HTTPS", "--secure-port")
                if not container_port(c, sp):
                    fail(f"{cw}: --secure-port {sp} is no container port")
            for flag in ("--health-bind-address", "--bind-address"):
                port = (given.get(flag) or "").rpartition(":")[2]
                if ":" in (given.get(flag) or "") and port.isdigit():
                    schemes[int(port)] = ("HTTP", flag)
            for flag in ("--listen-client-urls", "--listen-metrics-urls"):
                for url in (given.get(flag) or "").split(","):
                    scheme, _, port = url_port(url)
                    if scheme:
                        schemes[port] = (scheme.upper(), flag)
                        if not container_port(c, port) and not url_port(url)[1].startswith(("127.", "localhost", "::1")):
                            fail(f"{cw}: {flag} port {port} is no container port")
            for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
                p = c.get(probe)
                if not p:
                    if probe != "startupProbe":
                        fail(f"{cw}: no {probe}")
                    continue
                port = (p.get("httpGet") or p.get("tcpSocket") or {}).get("port")
                if port is not None and not any(cp.get("name") == port or cp["containerPort"] == port for cp in ports):
                    fail(f"{cw}: {probe} port {port!r} is not a container port")
                    continue
                if "httpGet" in p:
                    num = container_port(c, port)
                    scheme = p["httpGet"].get("scheme", "HTTP")
                    if num in schemes and schemes[num][0] != scheme:
                        fail(f"{cw}: {probe} uses {scheme} on port {port!r}, which serves {schemes[num][0]} "
                             f"({schemes[num][1]})")

            # Directories the binary writes.
            for flag, kind in DIR_FLAGS.items():
                path = given.get(flag)
                if flag not in flags or not path:
                    continue
                vm = mount_for(path, c)
                vol = volumes.get(vm["name"]) if vm else None
                persistent = vm is not None and (vm["name"] in claims or (vol or {}).get("persistentVolumeClaim"))
                if vm is None or vm.get("readOnly"):
                    fail(f"{cw}: {flag}={path} is on no writable volume (the root filesystem is read-only)")
                elif kind == "persistent" and not persistent:
                    fail(f"{cw}: {flag}={path} is not on a persistent volume (a PersistentVolumeClaim)")
                elif not persistent and "emptyDir" not in (vol or {}):
                    fail(f"{cw}: {flag}={path} is on no writable volume (emptyDir or PersistentVolumeClaim)")

            # Files the binary reads.
            files = {f: v for f, v in given.items() if f in FILE_FLAGS and v}
            contents: dict[str, str | None] = {}
            sources: dict[str, str] = {}
            for flag, path in files.items():
                hit = mounted_file(path, c, volumes)
                if hit is None:
                    fail(f"{cw}: {flag}={path} is no file of a mounted configMap/secret volume")
                    continue
                vol, key = hit
                src = vol.get("configMap") or vol.get("secret")
                kind = "ConfigMap" if "configMap" in vol else "Secret"
                sources[flag] = f"{src.get('name') or src.get('secretName')}"
                target = find(objs, kind, src.get("name") or src.get("secretName"), obj_ns(d))
                contents[flag] = object_file(target, key) if target is not None and key else None
            if chart_name == "gardenlet" and contents.get("--config"):
                cfg = yaml.safe_load(contents["--config"])
                check_gardenlet_config(cfg, lambda m: fail(f"{cw}: {m}"))
                seed_kc = (cfg.get("controlPlaneRuntime") or {}).get("seedKubeconfig")
                if seed_kc:
                    hit = mounted_file(seed_kc, c, volumes)
                    if hit is None:
                        fail(f"{cw}: config seedKubeconfig {seed_kc} is no file of a mounted volume")
                    else:
                        vol, key = hit
                        src = vol.get("configMap") or vol.get("secret")
                        kind = "ConfigMap" if "configMap" in vol else "Secret"
                        target = find(objs, kind, src.get("name") or src.get("secretName"), obj_ns(d))
                        contents["seedKubeconfig"] = object_file(target, key) if target is not None else None
                elif values.get("seedKubeconfig", {}).get("source") != "garden":
                    fail(f"{cw}: config has no seedKubeconfig")
            for what in (*KUBECONFIG_FLAGS, "seedKubeconfig"):
                text = contents.get(what)
                if text is None:
                    continue
                kc = parse_kubeconfig(text, f"{cw} {what}", fail)
                uses_token = any((u.get("user") or {}).get("tokenFile") == SA_TOKEN for u in (kc or {}).get("users") or [])
                if uses_token and pod.get("automountServiceAccountToken") is not True:
                    fail(f"{cw}: {what} uses the ServiceAccount token file but the token is not mounted")
            if "--session-key-file" in contents and contents["--session-key-file"] is not None:
                n = len(contents["--session-key-file"].encode())
                if n != 32:
                    fail(f"{cw}: the session key holds {n} bytes, not 32")
            if "--garden-ca" in contents and contents["--garden-ca"] is not None:
                if "-----BEGIN CERTIFICATE-----" not in contents["--garden-ca"]:
                    fail(f"{cw}: the garden CA holds no PEM certificate")
            if contents.get("--tls-cert-file") is not None:
                load_pem_certs(contents["--tls-cert-file"], f"{cw}: --tls-cert-file", fail)
            if "--tls-cert-file" in given and given.get("--secure-port", "").isdigit():
                served_https[(d["kind"], d["metadata"]["name"], c["name"])] = {
                    "port": int(given["--secure-port"]),
                    "crt": contents.get("--tls-cert-file"),
                    "key": contents.get("--tls-private-key-file"),
                    "secret": sources.get("--tls-cert-file", "?"),
                }

            # etcd: the servers garden-apiserver names, and the member's own URLs.
            for url in (given.get("--etcd-servers") or "").split(","):
                if not url:
                    continue
                scheme, host, port = url_port(url)
                m = re.match(rf"^([a-z0-9-]+)\.{NAMESPACE}\.svc(\.cluster\.local)?$", host or "")
                if not m:
                    if url not in given_names:
                        fail(f"{cw}: --etcd-servers {url} is neither a Service of the release nor given in values")
                    continue
                svc = find(objs, "Service", m.group(1), NAMESPACE)
                if svc is None:
                    fail(f"{cw}: --etcd-servers {url}: Service {m.group(1)} is not rendered")
                    continue
                sp = next((p for p in svc["spec"]["ports"] if p["port"] == port), None)
                if sp is None:
                    fail(f"{cw}: --etcd-servers {url}: Service {m.group(1)} has no port {port}")
                    continue
                for t in selected(svc["spec"].get("selector") or {}, NAMESPACE):
                    for c2 in containers_of(t):
                        num = container_port(c2, sp.get("targetPort", sp["port"]))
                        if num is None:
                            continue
                        wl2 = container_workload(workloads, c2)
                        listen = args_of[(t["kind"], t["metadata"]["name"], c2["name"])].get("--listen-client-urls") or ""
                        if wl2 is None or wl2.binary != "etcd" or num not in {url_port(u)[2] for u in listen.split(",")}:
                            fail(f"{cw}: --etcd-servers {url}: port {num} of {t['kind']}/{t['metadata']['name']} is "
                                 "no etcd client port (--listen-client-urls)")
                        elif url_port(listen.split(",")[0])[0] != scheme:
                            fail(f"{cw}: --etcd-servers {url}: etcd listens with {url_port(listen.split(',')[0])[0]}")
            if wl.binary == "etcd":
                member = given.get("--name") or "default"
                for url in (given.get("--advertise-client-urls") or "").split(","):
                    _, host, _ = url_port(url)
                    m = re.match(rf"^([a-z0-9-]+)-(\d+)\.([a-z0-9-]+)\.{NAMESPACE}\.svc(\.cluster\.local)?$", host or "")
                    if d["kind"] != "StatefulSet" or not m or m.group(1) != d["metadata"]["name"] \
                            or int(m.group(2)) >= d["spec"].get("replicas", 1) or m.group(3) != d["spec"].get("serviceName"):
                        fail(f"{cw}: --advertise-client-urls {url} is not the DNS name of a pod of this StatefulSet "
                             "(<statefulset>-<i>.<serviceName>.<namespace>.svc)")
                peers = set((given.get("--initial-advertise-peer-urls") or "").split(","))
                cluster: dict[str, set[str]] = {}
                for entry in (given.get("--initial-cluster") or "").split(","):
                    name, _, url = entry.partition("=")
                    cluster.setdefault(name, set()).add(url)
                if given.get("--initial-cluster") and cluster.get(member) != peers:
                    fail(f"{cw}: --initial-cluster gives member {member} {sorted(cluster.get(member, []))}, its "
                         f"--initial-advertise-peer-urls are {sorted(peers)}")

    # APIServices: what garden-apiserver serves, where the kube-apiserver finds it, and whom it trusts.
    apiservices = [o for o in objs if o["kind"] == "APIService"]
    aggregated = any(args.get("--api-profile") == "aggregated" for args in args_of.values())
    if apiservices or aggregated:
        served = served_group_versions()
        rendered = set()
        for a in apiservices:
            spec = a["spec"]
            name = a["metadata"]["name"]
            where = f"APIService/{name}"
            stats["apiservices"] += 1
            gv = f"{spec.get('version')}.{spec.get('group')}"
            rendered.add(gv)
            if name != gv:
                fail(f"{where}: its name is not <version>.<group> ({gv})")
            if gv not in served:
                fail(f"{where}: {gv} is not served by garden-apiserver (its registries serve {', '.join(sorted(served))})")
            if spec.get("insecureSkipTLSVerify"):
                fail(f"{where}: insecureSkipTLSVerify: the kube-apiserver would not verify the server")
            ref = spec.get("service")
            if not ref:
                fail(f"{where}: no spec.service (a local APIService): nothing serves {gv}")
                continue
            svc = find(objs, "Service", ref.get("name"), ref.get("namespace"))
            if svc is None or ref.get("namespace") != NAMESPACE:
                fail(f"{where}: spec.service names no Service of the release ({ref.get('namespace')}/{ref.get('name')})")
                continue
            port = ref.get("port", 443)
            sp = next((p for p in svc["spec"]["ports"] if p["port"] == port), None)
            if sp is None:
                fail(f"{where}: spec.service port {port} is no port of Service/{ref['name']}")
                continue
            cas = [ca for ca in load_pem_certs(base64.b64decode(spec.get("caBundle") or ""), f"{where}: caBundle", fail)]
            for ca in cas:
                try:
                    is_ca = ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
                except x509.ExtensionNotFound:
                    is_ca = False
                if not is_ca:
                    fail(f"{where}: caBundle certificate {ca.subject.rfc4514_string()} is no CA (basicConstraints)")
            for t in selected(svc["spec"].get("selector") or {}, NAMESPACE):
                for c in containers_of(t):
                    num = container_port(c, sp.get("targetPort", sp["port"]))
                    if num is None:
                        continue
                    info = served_https.get((t["kind"], t["metadata"]["name"], c["name"]))
                    if info is None or info["port"] != num:
                        fail(f"{where}: Service/{ref['name']} port {port} leads to port {num} of "
                             f"{t['kind']}/{t['metadata']['name']}, which is not its HTTPS --secure-port")
                        continue
                    if info["crt"] is None or not cas:
                        continue  # an existing Secret: not readable here
                    if check_serving_cert(where, cas, info["crt"], info["key"], ref["name"], info["secret"], fail):
                        stats["signatures"] += 1
        if aggregated:
            for gv in sorted(served - rendered):
                switch = OPTIONAL_API_GROUPS.get(gv.split(".", 1)[1])
                if switch and value_at(values, switch) is False:
                    continue
                fail(f"{gv}: garden-apiserver serves it, but the release has no APIService for it")
    return stats


def check_chart(chart_dir: Path, verbose: bool) -> tuple[bool, str]:
    name = chart_dir.name
    failures = Failures()
    skipped_kinds: set[str] = set()
    counts = {"values": 0, "objects": 0, "validated": 0, "broken": 0, "apiservices": 0, "signatures": 0}
    if name not in WORKLOADS:
        return False, f"{name}: FAIL: no binary known for this chart (add it to WORKLOADS in {Path(__file__).name})"
    workloads = WORKLOADS[name]
    flags_by_binary: dict[str, dict] = {}
    for wl in workloads:
        try:
            flags_by_binary[wl.binary] = rust_flags(REPO / wl.source) if wl.source else EXTERNAL_FLAGS[wl.binary]
        except Exception as e:  # noqa: BLE001
            return False, f"{name}: FAIL: reading the flags of {wl.source or wl.binary}: {e}"

    meta = yaml.safe_load((chart_dir / "Chart.yaml").read_text())
    if meta.get("apiVersion") != "v2":
        failures.add("Chart.yaml", f"apiVersion {meta.get('apiVersion')!r}, want v2")
    if meta.get("name") != name:
        failures.add("Chart.yaml", f"name {meta.get('name')!r} != directory {name}")
    if str(meta.get("version")) != APP_VERSION or str(meta.get("appVersion")) != APP_VERSION:
        failures.add("Chart.yaml", f"version/appVersion {meta.get('version')}/{meta.get('appVersion')}, want {APP_VERSION}")
    defaults = yaml.safe_load((chart_dir / "values.yaml").read_text())
    for wl in workloads:
        default_repo = f"garden/{wl.image_name}"
        image = section(defaults, wl.values).get("image", {})
        prefix = f"{wl.values}." if wl.values else ""
        if image.get("repository") != default_repo or image.get("tag"):
            failures.add("values.yaml", f"{prefix}image default must be {default_repo} with an empty tag (the appVersion)")
        if wl.image_name not in built_images():
            failures.add("values.yaml", f"image {default_repo} is not one hack/images.sh builds ({sorted(built_images())})")
        elif wl.binary not in image_binaries(wl.image_name):
            failures.add("values.yaml", f"image {default_repo} does not carry {wl.binary} (hack/images.sh: "
                                        f"{sorted(image_binaries(wl.image_name))})")
    if not (chart_dir / "values.schema.json").is_file():
        failures.add("values.schema.json", "missing")
    else:
        json.loads((chart_dir / "values.schema.json").read_text())
    for key in undocumented_values(chart_dir / "values.yaml"):
        failures.add("values.yaml", f"{key} is not documented (no comment above it or its parents)")

    chart = helm.Chart.load(str(chart_dir))
    ci_files = sorted((chart_dir / "ci").glob("*.yaml"))
    broken_files = sorted((chart_dir / "ci" / "broken").glob("*.yaml"))
    if len(ci_files) < 2:
        failures.add("ci/", f"{len(ci_files)} values files, want at least 2")
    if not broken_files:
        failures.add("ci/broken/", "no broken values files")

    for f in ci_files:
        rel = f.relative_to(chart_dir)
        user = yaml.safe_load(f.read_text()) or {}
        merged = deep_merge(defaults, user)
        try:
            objs = render(chart, user)
        except helm.HelmError as e:
            failures.add(str(rel), f"render failed: {e}")
            continue
        counts["values"] += 1
        counts["objects"] += len(objs)
        lint = helm.lint(str(chart_dir), user, kube_version=LINT_KUBE_VERSION)
        for m in lint.get("messages") or []:
            if m["severity"] >= 2:
                failures.add(str(rel), f"lint {('', 'info', 'warning', 'error')[m['severity']]}: {m['path']}: {m['error'].strip()}")
        for e in lint.get("errors") or []:
            if not any(e.strip() in (m.get("error") or "") for m in lint.get("messages") or []):
                failures.add(str(rel), f"lint: {e.strip()}")
        for o in objs:
            template = o.pop("__template")
            where = f"{rel} {template} {o.get('kind')}/{(o.get('metadata') or {}).get('name')}"
            try:
                kubernetes_validate.validate(o, KUBE_VERSION, strict=True)
                counts["validated"] += 1
            except kubernetes_validate.SchemaNotFoundError:
                skipped_kinds.add(f"{o.get('apiVersion')}/{o.get('kind')}")
            except kubernetes_validate.ValidationError as e:
                path = "/".join(str(p) for p in e.path)
                failures.add(where, f"schema ({KUBE_VERSION}, strict): at /{path}: {e.message}")
        stats = check_release(name, objs, merged, APP_VERSION, workloads, flags_by_binary,
                              lambda m, rel=rel: failures.add(str(rel), m))
        counts["apiservices"] += stats["apiservices"]
        counts["signatures"] += stats["signatures"]
        for wl in workloads:
            if "repository" in (section(user, wl.values).get("image") or {}):
                continue
            images = {c["image"] for o in objs if o["kind"] in ("Deployment", "StatefulSet")
                      for c in containers_of(o) if container_workload(workloads, c) is wl}
            want = f"garden/{wl.image_name}:{APP_VERSION}"
            if images and images != {want}:
                failures.add(str(rel), f"default images of {wl.binary} {sorted(images)} != {{{want}}}")
        if verbose:
            print(f"  {name} {rel}: {len(objs)} objects: "
                  + ", ".join(f"{o['kind']}/{o['metadata']['name']}" for o in objs))

    for f in broken_files:
        rel = f.relative_to(chart_dir)
        d = directives(f)
        user = yaml.safe_load(f.read_text()) or {}
        if "base" in d:
            base = yaml.safe_load((chart_dir / "ci" / d["base"]).read_text()) or {}
            user = deep_merge(base, user)
        try:
            chart.render(user, name=RELEASE, namespace=NAMESPACE, is_install=True)
        except (helm.HelmValuesError, helm.HelmRenderError) as e:
            msg = str(e).strip()
            short = " | ".join(line.strip() for line in msg.splitlines() if line.strip() and not line.startswith("values don't meet"))
            if "expect" in d and d["expect"] not in msg:
                failures.add(str(rel), f"failed, but not with {d['expect']!r}: {short}")
            else:
                counts["broken"] += 1
                print(f"  {name} {rel}: refused: {short}")
            continue
        except helm.HelmError as e:
            failures.add(str(rel), f"failed with an unexpected error {type(e).__name__}: {e}")
            continue
        failures.add(str(rel), "rendered, but these values are broken: rendering must fail")

    status = "ok" if not failures.items else f"FAIL ({len(failures.items)})"
    summary = (f"{name}: {status}: {counts['values']} values files rendered and linted, {counts['objects']} objects, "
               f"{counts['validated']} validated strictly against Kubernetes {KUBE_VERSION}, skipped kinds: "
               f"{', '.join(sorted(skipped_kinds)) or 'none'}; {counts['broken']}/{len(broken_files)} broken values "
               f"files refused; flags checked: "
               + ", ".join(f"{len(flags_by_binary[wl.binary])} of {wl.binary}" for wl in workloads)
               + (f"; {counts['apiservices']} APIServices, {counts['signatures']} serving-certificate signatures "
                  f"verified" if counts["apiservices"] else ""))
    for item in failures.items:
        print(f"  FAIL {name}: {item}")
    return not failures.items, summary


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("charts", nargs="*", help="chart directory names (default: all under charts/)")
    ap.add_argument("-v", "--verbose", action="store_true", help="list the rendered objects")
    a = ap.parse_args()
    dirs = sorted(p.parent for p in CHARTS_DIR.glob("*/Chart.yaml"))
    if a.charts:
        dirs = [d for d in dirs if d.name in a.charts]
        missing = set(a.charts) - {d.name for d in dirs}
        if missing:
            print(f"no such chart: {', '.join(sorted(missing))}", file=sys.stderr)
            return 2
    print(f"helm SDK {helm.helm_sdk_version()} (helm-python {helm.helm_c_version()}), "
          f"kubernetes-validate {kubernetes_validate.version.__version__ if hasattr(kubernetes_validate.version, '__version__') else '?'}")
    summaries, passed, failed = [], 0, 0
    for d in dirs:
        try:
            ok, summary = check_chart(d, a.verbose)
        except Exception:  # noqa: BLE001
            traceback.print_exc()
            ok, summary = False, f"{d.name}: FAIL: the check itself crashed"
        summaries.append(summary)
        passed += ok
        failed += not ok
    print()
    for s in summaries:
        print(s)
    print(f"charts: {passed} passed, {failed} failed")
    return 0 if failed == 0 and passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
