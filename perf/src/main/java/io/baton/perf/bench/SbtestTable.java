package io.baton.perf.bench;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.ThreadLocalRandom;

/** The sysbench table {@code sbtest.sbtest1}, created and filled once per bench run. */
final class SbtestTable {
    private static final int POOL = 1024;
    private static final String[] C = new String[POOL];
    private static final String[] PAD = new String[POOL];

    static {
        java.util.Random r = new java.util.Random(1);
        for (int i = 0; i < POOL; i++) {
            C[i] = digits(r, 10);
            PAD[i] = digits(r, 5);
        }
    }

    private SbtestTable() {
    }

    /** Drops and recreates {@code sbtest1} with {@code rows} rows (ids 1..rows), like sysbench prepare. */
    static void prepare(Connection root, int rows) throws SQLException {
        try (Statement st = root.createStatement()) {
            st.execute("CREATE DATABASE IF NOT EXISTS sbtest");
            st.execute("DROP TABLE IF EXISTS sbtest.sbtest1");
            st.execute("CREATE TABLE sbtest.sbtest1 (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,"
                    + " k INT NOT NULL DEFAULT 0, c CHAR(120) NOT NULL DEFAULT '', pad CHAR(60) NOT NULL DEFAULT '',"
                    + " KEY k_1 (k)) ENGINE=InnoDB");
            java.util.Random r = new java.util.Random(2);
            int batch = 500;
            for (int from = 1; from <= rows; from += batch) {
                StringBuilder sb = new StringBuilder("INSERT INTO sbtest.sbtest1 (id, k, c, pad) VALUES ");
                for (int id = from; id < from + batch && id <= rows; id++) {
                    if (id > from) {
                        sb.append(',');
                    }
                    sb.append('(').append(id).append(',').append(r.nextInt(rows)).append(",'")
                            .append(C[r.nextInt(POOL)]).append("','").append(PAD[r.nextInt(POOL)]).append("')");
                }
                st.execute(sb.toString());
            }
            st.execute("ANALYZE TABLE sbtest.sbtest1");
        }
    }

    /** A c value: 10 groups of 11 digits, as sysbench writes them. */
    static String c(ThreadLocalRandom rnd) {
        return C[rnd.nextInt(POOL)];
    }

    /** A pad value: 5 groups of 11 digits. */
    static String pad(ThreadLocalRandom rnd) {
        return PAD[rnd.nextInt(POOL)];
    }

    private static String digits(java.util.Random r, int groups) {
        StringBuilder sb = new StringBuilder(groups * 12);
        for (int g = 0; g < groups; g++) {
            if (g > 0) {
                sb.append('-');
            }
            for (int i = 0; i < 11; i++) {
                sb.append((char) ('0' + r.nextInt(10)));
            }
        }
        return sb.toString();
    }
}
