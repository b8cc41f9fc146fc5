"""What of a shoot exists in the local OpenStack (hack/openstack.sh), read through the OpenStack APIs with
openstacksdk (installed with python-openstackclient in the OpenStack venv) as the cloud's admin: prints one JSON
object, kind -> the live resources of the tenant project that belong to shoot CLUSTER (named after its technical
ID, or for servers carrying its `kubernetes.io-cluster-<ID>` metadata), each with its `id` and the details the
tests check. Key pairs belong to users: the tenant user's are read with the tenant's credentials.

    python openstack_inventory.py ENV_FILE CLUSTER [--purge]

--purge deletes what it lists instead (servers, key pair, security group, router interfaces, subnets, networks,
routers), for a test to start from nothing after an earlier run was cut short.
"""
import json
import sys
import time

import openstack

env_file, cluster = sys.argv[1:3]
purge = "--purge" in sys.argv[3:]
env = dict(line.split("=", 1) for line in open(env_file).read().splitlines() if "=" in line)


def connect(username, project):
    return openstack.connect(
        auth_url=env["OS_AUTH_URL"], username=username, password=env["OS_PASSWORD"], project_name=project,
        user_domain_name=env["OS_DOMAIN_NAME"], project_domain_name=env["OS_DOMAIN_NAME"],
        region_name=env["OS_REGION_NAME"],
    )


admin = connect(env["OS_ADMIN_USERNAME"], env["OS_ADMIN_PROJECT_NAME"])
tenant = connect(env["OS_USERNAME"], env["OS_PROJECT_NAME"])
project = env["OS_PROJECT_ID"]
marker = f"kubernetes.io-cluster-{cluster}"

servers = []
for s in admin.compute.servers(details=False, all_projects=True, project_id=project):
    # The server as nova answers at microversion 2.3: with its user data (admin only) and the flavor's ID.
    answer = admin.compute.get(f"/servers/{s.id}", microversion="2.3", raise_exc=False)
    if answer.status_code == 404:  # deleted since it was listed
        continue
    full = answer.json()["server"]
    if marker not in (full.get("metadata") or {}) or full["status"] == "DELETED":
        continue
    servers.append({
        "id": full["id"], "name": full["name"], "status": full["status"], "flavor": full["flavor"]["id"],
        "image": (full.get("image") or {}).get("id"), "metadata": full["metadata"], "key_name": full.get("key_name"),
        "zone": full.get("OS-EXT-AZ:availability_zone"), "user_data": full.get("OS-EXT-SRV-ATTR:user_data"),
    })
routers = [
    {"id": r.id, "name": r.name, "gateway_network": (r.external_gateway_info or {}).get("network_id")}
    for r in admin.network.routers(project_id=project) if r.name == cluster
]
networks = [{"id": n.id, "name": n.name} for n in admin.network.networks(project_id=project) if n.name == cluster]
subnets = [
    {"id": s.id, "name": s.name, "cidr": s.cidr, "network": s.network_id}
    for s in admin.network.subnets(project_id=project) if s.name == cluster
]
interfaces = [
    {"id": p.id, "router": p.device_id, "subnet": ip["subnet_id"]}
    for r in routers
    for p in admin.network.ports(device_id=r["id"], device_owner="network:router_interface")
    for ip in p.fixed_ips
]
groups = [
    {"id": g.id, "name": g.name,
     "rules": [{"direction": r["direction"], "protocol": r.get("protocol"), "port_min": r.get("port_range_min"),
                "remote_group": r.get("remote_group_id")} for r in g.security_group_rules]}
    for g in admin.network.security_groups(project_id=project) if g.name == cluster
]
keypairs = [{"id": k.name, "name": k.name} for k in tenant.compute.keypairs() if k.name == cluster]

if purge:
    for s in servers:
        admin.compute.delete_server(s["id"], ignore_missing=True)
    deadline = time.time() + 120
    while any(admin.compute.find_server(s["id"], all_projects=True) for s in servers) and time.time() < deadline:
        time.sleep(0.5)
    for k in keypairs:
        tenant.compute.delete_keypair(k["name"], ignore_missing=True)
    for g in groups:
        admin.network.delete_security_group(g["id"], ignore_missing=True)
    for i in interfaces:
        admin.network.remove_interface_from_router(i["router"], subnet_id=i["subnet"])
    for s in subnets:
        admin.network.delete_subnet(s["id"], ignore_missing=True)
    for n in networks:
        admin.network.delete_network(n["id"], ignore_missing=True)
    for r in routers:
        admin.network.delete_router(r["id"], ignore_missing=True)
    print("{}")
else:
    print(json.dumps({
        "Server": servers, "Router": routers, "Network": networks, "Subnet": subnets,
        "RouterInterface": interfaces, "SecurityGroup": groups, "KeyPair": keypairs,
    }))
