"""What of a cluster exists in an EC2/IAM endpoint (moto), read through the AWS API with boto3 (a dependency
of moto, so its venv has it): prints one JSON object, kind -> the live resources tagged
`kubernetes.io/cluster/<cluster>` (IAM roles, instance profiles and key pairs: those named `<cluster>-...`), each
with its `id` and the details the tests check.

    AWS_ACCESS_KEY_ID=... AWS_SECRET_ACCESS_KEY=... python aws_inventory.py ENDPOINT REGION CLUSTER

moto's own state dump (/moto-api/data.json) also lists deleted objects (and fails once S3 holds objects).
"""
import json
import sys

import boto3

endpoint, region, cluster = sys.argv[1:4]
session = boto3.session.Session(region_name=region)
ec2 = session.client("ec2", endpoint_url=endpoint)
iam = session.client("iam", endpoint_url=endpoint)
tag = f"kubernetes.io/cluster/{cluster}"
by_tag = [{"Name": "tag-key", "Values": [tag]}]


def tags(item):
    return {t["Key"]: t.get("Value", "") for t in item.get("Tags") or []}


def pages(method, key, **kwargs):
    for page in ec2.get_paginator(method).paginate(**kwargs):
        yield from page[key]


instances = [
    {
        "id": i["InstanceId"],
        "image": i.get("ImageId"),
        "type": i.get("InstanceType"),
        "subnet": i.get("SubnetId"),
        "zone": i.get("Placement", {}).get("AvailabilityZone"),
        "state": i["State"]["Name"],
        "tags": tags(i),
    }
    for r in pages("describe_instances", "Reservations", Filters=by_tag)
    for i in r["Instances"]
    if i["State"]["Name"] in ("pending", "running")
]
out = {
    "VPC": [{"id": v["VpcId"], "cidr": v["CidrBlock"]} for v in ec2.describe_vpcs(Filters=by_tag)["Vpcs"]],
    "Subnet": [
        {"id": s["SubnetId"], "zone": s["AvailabilityZone"], "cidr": s["CidrBlock"]}
        for s in ec2.describe_subnets(Filters=by_tag)["Subnets"]
    ],
    "InternetGateway": [
        {"id": g["InternetGatewayId"]} for g in ec2.describe_internet_gateways(Filters=by_tag)["InternetGateways"]
    ],
    "RouteTable": [{"id": r["RouteTableId"]} for r in ec2.describe_route_tables(Filters=by_tag)["RouteTables"]],
    "SecurityGroup": [
        {"id": g["GroupId"], "name": g["GroupName"]}
        for g in ec2.describe_security_groups(Filters=by_tag)["SecurityGroups"]
    ],
    "ElasticIP": [{"id": a["AllocationId"]} for a in ec2.describe_addresses()["Addresses"] if tag in tags(a)],
    "DHCPOptions": [{"id": d["DhcpOptionsId"]} for d in ec2.describe_dhcp_options()["DhcpOptions"] if tag in tags(d)],
    # moto ignores tag filters on NAT gateways: filtered here.
    "NatGateway": [
        {"id": n["NatGatewayId"], "state": n["State"]}
        for n in ec2.describe_nat_gateways()["NatGateways"]
        if tag in tags(n) and n["State"] not in ("deleted", "deleting")
    ],
    "Instance": instances,
    "KeyPair": [{"id": k["KeyName"]} for k in ec2.describe_key_pairs()["KeyPairs"] if k["KeyName"].startswith(cluster)],
    "IAMRole": [{"id": r["RoleName"]} for r in iam.list_roles()["Roles"] if r["RoleName"].startswith(cluster)],
    "InstanceProfile": [
        {"id": p["InstanceProfileName"]}
        for p in iam.list_instance_profiles()["InstanceProfiles"]
        if p["InstanceProfileName"].startswith(cluster)
    ],
}
print(json.dumps(out))
