package io.baton.dialect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class DialectTest {

    @Test
    void detectsEachFamilyFromTheVersionString() {
        // Version strings as the servers report them (TOPOLOGY-FACTS.md G12).
        assertEquals(Dialect.MYSQL57, Dialect.of("5.7.22-log"));
        assertEquals(Dialect.MYSQL80_LEGACY, Dialect.of("8.0.15"));
        assertEquals(Dialect.MYSQL80_LEGACY, Dialect.of("8.0.21"));
        assertEquals(Dialect.MYSQL80, Dialect.of("8.0.22"));
        assertEquals(Dialect.MYSQL80, Dialect.of("8.0.31"));
        assertEquals(Dialect.MYSQL84, Dialect.of("8.4.3"));
        assertEquals(Dialect.MYSQL84, Dialect.of("9.1.0"));
        assertEquals(Dialect.MARIADB, Dialect.of("10.11.19-MariaDB-0+deb12u1-log"));
        assertEquals(Dialect.MARIADB, Dialect.of("11.4.5-MariaDB-log"));
        assertThrows(IllegalArgumentException.class, () -> Dialect.of("5.6.51"));
        assertThrows(IllegalArgumentException.class, () -> Dialect.of("garbage"));
    }

    @Test
    void keywordsFollowTheServerVersion() {
        assertEquals("STOP SLAVE IO_THREAD", Dialect.MYSQL57.stopReplicaIoThread());
        assertEquals("STOP SLAVE IO_THREAD", Dialect.MYSQL80_LEGACY.stopReplicaIoThread());
        assertEquals("STOP REPLICA IO_THREAD", Dialect.MYSQL80.stopReplicaIoThread());
        assertEquals("STOP REPLICA IO_THREAD", Dialect.MARIADB.stopReplicaIoThread());
        assertEquals("SHOW SLAVE STATUS", Dialect.MARIADB.showReplicaStatus());
        assertEquals("Slave_IO_Running", Dialect.MARIADB.col(Dialect.ReplicaColumn.IO_RUNNING));
        assertEquals("Replica_IO_Running", Dialect.MYSQL80.col(Dialect.ReplicaColumn.IO_RUNNING));
        assertEquals("RESET MASTER", Dialect.MYSQL80.resetBinaryLogs());
        assertEquals("RESET BINARY LOGS AND GTIDS", Dialect.MYSQL84.resetBinaryLogs());
        assertEquals("SHOW BINARY LOG STATUS", Dialect.MYSQL84.showBinaryLogStatus());
        assertEquals("read_only", Dialect.MARIADB.readOnlyVariable());
        assertEquals("super_read_only", Dialect.MYSQL57.readOnlyVariable());
        assertEquals("--log-slave-updates=ON", Dialect.MYSQL57.logReplicaUpdatesFlag(true));
        assertEquals("--log-replica-updates=OFF", Dialect.MYSQL80.logReplicaUpdatesFlag(false));
    }

    @Test
    void changeSourceUsesOnlyOptionsEachServerAccepts() {
        Dialect.ChangeSource gtid = Dialect.ChangeSource.gtid("127.0.0.1", 33100, "repl", "pw");
        String m80 = Dialect.MYSQL80.changeSource(gtid);
        assertTrue(m80.startsWith("CHANGE REPLICATION SOURCE TO SOURCE_HOST='127.0.0.1', SOURCE_PORT=33100"), m80);
        assertTrue(m80.contains("SOURCE_AUTO_POSITION=1") && m80.contains("GET_SOURCE_PUBLIC_KEY=1"), m80);

        String m57 = Dialect.MYSQL57.changeSource(gtid);
        assertTrue(m57.startsWith("CHANGE MASTER TO MASTER_HOST=") && m57.contains("MASTER_AUTO_POSITION=1"), m57);
        assertFalse(m57.contains("PUBLIC_KEY"), "5.7 rejects GET_MASTER_PUBLIC_KEY: " + m57);
        assertTrue(Dialect.MYSQL80_LEGACY.changeSource(gtid).contains("GET_MASTER_PUBLIC_KEY=1"));

        String maria = Dialect.MARIADB.changeSource(gtid);
        assertTrue(maria.contains("MASTER_USE_GTID=slave_pos") && maria.contains("MASTER_SSL=0"), maria);
        assertFalse(maria.contains("RETRY_COUNT"), "G17: MariaDB rejects MASTER_RETRY_COUNT: " + maria);
        assertFalse(maria.contains("AUTO_POSITION"), maria);

        Dialect.ChangeSource pos = Dialect.ChangeSource.position("127.0.0.1", 33100, "repl", "pw", "binlog.000002", 157);
        String mariaPos = Dialect.MARIADB.changeSource(pos);
        assertTrue(mariaPos.contains("MASTER_USE_GTID=no") && mariaPos.contains("MASTER_LOG_FILE='binlog.000002', MASTER_LOG_POS=157"),
                "G16: position mode must say so on MariaDB: " + mariaPos);
        String m80Pos = Dialect.MYSQL80.changeSource(pos);
        assertTrue(m80Pos.contains("SOURCE_LOG_FILE='binlog.000002', SOURCE_LOG_POS=157") && !m80Pos.contains("AUTO_POSITION"), m80Pos);
    }

    @Test
    void waitsAndStateQueriesUseEachServersFunctions() {
        assertEquals("SELECT WAIT_FOR_EXECUTED_GTID_SET('u:1-5', 3)", Dialect.MYSQL57.waitForGtids("u:1-5", 3));
        assertEquals("SELECT MASTER_GTID_WAIT('0-1-6', 3)", Dialect.MARIADB.waitForGtids("0-1-6", 3));
        assertTrue(Dialect.MARIADB.gtidWaitReached("0") && !Dialect.MARIADB.gtidWaitReached("-1"));
        assertTrue(!Dialect.MYSQL80.gtidWaitReached("1") && !Dialect.MYSQL80.gtidWaitReached(null));
        assertTrue(Dialect.MYSQL80.positionWaitReached("0") && !Dialect.MYSQL80.positionWaitReached("-1"));
        assertEquals("SELECT SOURCE_POS_WAIT('binlog.000001', 157, 2)", Dialect.MYSQL80.waitForPosition("binlog.000001", 157, 2));
        assertEquals("SELECT MASTER_POS_WAIT('binlog.000001', 157, 2)", Dialect.MARIADB.waitForPosition("binlog.000001", 157, 2));
        // G11: always the GLOBAL variable; G18: no super_read_only on MariaDB
        assertTrue(Dialect.MYSQL57.serverStateQuery().contains("@@GLOBAL.gtid_executed"));
        assertTrue(Dialect.MYSQL57.serverStateQuery().contains("@@GLOBAL.log_slave_updates"));
        assertTrue(Dialect.MYSQL80.serverStateQuery().contains("@@GLOBAL.log_replica_updates"));
        assertFalse(Dialect.MARIADB.serverStateQuery().contains("super_read_only AS"));
        assertTrue(Dialect.MARIADB.serverStateQuery().contains("NULL AS super_read_only"));
        assertTrue(Dialect.MARIADB.serverStateQuery().contains("@@GLOBAL.gtid_binlog_state"));
        assertEquals("SET GLOBAL gtid_slave_pos = '0-1-6'", Dialect.MARIADB.setGtidSlavePos("0-1-6"));
        assertThrows(UnsupportedOperationException.class, () -> Dialect.MYSQL80.setGtidSlavePos("x"));
        assertEquals("STOP SLAVE SQL_THREAD", Dialect.MYSQL57.stopReplicaSqlThread());
        assertEquals("Master_Server_Id", Dialect.MARIADB.col(Dialect.ReplicaColumn.SOURCE_SERVER_ID));
        assertEquals("Source_Server_Id", Dialect.MYSQL80.col(Dialect.ReplicaColumn.SOURCE_SERVER_ID));
        assertEquals("SHOW BINLOG EVENTS IN 'binlog.000002' FROM 4 LIMIT 10", Dialect.MYSQL80.showBinlogEvents("binlog.000002", 4, 10));
    }

    @Test
    void quotesLiterals() {
        assertEquals("'it\\'s a \\\\ test'", Dialect.quote("it's a \\ test"));
    }
}
