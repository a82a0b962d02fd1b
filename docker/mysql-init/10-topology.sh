#!/bin/bash
# Run once by the official mysql image's entrypoint (/docker-entrypoint-initdb.d, first start on an
# empty datadir), after root is set up, against the temporary server (socket only).
#   BATON_ROLE=source:  the accounts and the app schema, written to the binary log so the
#                       replicas get them through replication (no errant GTIDs anywhere).
#   BATON_ROLE=replica: an empty GTID history, then replication from db1 with auto-positioning;
#                       super_read_only from the next start on (the entrypoint restarts mysqld).
set -euo pipefail

sql() {
  MYSQL_PWD="$MYSQL_ROOT_PASSWORD" mysql --protocol=socket -uroot "$@"
}

case "${BATON_ROLE:?set BATON_ROLE to source or replica}" in
  source)
    sql <<SQL
CREATE USER 'repl'@'%' IDENTIFIED BY '${BATON_REPL_PASSWORD}';
GRANT REPLICATION SLAVE ON *.* TO 'repl'@'%';
CREATE USER 'baton'@'%' IDENTIFIED BY '${BATON_MONITOR_PASSWORD}';
GRANT ALL PRIVILEGES ON *.* TO 'baton'@'%';
CREATE DATABASE app;
CREATE USER 'app'@'%' IDENTIFIED BY '${BATON_APP_PASSWORD}';
GRANT ALL PRIVILEGES ON app.* TO 'app'@'%';
SQL
    ;;
  replica)
    sql <<SQL
RESET BINARY LOGS AND GTIDS;
CHANGE REPLICATION SOURCE TO SOURCE_HOST='${BATON_SOURCE_HOST:-db1}', SOURCE_PORT=3306,
  SOURCE_USER='repl', SOURCE_PASSWORD='${BATON_REPL_PASSWORD}',
  SOURCE_AUTO_POSITION=1, GET_SOURCE_PUBLIC_KEY=1, SOURCE_CONNECT_RETRY=5;
START REPLICA;
SET PERSIST super_read_only = ON;
SQL
    ;;
  *)
    echo "10-topology.sh: BATON_ROLE must be source or replica, not '$BATON_ROLE'" >&2
    exit 1
    ;;
esac
