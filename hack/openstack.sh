#!/usr/bin/env bash
# A real, small OpenStack on loopback for provider-openstack's tests and benchmarks, everything from PyPI and Debian.
set -euo pipefail

usage() {
  cat <<'USAGE'
Usage: hack/openstack.sh install|up|down|status

  install  Debian's rabbitmq-server and mariadb-server, and the OpenStack services from PyPI into the venv
           $GARDEN_TOOLS_DIR/openstack-venv (about 3 min the first time; nothing when present)
  up       install, then start on 127.0.0.1 (about 2.5 min): keystone v3 :5050, glance :9292, placement :8778,
           neutron :9696 (ML2, core and router plugins, no agents), nova :8774 (fake compute driver), with
           RabbitMQ :5672 and MariaDB :3306 (nova's, neutron's and placement's databases). Then creates what provider-openstack's tests and
           examples use: flavors m1.small and m1.medium, the image debian-12, the external network `public`
           (the floating pool) and a tenant project `garden-dev` with user `garden` (member). Writes
           $OS_BASE/env (shell assignments: OS_AUTH_URL, the tenant's and the admin's credentials, IDs) and
           $OS_BASE/pids. Leaves a running OpenStack untouched when $OS_BASE/env is there and keystone answers.
  down     stop every process of $OS_BASE/pids and remove $OS_BASE
  status   exit 0 when keystone, nova and neutron answer

What works without agents: the identity, image, network (networks, subnets, routers, router interfaces,
security groups, ports) and compute APIs; nova boots servers with the fake driver (ACTIVE in seconds). What does
not: binding a port to a server (no L2 agent), so servers are created with `networks: none`; no packet is ever
forwarded and no floating IP reaches anything.

Environment: OS_BASE (default ${TMPDIR:-/tmp}/garden-openstack), GARDEN_TOOLS_DIR (venv cache).
USAGE
}

# shellcheck source=hack/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

OS_BASE="${OS_BASE:-${TMPDIR:-/tmp}/garden-openstack}"
VENV="$GARDEN_TOOLS_DIR/openstack-venv"
PASSWORD="garden-openstack-secret"
KEYSTONE="http://127.0.0.1:5050/v3"
# Pinned releases (2025.2 "Flamingo" series), as installed by `install`.
PACKAGES=(keystone==30.0.0 nova==34.0.0 openstack-placement==16.0.0 glance==33.0.0 neutron==29.0.0
  python-openstackclient gunicorn pymysql)

install() {
  local -a missing=()
  [[ -x /usr/lib/rabbitmq/bin/rabbitmq-server ]] || missing+=(rabbitmq-server)
  [[ -x /usr/sbin/mariadbd ]] || missing+=(mariadb-server)
  if [[ ${#missing[@]} -gt 0 ]]; then
    garden::apt_install "${missing[@]}"
    # Debian starts both as system services on install; ours run on their own data directories.
    garden::as_root systemctl disable --now rabbitmq-server mariadb >/dev/null 2>&1 || true
  fi
  if [[ ! -x "$VENV/bin/nova-compute" || ! -x "$VENV/bin/neutron-db-manage" || ! -x "$VENV/bin/gunicorn" ]]; then
    command -v python3 >/dev/null 2>&1 || garden::ensure_packages
    python3 -c 'import venv, ensurepip' >/dev/null 2>&1 ||
      garden::apt_install "python$(python3 -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')-venv"
    garden::log "installing OpenStack (${PACKAGES[*]}) into $VENV"
    local t0=$SECONDS
    python3 -m venv "$VENV"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "${PACKAGES[@]}" ||
      garden::die "pip install of the OpenStack services failed"
    garden::log "OpenStack installed in $((SECONDS - t0))s"
  fi
}

status() {
  local url
  for url in "$KEYSTONE" http://127.0.0.1:8774/ http://127.0.0.1:9696/; do
    case "$(curl -s --max-time 2 -o /dev/null -w '%{http_code}' "$url" || true)" in
      2* | 300 | 401) ;;
      *) return 1 ;;
    esac
  done
}

down() {
  if [[ -f "$OS_BASE/pids" ]]; then
    local name pid
    # Every service was started with setsid: its process group holds its workers. Nothing here is worth a
    # graceful shutdown (the data directory goes next), but give them a moment to close their connections.
    while read -r name pid; do
      kill -TERM -- "-$pid" 2>/dev/null || true
    done <"$OS_BASE/pids"
    sleep 2
    while read -r name pid; do
      kill -KILL -- "-$pid" 2>/dev/null || true
    done <"$OS_BASE/pids"
    garden::log "OpenStack stopped"
  fi
  rm -rf "$OS_BASE"
}

# ---- up ----

sqlite_url() { echo "sqlite:///$OS_BASE/data/$1.db?timeout=60"; }
mysql_url() { echo "mysql+pymysql://openstack:$PASSWORD@127.0.0.1:3306/$1?charset=utf8"; }

# Write-ahead logging: the services' worker threads write concurrently.
sqlite_wal() { "$VENV/bin/python" -c "import sqlite3; sqlite3.connect('$1', timeout=30).execute('PRAGMA journal_mode=WAL')"; }

# start NAME COMMAND...: in its own session, logged to logs/NAME.out, its PID kept.
start() {
  local name="$1"
  shift
  setsid "$@" >"$OS_BASE/logs/$name.out" 2>&1 </dev/null &
  echo "$name $!" >>"$OS_BASE/pids"
  LAST_PID=$!
}

# wsgi NAME PORT MODULE ENV...: the service's WSGI application under gunicorn (one worker, four threads).
wsgi() {
  local name="$1" port="$2" module="$3"
  shift 3
  # oslo.config would parse gunicorn's own arguments: each app is imported through a module that clears them.
  printf 'import sys\nsys.argv = sys.argv[:1]\nfrom %s import application  # noqa: F401\n' "$module" \
    >"$OS_BASE/wsgi/${name//-/_}_app.py"
  start "$name" env "$@" "$VENV/bin/gunicorn" --no-control-socket --chdir "$OS_BASE/wsgi" -b "127.0.0.1:$port" \
    -w 1 --threads 4 --timeout 120 "${name//-/_}_app:application"
}

wait_http() {
  local url="$1" name="$2" pid="$3" code
  for _ in $(seq 1 600); do
    code="$(curl -s --max-time 2 -o /dev/null -w '%{http_code}' "$url" || true)"
    case "$code" in 2* | 300 | 401) return 0 ;; esac
    garden::proc_alive "$pid" || garden::die "$name exited; see $OS_BASE/logs"
    sleep 0.2
  done
  garden::die "$name did not answer on $url within 120 s; see $OS_BASE/logs"
}

# The [keystone_authtoken]-style section of service user NAME.
service_auth() {
  cat <<EOF
auth_url = $KEYSTONE
auth_type = password
username = $1
password = $PASSWORD
project_name = service
user_domain_name = Default
project_domain_name = Default
region_name = RegionOne
EOF
}

up() {
  install
  if [[ -f "$OS_BASE/env" ]] && status; then
    garden::log "OpenStack already running ($OS_BASE/env)"
    return 0
  fi
  down
  local t0=$SECONDS
  mkdir -p "$OS_BASE"/{etc,logs,wsgi,rabbit,mysql} "$OS_BASE"/data/{images,staging,tasks,nova/instances,lock}
  : >"$OS_BASE/pids"
  export PYTHONWARNINGS=ignore

  # RabbitMQ: the RPC bus of nova and neutron.
  cat >"$OS_BASE/rabbit/env" <<EOF
export RABBITMQ_NODENAME=rabbit@localhost RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 RABBITMQ_NODE_PORT=5672
export RABBITMQ_DIST_PORT=25672 ERL_EPMD_ADDRESS=127.0.0.1 HOME=$OS_BASE/rabbit
export RABBITMQ_MNESIA_BASE=$OS_BASE/rabbit/mnesia RABBITMQ_LOG_BASE=$OS_BASE/rabbit/log
export RABBITMQ_ENABLED_PLUGINS_FILE=$OS_BASE/rabbit/enabled_plugins RABBITMQ_CONFIG_FILE=$OS_BASE/rabbit/rabbitmq
EOF
  echo '[].' >"$OS_BASE/rabbit/enabled_plugins"
  echo 'listeners.tcp.default = 127.0.0.1:5672' >"$OS_BASE/rabbit/rabbitmq.conf"
  # shellcheck disable=SC1091
  (source "$OS_BASE/rabbit/env" && start rabbitmq /usr/lib/rabbitmq/bin/rabbitmq-server)

  # MariaDB for nova and neutron: their concurrent writers on SQLite fail with "database is locked".
  mariadb-install-db --no-defaults --user="$(id -un)" --datadir="$OS_BASE/mysql/data" \
    --auth-root-authentication-method=normal --skip-test-db >"$OS_BASE/logs/mariadb-install.out" 2>&1
  start mariadb /usr/sbin/mariadbd --no-defaults --user="$(id -un)" --datadir="$OS_BASE/mysql/data" \
    --socket="$OS_BASE/mysql/sock" --bind-address=127.0.0.1 --port=3306 --skip-log-bin \
    --innodb-buffer-pool-size=64M --max-connections=300
  garden::wait_for 60 mariadb mariadb-admin --socket="$OS_BASE/mysql/sock" -uroot ping ||
    garden::die "mariadb did not start; see $OS_BASE/logs/mariadb.out"
  mariadb --socket="$OS_BASE/mysql/sock" -uroot -e "
    CREATE DATABASE nova_api; CREATE DATABASE nova_cell0; CREATE DATABASE nova_cell1; CREATE DATABASE neutron;
    CREATE DATABASE placement;
    CREATE USER 'openstack'@'127.0.0.1' IDENTIFIED BY '$PASSWORD'; GRANT ALL ON *.* TO 'openstack'@'127.0.0.1';"

  # Keystone.
  cat >"$OS_BASE/etc/keystone.conf" <<EOF
[DEFAULT]
log_dir = $OS_BASE/logs
log_file = keystone.log
[database]
connection = $(sqlite_url keystone)
[token]
provider = fernet
expiration = 86400
[fernet_tokens]
key_repository = $OS_BASE/etc/fernet-keys
[fernet_receipts]
key_repository = $OS_BASE/etc/fernet-keys
[credential]
key_repository = $OS_BASE/etc/credential-keys
EOF
  local km=("$VENV/bin/keystone-manage" --config-file "$OS_BASE/etc/keystone.conf")
  "${km[@]}" db_sync
  "${km[@]}" fernet_setup --keystone-user "$(id -un)" --keystone-group "$(id -gn)"
  "${km[@]}" credential_setup --keystone-user "$(id -un)" --keystone-group "$(id -gn)"
  "${km[@]}" bootstrap --bootstrap-password "$PASSWORD" --bootstrap-admin-url "$KEYSTONE" \
    --bootstrap-public-url "$KEYSTONE" --bootstrap-internal-url "$KEYSTONE" --bootstrap-region-id RegionOne \
    >"$OS_BASE/logs/keystone-bootstrap.out" 2>&1
  sqlite_wal "$OS_BASE/data/keystone.db"
  wsgi keystone 5050 keystone.wsgi.api OS_KEYSTONE_CONFIG_DIR="$OS_BASE/etc" OS_KEYSTONE_CONFIG_FILES=keystone.conf
  wait_http "$KEYSTONE" keystone "$LAST_PID"

  export OS_AUTH_URL="$KEYSTONE" OS_IDENTITY_API_VERSION=3 OS_REGION_NAME=RegionOne OS_USERNAME=admin
  export OS_PASSWORD="$PASSWORD" OS_PROJECT_NAME=admin OS_USER_DOMAIN_NAME=Default OS_PROJECT_DOMAIN_NAME=Default
  OS_PASSWORD="$PASSWORD" "$VENV/bin/python" - <<'EOF'
import os
import openstack
c = openstack.connect()
idn = c.identity
service = idn.create_project(name="service", domain_id="default")
roles = {r.name: r for r in idn.roles()}
for name in ("nova", "placement", "glance", "neutron"):
    user = idn.create_user(name=name, password=os.environ["OS_PASSWORD"], domain_id="default")
    for role in ("admin", "service"):
        idn.assign_project_role_to_user(service, user, roles[role])
for name, kind, url in [("placement", "placement", "http://127.0.0.1:8778"),
                        ("nova", "compute", "http://127.0.0.1:8774/v2.1"),
                        ("glance", "image", "http://127.0.0.1:9292"),
                        ("neutron", "network", "http://127.0.0.1:9696")]:
    svc = idn.create_service(name=name, type=kind)
    for interface in ("public", "internal", "admin"):
        idn.create_endpoint(service_id=svc.id, interface=interface, url=url, region_id="RegionOne")
EOF

  # Placement.
  cat >"$OS_BASE/etc/placement.conf" <<EOF
[DEFAULT]
log_dir = $OS_BASE/logs
log_file = placement.log
[api]
auth_strategy = keystone
[keystone_authtoken]
www_authenticate_uri = $KEYSTONE
$(service_auth placement)
[placement_database]
# MariaDB, not SQLite: concurrent server creates write allocations at once ("database is locked" on SQLite).
connection = $(mysql_url placement)
EOF
  "$VENV/bin/placement-manage" --config-file "$OS_BASE/etc/placement.conf" db sync
  sqlite_wal "$OS_BASE/data/placement.db"
  wsgi placement 8778 placement.wsgi.api OS_PLACEMENT_CONFIG_DIR="$OS_BASE/etc"
  local placement_pid=$LAST_PID

  # Glance (file store).
  cp "$VENV/etc/glance/glance-api-paste.ini" "$OS_BASE/etc/"
  cat >"$OS_BASE/etc/glance-api.conf" <<EOF
[DEFAULT]
log_dir = $OS_BASE/logs
log_file = glance.log
enabled_backends = fs:file
[glance_store]
default_backend = fs
[fs]
filesystem_store_datadir = $OS_BASE/data/images
[os_glance_staging_store]
filesystem_store_datadir = $OS_BASE/data/staging
[os_glance_tasks_store]
filesystem_store_datadir = $OS_BASE/data/tasks
[database]
connection = $(sqlite_url glance)
[paste_deploy]
flavor = keystone
config_file = $OS_BASE/etc/glance-api-paste.ini
[keystone_authtoken]
www_authenticate_uri = $KEYSTONE
$(service_auth glance)
EOF
  "$VENV/bin/glance-manage" --config-file "$OS_BASE/etc/glance-api.conf" db_sync >"$OS_BASE/logs/glance-manage.out" 2>&1
  sqlite_wal "$OS_BASE/data/glance.db"
  wsgi glance 9292 glance.wsgi.api OS_GLANCE_CONFIG_DIR="$OS_BASE/etc"
  local glance_pid=$LAST_PID

  # Neutron: ML2 with the `test` mechanism driver shipped in neutron's wheel, the L3 router plugin, no agents.
  cp "$VENV/etc/neutron/api-paste.ini" "$OS_BASE/etc/neutron-api-paste.ini"
  cat >"$OS_BASE/etc/neutron.conf" <<EOF
[DEFAULT]
log_dir = $OS_BASE/logs
log_file = neutron.log
core_plugin = ml2
service_plugins = router
auth_strategy = keystone
transport_url = rabbit://guest:guest@127.0.0.1:5672/
api_paste_config = $OS_BASE/etc/neutron-api-paste.ini
state_path = $OS_BASE/data
notify_nova_on_port_status_changes = false
notify_nova_on_port_data_changes = false
[database]
connection = $(mysql_url neutron)
[keystone_authtoken]
www_authenticate_uri = $KEYSTONE
$(service_auth neutron)
[oslo_concurrency]
lock_path = $OS_BASE/data/lock
[ml2]
type_drivers = local,flat
tenant_network_types = local
mechanism_drivers = test
extension_drivers = port_security
[ml2_type_flat]
flat_networks = *
[securitygroup]
firewall_driver = noop
EOF
  # The schema from neutron's models, stamped at head: much faster than replaying every migration.
  "$VENV/bin/python" -c "
import sqlalchemy as sa
from neutron.db.migration.models import head
head.get_metadata().create_all(sa.create_engine('$(mysql_url neutron)'))"
  "$VENV/bin/neutron-db-manage" --config-file "$OS_BASE/etc/neutron.conf" stamp heads \
    >"$OS_BASE/logs/neutron-db-manage.out" 2>&1
  wsgi neutron 9696 neutron.wsgi.api OS_NEUTRON_CONFIG_DIR="$OS_BASE/etc" OS_NEUTRON_CONFIG_FILES=neutron.conf
  local neutron_pid=$LAST_PID

  # Nova with the fake compute driver.
  cp "$VENV/etc/nova/api-paste.ini" "$OS_BASE/etc/nova-api-paste.ini"
  cat >"$OS_BASE/etc/nova.conf" <<EOF
[DEFAULT]
log_dir = $OS_BASE/logs
state_path = $OS_BASE/data/nova
instances_path = $OS_BASE/data/nova/instances
transport_url = rabbit://guest:guest@127.0.0.1:5672/
compute_driver = fake.FakeDriverWithoutFakeNodes
# the host name neutron's test mechanism driver knows
host = host-ovs-no_filter
my_ip = 127.0.0.1
[api]
auth_strategy = keystone
[api_database]
connection = $(mysql_url nova_api)
[database]
connection = $(mysql_url nova_cell1)
[wsgi]
api_paste_config = $OS_BASE/etc/nova-api-paste.ini
[conductor]
workers = 1
[scheduler]
workers = 1
discover_hosts_in_cells_interval = 2
[keystone_authtoken]
www_authenticate_uri = $KEYSTONE
$(service_auth nova)
[service_user]
send_service_user_token = true
$(service_auth nova)
[placement]
$(service_auth nova)
[glance]
$(service_auth nova)
[neutron]
$(service_auth nova)
[cinder]
os_region_name = RegionOne
[oslo_concurrency]
lock_path = $OS_BASE/data/lock
[oslo_messaging_notifications]
driver = noop
[vnc]
enabled = false
[spice]
enabled = false
EOF
  local nm=("$VENV/bin/nova-manage" --config-file "$OS_BASE/etc/nova.conf")
  {
    "${nm[@]}" api_db sync
    "${nm[@]}" cell_v2 map_cell0 --database_connection "$(mysql_url nova_cell0)"
    "${nm[@]}" cell_v2 create_cell --name cell1
    "${nm[@]}" db sync
  } >"$OS_BASE/logs/nova-manage.out" 2>&1
  # nova and neutron talk over RabbitMQ: it must be up before they start.
  # shellcheck disable=SC1091
  (source "$OS_BASE/rabbit/env" &&
    garden::wait_for 120 rabbitmq timeout 10 /usr/lib/rabbitmq/bin/rabbitmqctl -q await_startup) ||
    garden::die "rabbitmq did not start; see $OS_BASE/logs/rabbitmq.out"
  wsgi nova-api 8774 nova.wsgi.osapi_compute OS_NOVA_CONFIG_DIR="$OS_BASE/etc" \
    OS_NOVA_CONFIG_FILES="nova-api-paste.ini;nova.conf"
  local nova_pid=$LAST_PID
  local s
  for s in conductor scheduler compute; do
    start "nova-$s" "$VENV/bin/nova-$s" --config-file "$OS_BASE/etc/nova.conf"
  done
  wait_http http://127.0.0.1:8778/ placement "$placement_pid"
  wait_http http://127.0.0.1:9292/ glance "$glance_pid"
  wait_http http://127.0.0.1:9696/ neutron "$neutron_pid"
  wait_http http://127.0.0.1:8774/ nova-api "$nova_pid"

  # What the tests and examples use; nova-compute must have registered first.
  OS_BASE="$OS_BASE" "$VENV/bin/python" - <<'EOF'
import io, os, time
import openstack
c = openstack.connect()
deadline = time.time() + 420
while not (list(c.compute.hypervisors())
           and any(s.binary == "nova-compute" and s.state == "up" for s in c.compute.services())):
    if time.time() > deadline:
        raise SystemExit("nova-compute did not register within 420 s")
    time.sleep(1)
for name, ram, vcpus, disk in [("m1.small", 2048, 1, 20), ("m1.medium", 4096, 2, 40)]:
    c.compute.create_flavor(name=name, ram=ram, vcpus=vcpus, disk=disk, id=name)
image = c.image.create_image(name="debian-12", disk_format="raw", container_format="bare", visibility="public",
                             data=io.BytesIO(b"\0" * 1024))
public = c.network.create_network(name="public", is_router_external=True, provider_network_type="flat",
                                  provider_physical_network="public")
c.network.create_subnet(network_id=public.id, name="public-subnet", ip_version=4, cidr="172.24.4.0/24",
                        gateway_ip="172.24.4.1")
idn = c.identity
project = idn.create_project(name="garden-dev", domain_id="default")
user = idn.create_user(name="garden", password=os.environ["OS_PASSWORD"], domain_id="default",
                       default_project_id=project.id)
roles = {r.name: r for r in idn.roles()}
idn.assign_project_role_to_user(project, user, roles["member"])
# Room for the machine benchmark (20 servers of m1.medium twice: its baseline's and the shoot's).
c.set_compute_quotas(project.id, instances=100, cores=400, ram=409600)
with open(os.path.join(os.environ["OS_BASE"], "env.tmp"), "w") as f:
    f.write(f"""OS_AUTH_URL={os.environ['OS_AUTH_URL']}
OS_REGION_NAME=RegionOne
OS_DOMAIN_NAME=Default
OS_PROJECT_NAME=garden-dev
OS_PROJECT_ID={project.id}
OS_USERNAME=garden
OS_PASSWORD={os.environ['OS_PASSWORD']}
OS_ADMIN_USERNAME=admin
OS_ADMIN_PROJECT_NAME=admin
OS_IMAGE_ID={image.id}
OS_EXTERNAL_NETWORK_ID={public.id}
""")
EOF
  mv "$OS_BASE/env.tmp" "$OS_BASE/env"
  garden::log "OpenStack up in $((SECONDS - t0))s: $OS_BASE/env"
}

case "${1:-}" in
  install) install ;;
  up) up ;;
  down) down ;;
  status) status ;;
  -h | --help) usage ;;
  *) usage >&2; exit 2 ;;
esac
