#!/usr/bin/env bash
# Installs the Debian packages Baton's servers and tools need, when they are missing.
# Used by ./baton and .ci/run. Installs only as root with apt-get; otherwise prints the exact command.
#   system-packages.sh [runtime|test]
#     runtime: libaio1 libnuma1 (mysqld's libraries) and mariadb-client (the CLI the demo prints)
#     test:    runtime + mariadb-server (flavor mariadb), sysbench and haproxy (client matrix, bench),
#              python3-pymysql (the failover drill's PyMySQL load)
set -u
what=${1:-runtime}

need=()
have_lib() { ldconfig -p 2>/dev/null | grep -q "$1"; }
have_lib 'libaio.so.1 '  || need+=(libaio1)
have_lib 'libnuma.so.1 ' || need+=(libnuma1)
command -v mariadb >/dev/null 2>&1 || need+=(mariadb-client)
if [ "$what" = test ]; then
  [ -x /usr/sbin/mariadbd ] || need+=(mariadb-server)
  command -v sysbench >/dev/null 2>&1 || need+=(sysbench)
  command -v haproxy  >/dev/null 2>&1 || need+=(haproxy)
  /usr/bin/python3 -c 'import pymysql' >/dev/null 2>&1 || need+=(python3-pymysql)
fi
[ ${#need[@]} -eq 0 ] && exit 0

if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "baton: missing system packages: ${need[*]}" >&2
  echo "baton: install them with: sudo apt-get install -y ${need[*]}" >&2
  exit 0   # not fatal here: the sandbox names what is missing when it needs it
fi

echo "baton: installing ${need[*]} (apt-get) ..." >&2
export DEBIAN_FRONTEND=noninteractive
# A package's maintainer scripts must not start a system MariaDB: policy-rc.d 101 denies it
# (Debian container images ship that file already; create one only for this install if absent).
made_policy=0
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && made_policy=1
fi
if ! apt-get install -y -qq "${need[@]}" >/tmp/baton-apt.log 2>&1; then
  apt-get update -qq >>/tmp/baton-apt.log 2>&1
  apt-get install -y -qq "${need[@]}" >>/tmp/baton-apt.log 2>&1 || {
    echo "baton: apt-get install ${need[*]} failed; see /tmp/baton-apt.log" >&2
    [ $made_policy = 1 ] && rm -f /usr/sbin/policy-rc.d
    exit 1
  }
fi
[ $made_policy = 1 ] && rm -f /usr/sbin/policy-rc.d
exit 0
