#!/usr/bin/env python3
"""Renders, lints and validates every chart under charts/ with the real Helm engine (PyPI helm-python-sdk) and the
Kubernetes schemas (PyPI kubernetes-validate). Run by hack/charts.sh, which provides the venv.

For every chart (a directory of charts/ with a Chart.yaml):
- Chart.yaml: apiVersion v2, version and appVersion 0.1.0; values.yaml's image.repository is garden/<binary>;
  every value in values.yaml is documented (a comment above it or above one of its parents); a values.schema.json.
- every values file ci/*.yaml: rendered (Chart.render, is_install) and linted (helm_python.lint, kube_version
  v1.33.0; warnings and errors fail); every object validated strictly (kubernetes_validate, 1.33); then the
  cross-checks below.
- every values file ci/broken/*.yaml must fail to render (schema or `fail`). `# base: FILE` (relative to ci/)
  merges it over a working values file first, `# expect: TEXT` requires TEXT in the error, so that a broken file
  fails for the reason it was written for.

Cross-checks of a rendered release:
- labels app.kubernetes.io/{name,instance,version,component,part-of,managed-by} and helm.sh/chart on every object,
  namespaced objects in the release namespace, no duplicates, no null values (empty template blocks);
- RoleBinding / ClusterRoleBinding: subject ServiceAccounts rendered in the same namespace (or named in values,
  serviceAccount.create false), roleRef rendered;
- Service: selector matches a Deployment's pod labels, targetPort a port of its containers; Ingress backends name
  a rendered Service and its port;
- Deployment: selector within the pod labels; images garden/<binary>:<appVersion> (or values.image); resource
  requests; runAsNonRoot, no privilege escalation, read-only root filesystem; probes on container ports; volume
  mounts on declared volumes; configMap / secret volumes name a rendered object (with the keys mounted) or a name
  given in values; the pod's ServiceAccount rendered or named in values; a kubeconfig using the pod's token file
  only with automountServiceAccountToken;
- the container's arguments against the binary's clap flags read from its Rust source: every flag exists, every
  required flag is given, enum values (value_enum), Go durations, socket addresses and integers parse, and every
  file the binary reads (--kubeconfig, --config, --garden-ca, --session-key-file, the gardenlet configuration's
  seedKubeconfig) is a file of a mounted volume;
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
from pathlib import Path

import yaml

import helm_python as helm
import kubernetes_validate

CHARTS_DIR = Path(__file__).resolve().parent.parent
REPO = CHARTS_DIR.parent
KUBE_VERSION = "1.33"
LINT_KUBE_VERSION = "v1.33.0"
APP_VERSION = "0.1.0"
RELEASE = "garden-test"
NAMESPACE = "garden"

# chart -> the binary it runs and the Rust file with that binary's clap flags.
BINARIES = {
    "gardenlet": ("gardenlet", "gardenlet/src/main.rs"),
    "machine-controller": ("machine-controller", "machine-controller/src/main.rs"),
    "gardener-extension-provider-local": (
        "gardener-extension-provider-local",
        "extensions/provider-local/src/bin/gardener-extension-provider-local.rs",
    ),
    "gardener-extension-provider-aws": (
        "gardener-extension-provider-aws",
        "extensions/provider-aws/src/bin/gardener-extension-provider-aws.rs",
    ),
    "gardener-extension-provider-openstack": (
        "gardener-extension-provider-openstack",
        "extensions/provider-openstack/src/bin/gardener-extension-provider-openstack.rs",
    ),
    "garden-dashboard": ("garden-dashboard", "dashboard/src/main.rs"),
}

# Flags whose value is a file the binary reads: it must be a file of a mounted volume.
FILE_FLAGS = {"--kubeconfig", "--config", "--garden-ca", "--session-key-file"}
REQUIRED_LABELS = [
    "app.kubernetes.io/name",
    "app.kubernetes.io/instance",
    "app.kubernetes.io/version",
    "app.kubernetes.io/component",
    "app.kubernetes.io/part-of",
    "app.kubernetes.io/managed-by",
    "helm.sh/chart",
]
CLUSTER_SCOPED = {"ClusterRole", "ClusterRoleBinding", "Namespace", "PriorityClass", "CustomResourceDefinition"}
GO_DURATION = re.compile(r"^\+?(0|(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|ms|s|m|h))+)$")
SA_TOKEN = "/var/run/secrets/kubernetes.io/serviceaccount/token"


def built_images() -> set[str]:
    """The binaries hack/images.sh makes an image of (its IMAGES array)."""
    text = (CHARTS_DIR.parent / "hack" / "images.sh").read_text()
    block = re.search(r"^IMAGES=\((.*?)^\)", text, re.S | re.M)
    return set(block.group(1).split()) if block else set()


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


def rust_flags(path: Path) -> dict[str, dict]:
    """The long flags of the clap `Parser` struct in `path`: {"--name": {type, required, enum, parser}}."""
    text = path.read_text()
    m = re.search(r"#\[derive\([^\]]*Parser[^\]]*\)\]", text)
    if not m:
        raise ValueError(f"{path}: no #[derive(Parser)] struct")
    sm = re.compile(r"struct\s+(\w+)\s*\{").search(text, m.end())
    body_start = sm.end()
    depth, i = 1, body_start
    while depth:
        depth += {"{": 1, "}": -1}.get(text[i], 0)
        i += 1
    body = text[body_start:i - 1]
    enums = rust_value_enums(path, REPO / "component-base/src/lib.rs")
    flags: dict[str, dict] = {}
    attrs: list[str] = []
    for raw in body.splitlines():
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
        arg = " ".join(a for a in attrs if a.startswith("#[arg("))
        attrs = []
        if "long" not in arg:
            continue
        lm = re.search(r'long\s*=\s*"([^"]+)"', arg)
        flag = "--" + (lm.group(1) if lm else name.replace("_", "-"))
        optional = ty.startswith("Option<") or ty == "bool" or "default_value" in arg
        inner = ty[len("Option<"):-1] if ty.startswith("Option<") else ty
        enum = None
        if "value_enum" in arg:
            enum = enums.get(inner.split("::")[-1])
            if enum is None:
                raise ValueError(f"{path}: {flag}: value enum {inner} not found")
        parser = None
        pm = re.search(r"value_parser\s*=\s*(\w+)", arg)
        if pm:
            parser = pm.group(1)
        flags[flag] = {"type": inner, "required": not optional, "enum": enum, "parser": parser}
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


def check_release(chart_name: str, objs: list[dict], values: dict, app_version: str, default_repo: str,
                  flags: dict, fail) -> None:
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
        if o["kind"] not in CLUSTER_SCOPED and md.get("namespace") != NAMESPACE:
            fail(f"{where}: namespace {md.get('namespace')!r}, not the release namespace {NAMESPACE}")

    external_sa = set()
    if not values.get("serviceAccount", {}).get("create", True):
        external_sa.add(values["serviceAccount"]["name"])

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
        if not find(objs, ref["kind"], ref["name"], None if ref["kind"] == "ClusterRole" else obj_ns(o)):
            fail(f"{where}: roleRef {ref['kind']}/{ref['name']} not rendered")

    deployments = [o for o in objs if o["kind"] == "Deployment"]

    # Services and Ingresses.
    for o in objs:
        if o["kind"] != "Service":
            continue
        where = f"Service/{o['metadata']['name']}"
        sel = o["spec"].get("selector") or {}
        targets = [d for d in deployments if obj_ns(d) == obj_ns(o)
                   and labels_match(sel, d["spec"]["template"]["metadata"].get("labels") or {})]
        if not targets:
            fail(f"{where}: selector {sel} matches no Deployment's pod labels")
            continue
        for p in o["spec"]["ports"]:
            tp = p.get("targetPort", p["port"])
            for d in targets:
                ports = [cp for c in d["spec"]["template"]["spec"]["containers"] for cp in c.get("ports") or []]
                if not any(cp.get("name") == tp or cp["containerPort"] == tp for cp in ports):
                    fail(f"{where}: targetPort {tp!r} is no container port of Deployment/{d['metadata']['name']}")
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

    # Workloads.
    if not deployments:
        fail("no Deployment rendered")
    img = values.get("image", {})
    expected_image = f"{img.get('repository')}:{img.get('tag') or app_version}"
    for d in deployments:
        where = f"Deployment/{d['metadata']['name']}"
        tpl = d["spec"]["template"]
        pod = tpl["spec"]
        pod_labels = tpl["metadata"].get("labels") or {}
        if not labels_match(d["spec"]["selector"].get("matchLabels") or {}, pod_labels):
            fail(f"{where}: selector is not within the pod labels")
        sa = pod.get("serviceAccountName")
        if sa and not find(objs, "ServiceAccount", sa, obj_ns(d)) and sa not in external_sa:
            fail(f"{where}: ServiceAccount {sa} neither rendered nor named in values")
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
        for c in pod["containers"]:
            cw = f"{where} container {c['name']}"
            if c["image"] != expected_image:
                fail(f"{cw}: image {c['image']} != {expected_image}")
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
            for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
                p = c.get(probe)
                if not p:
                    if probe != "startupProbe":
                        fail(f"{cw}: no {probe}")
                    continue
                port = (p.get("httpGet") or p.get("tcpSocket") or {}).get("port")
                if port is not None and not any(cp.get("name") == port or cp["containerPort"] == port for cp in ports):
                    fail(f"{cw}: {probe} port {port!r} is not a container port")
            for vm in c.get("volumeMounts") or []:
                if vm["name"] not in volumes:
                    fail(f"{cw}: volumeMount {vm['name']} names no volume")

            # Arguments against the binary's flags.
            args = parse_args((c.get("command") or [])[1:] + (c.get("args") or []))
            given = {}
            for flag, value in args:
                if not flag:
                    fail(f"{cw}: positional argument {value!r} (the binary takes none)")
                    continue
                if flag not in flags:
                    fail(f"{cw}: {flag}: not a flag of the binary (known: {', '.join(sorted(flags))})")
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
            bind = given.get("--health-bind-address") or given.get("--bind-address")
            if bind and bind.rpartition(":")[0] in ("127.0.0.1", "[::1]", "localhost"):
                fail(f"{cw}: {bind} is loopback: probes and Services cannot reach it")

            # Files the binary reads.
            files = {f: v for f, v in given.items() if f in FILE_FLAGS and v}
            contents: dict[str, str | None] = {}
            for flag, path in files.items():
                hit = mounted_file(path, c, volumes)
                if hit is None:
                    fail(f"{cw}: {flag}={path} is no file of a mounted configMap/secret volume")
                    continue
                vol, key = hit
                src = vol.get("configMap") or vol.get("secret")
                kind = "ConfigMap" if "configMap" in vol else "Secret"
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
            for what in ("--kubeconfig", "seedKubeconfig"):
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


def check_chart(chart_dir: Path, verbose: bool) -> tuple[bool, str]:
    name = chart_dir.name
    failures = Failures()
    skipped_kinds: set[str] = set()
    counts = {"values": 0, "objects": 0, "validated": 0, "broken": 0}
    if name not in BINARIES:
        return False, f"{name}: FAIL: no binary known for this chart (add it to BINARIES in {Path(__file__).name})"
    binary, source = BINARIES[name]
    try:
        flags = rust_flags(REPO / source)
    except Exception as e:  # noqa: BLE001
        return False, f"{name}: FAIL: reading the flags of {source}: {e}"

    meta = yaml.safe_load((chart_dir / "Chart.yaml").read_text())
    if meta.get("apiVersion") != "v2":
        failures.add("Chart.yaml", f"apiVersion {meta.get('apiVersion')!r}, want v2")
    if meta.get("name") != name:
        failures.add("Chart.yaml", f"name {meta.get('name')!r} != directory {name}")
    if str(meta.get("version")) != APP_VERSION or str(meta.get("appVersion")) != APP_VERSION:
        failures.add("Chart.yaml", f"version/appVersion {meta.get('version')}/{meta.get('appVersion')}, want {APP_VERSION}")
    defaults = yaml.safe_load((chart_dir / "values.yaml").read_text())
    default_repo = f"garden/{binary}"
    if defaults.get("image", {}).get("repository") != default_repo or defaults.get("image", {}).get("tag"):
        failures.add("values.yaml", f"image default must be {default_repo} with an empty tag (the appVersion)")
    if binary not in built_images():
        failures.add("values.yaml", f"image {default_repo} is not one hack/images.sh builds ({sorted(built_images())})")
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
        check_release(name, objs, merged, APP_VERSION, default_repo, flags,
                      lambda m, rel=rel: failures.add(str(rel), m))
        if "image" not in user or "repository" not in user.get("image", {}):
            images = {c["image"] for o in objs if o["kind"] == "Deployment"
                      for c in o["spec"]["template"]["spec"]["containers"]}
            want = f"{default_repo}:{APP_VERSION}"
            if images != {want}:
                failures.add(str(rel), f"default images {sorted(images)} != {{{want}}}")
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
               f"files refused; {len(flags)} flags of {binary} checked")
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
