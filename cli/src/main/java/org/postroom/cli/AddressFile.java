package org.postroom.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * A CSV file of mail addresses, as {@code postroom member import} and {@code postroom suppression import} read it:
 * UTF-8 (a byte order mark is allowed), the address in the first field, other fields for the command; blank lines
 * are skipped, and so is a first line that names its columns ({@code address}, {@code email}, {@code E-mail
 * address}, ...).
 */
final class AddressFile {
    /** A first field that names a column rather than holding an address. */
    static final Pattern HEADER = Pattern.compile("[A-Za-z][A-Za-z _-]*");

    /** One row with an address: its line number, the address (checked), and all its fields. */
    record Row(int line, String address, List<String> fields) {
    }

    private AddressFile() {
    }

    /**
     * The rows with an address, in file order; each bad row is added to {@code invalid} as "line N: why". The
     * progress bar follows the bytes read.
     *
     * @throws CliException naming the file when it is missing, unreadable or not UTF-8
     */
    static List<Row> read(Path file, Progress progress, List<String> invalid) {
        long size;
        try {
            size = Files.size(file);
        } catch (NoSuchFileException e) {
            throw CliException.notFound("no file " + file);
        } catch (IOException e) {
            throw CliException.failure("cannot read " + file + ": " + e.getMessage());
        }
        List<Row> rows = new ArrayList<>();
        try (InputStream in = Files.newInputStream(file);
             CountingStream counting = new CountingStream(in);
             BufferedReader reader = new BufferedReader(new InputStreamReader(counting,
                 StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)))) {
            String line;
            int number = 0;
            while ((line = reader.readLine()) != null) {
                number++;
                if (number == 1 && line.startsWith("\uFEFF")) {
                    line = line.substring(1);
                }
                progress.bar("reading " + file.getFileName(), counting.count, size);
                if (line.isBlank()) {
                    continue;
                }
                List<String> fields;
                try {
                    fields = Csv.fields(line);
                } catch (IllegalArgumentException e) {
                    invalid.add("line " + number + ": " + e.getMessage());
                    continue;
                }
                String text = fields.get(0);
                if (number == 1 && HEADER.matcher(text).matches()) {
                    continue;
                }
                try {
                    rows.add(new Row(number, Names.address(text), List.copyOf(fields)));
                } catch (CliException e) {
                    invalid.add("line " + number + ": '" + text + "' is not a mail address");
                }
            }
        } catch (CharacterCodingException e) {
            throw CliException.usage(file + " is not UTF-8 text");
        } catch (AccessDeniedException e) {
            throw CliException.failure("permission denied: cannot read " + file);
        } catch (IOException e) {
            throw CliException.failure("cannot read " + file + ": " + e.getMessage());
        } finally {
            progress.done();
        }
        return rows;
    }

    /** Counts the bytes read, for the progress bar. */
    static final class CountingStream extends java.io.FilterInputStream {
        long count;

        CountingStream(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                count++;
            }
            return b;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
            int n = super.read(buffer, offset, length);
            if (n > 0) {
                count += n;
            }
            return n;
        }
    }
}
