package dev.transferkit.io;

import dev.transferkit.core.TransferKitException;

/**
 * Thrown when an npm package tarball cannot be obtained: npm is missing or fails, or a file does not match its
 * pinned integrity hash. The message names the package, the file and what to do.
 */
public class NpmPackageException extends TransferKitException {
    private static final long serialVersionUID = 1L;

    /**
     * @param message a full sentence naming the package, the file and the problem
     */
    public NpmPackageException(String message) {
        super(message);
    }

    /**
     * @param message a full sentence naming the package, the file and the problem
     * @param cause   the underlying exception
     */
    public NpmPackageException(String message, Throwable cause) {
        super(message, cause);
    }
}
