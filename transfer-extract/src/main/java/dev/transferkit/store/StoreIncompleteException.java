package dev.transferkit.store;

import java.nio.file.Path;

/**
 * A store was opened for reading, but its writer never marked it complete (the extraction was interrupted or is
 * still running). Rerunning the extraction resumes it; {@link FeatureStore#openIncomplete(Path)} reads the committed
 * rows anyway.
 */
public class StoreIncompleteException extends StoreException {
    private static final long serialVersionUID = 1L;

    private final long rows;
    private final long expectedRows;

    /**
     * Creates the exception.
     *
     * @param file         the store file
     * @param rows         the rows committed so far
     * @param expectedRows the rows the writer planned, or -1 when it did not say
     */
    public StoreIncompleteException(Path file, long rows, long expectedRows) {
        super(file, "The feature store " + file + " is incomplete ("
                + (expectedRows >= 0 ? rows + " of " + expectedRows + " rows" : rows + " rows so far, total unknown")
                + "): rerun the extraction to resume it.");
        this.rows = rows;
        this.expectedRows = expectedRows;
    }

    /**
     * Returns the number of committed rows.
     *
     * @return rows written and committed before the writer stopped
     */
    public long rows() {
        return rows;
    }

    /**
     * Returns the number of rows the writer planned.
     *
     * @return the planned total, or -1 when unknown
     */
    public long expectedRows() {
        return expectedRows;
    }
}
