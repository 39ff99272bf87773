package dev.transferkit.image;

import dev.transferkit.core.TransferKitException;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Ready-made rules that give an image file its class name, for {@link DatasetBuilder}. A rule returns null when
 * it cannot label a file; its {@code toString()} describes it in reports.
 */
public final class LabelRules {
    private LabelRules() {
    }

    /**
     * Labels a file by a regular expression matched against its whole file name; group 1 is the class. For
     * Food-5K's names such as {@code 0_123.jpg} the pattern {@code (\d+)_.*} gives class {@code "0"}.
     *
     * @param regex a regular expression with at least one capturing group
     * @return the rule; it returns null for names that do not match
     * @throws IllegalArgumentException when the expression is invalid or has no capturing group
     */
    public static Function<Path, String> fromFileNamePattern(String regex) {
        Objects.requireNonNull(regex, "regex");
        Pattern pattern;
        try {
            pattern = Pattern.compile(regex);
        } catch (PatternSyntaxException e) {
            throw new IllegalArgumentException("The file name pattern '" + regex + "' is not a valid regular expression: "
                    + e.getDescription() + ".", e);
        }
        if (pattern.matcher("").groupCount() < 1) {
            throw new IllegalArgumentException("The file name pattern '" + regex
                    + "' has no capturing group; group 1 must capture the class, e.g. (\\d+)_.*");
        }
        return new Function<>() {
            @Override
            public String apply(Path file) {
                Matcher m = pattern.matcher(file.getFileName().toString());
                return m.matches() ? m.group(1) : null;
            }

            @Override
            public String toString() {
                return "file name pattern '" + regex + "'";
            }
        };
    }

    /**
     * Labels files from a CSV file of {@code filename,label} rows. Fields may be quoted ({@code "a, b.jpg"},
     * with {@code ""} for a quote); further columns are ignored; blank lines are skipped; a first row whose first
     * field is not an image file name (such as {@code filename,label}) is taken as a header. The file name may
     * include folders; only its last component is matched.
     *
     * @param csv the CSV file, UTF-8
     * @return the rule; it returns null for files the CSV does not list or lists with a blank label
     * @throws TransferKitException when the CSV cannot be read, a row has fewer than two fields, a quote is not
     *                              closed, or a file is listed twice with different labels
     */
    public static Function<Path, String> fromCsv(Path csv) {
        Objects.requireNonNull(csv, "csv");
        String text;
        try {
            text = Files.readString(csv, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new TransferKitException("The label file " + csv + " could not be read: " + e.getMessage(), e);
        }
        Map<String, String> labels = new HashMap<>();
        List<Row> rows = parse(csv, text);
        for (int i = 0; i < rows.size(); i++) {
            Row row = rows.get(i);
            if (row.fields.size() < 2) {
                throw new TransferKitException("Line " + row.line + " of the label file " + csv + " has "
                        + row.fields.size() + " field; each row needs filename,label.");
            }
            String name = lastComponent(row.fields.get(0).trim());
            if (i == 0 && !ImageFiles.hasImageExtension(name)) {
                continue; // header
            }
            String label = row.fields.get(1).trim();
            String previous = labels.put(name, label);
            if (previous != null && !previous.equals(label)) {
                throw new TransferKitException("The label file " + csv + " gives " + name + " two labels, '" + previous
                        + "' and '" + label + "' (line " + row.line + ").");
            }
        }
        Map<String, String> table = Collections.unmodifiableMap(labels);
        return new Function<>() {
            @Override
            public String apply(Path file) {
                String label = table.get(file.getFileName().toString());
                return label == null || label.isEmpty() ? null : label;
            }

            @Override
            public String toString() {
                return "label file " + csv;
            }
        };
    }

    private static String lastComponent(String name) {
        int slash = Math.max(name.lastIndexOf('/'), name.lastIndexOf('\\'));
        return name.substring(slash + 1);
    }

    private record Row(int line, List<String> fields) {
    }

    /** RFC 4180 style: comma separated, double-quoted fields may hold commas, quotes ("") and line breaks. */
    private static List<Row> parse(Path csv, String text) {
        List<Row> rows = new ArrayList<>();
        List<String> fields = new ArrayList<>();
        StringBuilder field = new StringBuilder();
        boolean quoted = false;
        boolean fieldStarted = false;
        int line = 1;
        int rowLine = 1;
        int i = text.startsWith("\uFEFF") ? 1 : 0;
        for (; i < text.length(); i++) {
            char c = text.charAt(i);
            if (quoted) {
                if (c == '"') {
                    if (i + 1 < text.length() && text.charAt(i + 1) == '"') {
                        field.append('"');
                        i++;
                    } else {
                        quoted = false;
                    }
                } else {
                    if (c == '\n') {
                        line++;
                    }
                    field.append(c);
                }
            } else if (c == '"' && field.toString().isBlank()) {
                field.setLength(0);
                quoted = true;
                fieldStarted = true;
            } else if (c == ',') {
                fields.add(field.toString());
                field.setLength(0);
                fieldStarted = true;
            } else if (c == '\n' || c == '\r') {
                if (c == '\r' && i + 1 < text.length() && text.charAt(i + 1) == '\n') {
                    i++;
                }
                endRow(rows, fields, field, fieldStarted, rowLine);
                fields = new ArrayList<>();
                field.setLength(0);
                fieldStarted = false;
                line++;
                rowLine = line;
            } else {
                field.append(c);
                fieldStarted = true;
            }
        }
        if (quoted) {
            throw new TransferKitException("The label file " + csv + " has a quote opened on line " + rowLine
                    + " that is never closed.");
        }
        endRow(rows, fields, field, fieldStarted, rowLine);
        return rows;
    }

    private static void endRow(List<Row> rows, List<String> fields, StringBuilder field, boolean started, int line) {
        if (!started && fields.isEmpty() && field.toString().isBlank()) {
            return; // blank line
        }
        fields.add(field.toString());
        rows.add(new Row(line, fields));
    }
}
