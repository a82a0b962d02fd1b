package io.baton.admin.topology;

import java.util.Comparator;

/** A place in a server's binary log: file name and byte position, ordered by file number then position. */
public record BinlogCoordinates(String file, long pos) implements Comparable<BinlogCoordinates> {
    private static final Comparator<BinlogCoordinates> ORDER =
            Comparator.comparingLong(BinlogCoordinates::fileNumber).thenComparingLong(BinlogCoordinates::pos);

    /** The numeric suffix of the file name ({@code binlog.000042} is 42); -1 for an empty name. */
    public long fileNumber() {
        if (file == null || file.isEmpty()) {
            return -1;
        }
        int dot = file.lastIndexOf('.');
        try {
            return Long.parseLong(file.substring(dot + 1));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    @Override
    public int compareTo(BinlogCoordinates o) {
        return ORDER.compare(this, o);
    }

    @Override
    public String toString() {
        return (file == null || file.isEmpty() ? "''" : file) + ":" + pos;
    }
}
