#!/usr/bin/env python3
"""Generate garden-apiserver/machinery/src/protobuf/mapping.rs: which k8s-openapi struct field maps to which k8s-pb message
field, for every message reachable from the kinds the server serves as protobuf.

Both crates are generated from the same Kubernetes types (k8s-openapi from the OpenAPI schema, k8s-pb from the
generated.proto files), so their structs line up field by field; only the Rust spelling of some names differs
(`type_` / `r#type`, `external_ips` / `external_i_ps`). The output is a list consumed by the `messages!` macro in
`protobuf/convert.rs`, which does the actual conversion with a handful of generic field rules.

Usage: hack/gen-protobuf-mapping.py  (reads the crate sources that `cargo metadata` points at)
"""

import json
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "garden-apiserver", "machinery", "src", "protobuf", "mapping.rs")
OPENAPI_VERSION = "v1_33"  # the k8s-openapi feature the workspace enables

# The kinds served as protobuf (see `protobuf/kinds.rs`), and the meta types the wire format needs.
ROOTS = [
    "api::core::v1::Namespace",
    "api::core::v1::ConfigMap",
    "api::core::v1::Secret",
    "api::core::v1::ServiceAccount",
    "api::core::v1::Event",
    "api::core::v1::Node",
    "api::core::v1::Pod",
    "api::core::v1::Service",
    "api::core::v1::Endpoints",
    "api::apps::v1::Deployment",
    "api::apps::v1::StatefulSet",
    "api::apps::v1::DaemonSet",
    "api::apps::v1::ReplicaSet",
    "api::rbac::v1::Role",
    "api::rbac::v1::ClusterRole",
    "api::rbac::v1::RoleBinding",
    "api::rbac::v1::ClusterRoleBinding",
    "api::coordination::v1::Lease",
    "api::networking::v1::NetworkPolicy",
    "api::authorization::v1::SelfSubjectAccessReview",
    "api::authorization::v1::SelfSubjectRulesReview",
    "api::authentication::v1::TokenRequest",
    "api::authentication::v1::SelfSubjectReview",
    "api::autoscaling::v1::Scale",
    "apimachinery::pkg::apis::meta::v1::Status",
    "apimachinery::pkg::apis::meta::v1::ListMeta",
    "apimachinery::pkg::apis::meta::v1::DeleteOptions",
]

# Converted by hand in convert.rs (their JSON form is not a plain object of the message's fields).
SPECIAL = {
    "apimachinery::pkg::apis::meta::v1::Time",
    "apimachinery::pkg::apis::meta::v1::MicroTime",
    "apimachinery::pkg::apis::meta::v1::FieldsV1",
    "apimachinery::pkg::api::resource::Quantity",
    "apimachinery::pkg::util::intstr::IntOrString",
    "apimachinery::pkg::runtime::RawExtension",
    "api::authentication::v1::ExtraValue",
    "api::authorization::v1::ExtraValue",
}
# Messages whose JSON form is a plain string in k8s-openapi: fields of these types are left out (none of the
# served kinds has one; the generator says so if that changes).
SKIPPED_TYPES = {"apimachinery::pkg::apis::meta::v1::Duration"}


def crate_src(name):
    meta = json.loads(
        subprocess.check_output(["cargo", "metadata", "--format-version", "1", "--locked"], cwd=ROOT)
    )
    for p in meta["packages"]:
        if p["name"] == name:
            return os.path.dirname(p["manifest_path"]), p["version"]
    sys.exit(f"{name} is not a dependency of the workspace")


def norm(field):
    return field.removeprefix("r#").rstrip("_").replace("_", "").lower()


def parse_pb(src):
    """{module::Message: [(field, referenced message or None)]} from k8s-pb's prost output."""
    messages = {}
    for dirpath, _, files in os.walk(os.path.join(src, "src")):
        if "mod.rs" not in files:
            continue
        module = os.path.relpath(dirpath, os.path.join(src, "src")).split(os.sep)
        text = open(os.path.join(dirpath, "mod.rs")).read()
        for m in re.finditer(r"^pub struct (\w+) \{\n(.*?)^\}", text, re.S | re.M):
            fields = []
            body = re.sub(r"^\s*///.*\n", "", m.group(2), flags=re.M)
            for f in re.finditer(r"#\[prost\(([^\]]*)\)\]\s*pub ([\w#]+):\s*(.*?),\s*(?=#\[prost|$)", body, re.S):
                attr, name, ty = f.group(1), f.group(2), " ".join(f.group(3).split())
                ref = None
                if attr.startswith("message") or ("btree_map" in attr and "message" in attr):
                    inner = re.findall(r"((?:super::)*(?:\w+::)*\w+)>*$", ty.replace(" ", "").replace(",>", ">"))[0]
                    parts = inner.split("::")
                    base = list(module)
                    while parts and parts[0] == "super":
                        parts.pop(0)
                        base.pop()
                    ref = "::".join(base + parts)
                fields.append((name, ref))
            messages["::".join(module + [m.group(1)])] = fields
    return messages


def parse_openapi(src):
    """{module::Struct: [field]} from k8s-openapi's sources for OPENAPI_VERSION."""
    base = os.path.join(src, "src", OPENAPI_VERSION)
    structs = {}
    for dirpath, _, files in os.walk(base):
        module = os.path.relpath(dirpath, base).split(os.sep)
        for fname in files:
            if fname == "mod.rs" or not fname.endswith(".rs"):
                continue
            text = open(os.path.join(dirpath, fname)).read()
            for m in re.finditer(r"^pub struct (\w+) \{\n(.*?)^\}", text, re.S | re.M):
                fields = re.findall(r"^    pub (\w+):", m.group(2), re.M)
                structs["::".join(module + [m.group(1)])] = fields
    return structs


def main():
    pb_src, pb_version = crate_src("k8s-pb")
    oa_src, oa_version = crate_src("k8s-openapi")
    pb = parse_pb(pb_src)
    oa = parse_openapi(oa_src)
    # Acronyms are spelled differently (`PodDnsConfig` / `PodDNSConfig`): match type names case-insensitively.
    oa_names = {n.lower(): n for n in oa}
    out, notes, seen = [], [], set()
    queue = list(ROOTS)
    while queue:
        name = queue.pop(0)
        if name in seen or name in SPECIAL:
            continue
        seen.add(name)
        if name not in pb:
            sys.exit(f"k8s-pb has no message {name}")
        oa_name = oa_names.get(name.lower())
        if oa_name is None:
            sys.exit(f"k8s-openapi has no struct {name}")
        oa_fields = {norm(f): f for f in oa[oa_name]}
        pairs, pb_only, inline = [], [], []
        for field, ref in pb[name]:
            if ref in SKIPPED_TYPES:
                notes.append(f"{name}.{field}: {ref} has no k8s-openapi struct")
                continue
            oa_field = oa_fields.pop(norm(field), None)
            if oa_field is None:
                # A Go struct embedded inline: a nested message in protobuf, its fields flattened in JSON.
                sub = pb.get(ref, []) if ref else []
                sub_pairs = []
                for sub_field, sub_ref in sub:
                    oa_sub = oa_fields.pop(norm(sub_field), None)
                    if oa_sub is not None:
                        sub_pairs.append((oa_sub, sub_field))
                        if sub_ref:
                            queue.append(sub_ref)
                if sub_pairs:
                    inline.append((field, ref, sub_pairs))
                else:
                    pb_only.append(field)
                continue
            pairs.append((oa_field, field))
            if ref:
                queue.append(ref)
        if pb_only:
            notes.append(f"{name}: only in k8s-pb: {', '.join(pb_only)}")
        if oa_fields:
            notes.append(f"{name}: only in k8s-openapi: {', '.join(oa_fields.values())}")
        out.append((oa_name, name, pairs, inline, list(oa_fields.values())))
    out.sort()
    lines = [
        "// @generated by hack/gen-protobuf-mapping.py; do not edit.",
        f"// k8s-openapi {oa_version} ({OPENAPI_VERSION}) structs <-> k8s-pb {pb_version} messages, field by field.",
        "//",
        "// Fields that only one side has (left at their default when converting):",
    ]
    lines += [f"//   {n}" for n in sorted(notes)] or ["//   none"]
    lines += ["", "messages! {"]
    for oa_name, name, pairs, inline, oa_only in out:
        fields = ", ".join(f"{a}: {b}" for a, b in pairs)
        embedded = " ".join(
            f"{field}: {ref} {{ {', '.join(f'{a}: {b}' for a, b in sub)} }}" for field, ref, sub in inline
        )
        module, oa_type = oa_name.rsplit("::", 1)
        lines.append(
            f"    ({module}) {oa_type} = {name.rsplit('::', 1)[1]} {{ {fields} }} inline {{ {embedded} }} "
            f"[{', '.join(oa_only)}];"
        )
    lines.append("}")
    with open(OUT, "w") as f:
        f.write("\n".join(lines) + "\n")
    print(f"{OUT}: {len(out)} messages")


if __name__ == "__main__":
    main()
