package dev.transferkit.io;

import dev.transferkit.core.TransferKitException;

/**
 * Thrown when an archive cannot be extracted safely: it is truncated or corrupt, or one of its entries would land
 * outside the target directory (a {@code ..} path, an absolute path, a link pointing outside) or is a device file.
 * The message names the archive and, where there is one, the offending entry.
 */
public class ArchiveException extends TransferKitException {
    private static final long serialVersionUID = 1L;

    /**
     * @param message a full sentence naming the archive, the entry and the problem
     */
    public ArchiveException(String message) {
        super(message);
    }

    /**
     * @param message a full sentence naming the archive, the entry and the problem
     * @param cause   the underlying exception
     */
    public ArchiveException(String message, Throwable cause) {
        super(message, cause);
    }
}
