package org.postroom.cli;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Aligned columns under an upper-case header, two spaces apart; the last column is not padded. */
final class Table {
    private final List<String[]> rows = new ArrayList<>();
    private final int columns;

    private final boolean header;

    Table(String... headers) {
        this(true, headers);
    }

    private Table(boolean header, String... headers) {
        this.columns = headers.length;
        this.header = header;
        rows.add(headers);
    }

    /** Aligned columns without a header line. */
    static Table withoutHeader(int columns) {
        return new Table(false, new String[columns]);
    }

    Table add(Object... cells) {
        String[] row = new String[columns];
        for (int i = 0; i < columns; i++) {
            row[i] = i < cells.length && cells[i] != null ? String.valueOf(cells[i]) : "";
        }
        rows.add(row);
        return this;
    }

    boolean isEmpty() {
        return rows.size() == 1;
    }

    void print(PrintStream out) {
        List<String[]> printed = header ? rows : rows.subList(1, rows.size());
        int[] widths = new int[columns];
        for (String[] row : printed) {
            for (int i = 0; i < columns; i++) {
                widths[i] = Math.max(widths[i], row[i].length());
            }
        }
        for (String[] row : printed) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < columns; i++) {
                line.append(row[i]);
                if (i < columns - 1) {
                    line.append(" ".repeat(widths[i] - row[i].length() + 2));
                }
            }
            out.println(line.toString().stripTrailing());
        }
    }

    @Override
    public String toString() {
        return rows.stream().map(Arrays::toString).toList().toString();
    }
}
