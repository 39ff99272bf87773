package dev.transferkit.io;

import dev.transferkit.core.TransferKitException;

import java.net.URI;
import java.util.Objects;

/**
 * Thrown when a {@link Downloader} cannot produce a verified file. The message names the URL, the target file and
 * what to do; {@link #kind()} tells the failures apart for code that wants to react to them.
 */
public class DownloadException extends TransferKitException {
    private static final long serialVersionUID = 1L;

    /** What went wrong. */
    public enum Kind {
        /** The host is unknown or refused the connection: the machine is offline or the URL is wrong. */
        UNREACHABLE,
        /** The server answered with a status other than 200. */
        HTTP_STATUS,
        /** Connecting or reading took longer than the configured timeout. */
        TIMEOUT,
        /** The downloaded bytes do not have the expected checksum. */
        CHECKSUM,
        /** Any other input/output failure while downloading or writing. */
        IO
    }

    private final Kind kind;
    private final URI uri;
    private final int httpStatus;

    /**
     * @param kind    what went wrong
     * @param uri     the URL that was being downloaded
     * @param message a full sentence naming the URL, the target file and what to do
     * @param cause   the underlying exception, or null
     */
    public DownloadException(Kind kind, URI uri, String message, Throwable cause) {
        this(kind, uri, -1, message, cause);
    }

    /**
     * @param kind       what went wrong
     * @param uri        the URL that was being downloaded
     * @param httpStatus the HTTP status the server answered, or -1 when there was no answer
     * @param message    a full sentence naming the URL, the target file and what to do
     * @param cause      the underlying exception, or null
     */
    public DownloadException(Kind kind, URI uri, int httpStatus, String message, Throwable cause) {
        super(message, cause);
        this.kind = Objects.requireNonNull(kind, "kind");
        this.uri = uri;
        this.httpStatus = httpStatus;
    }

    /** @return what went wrong */
    public Kind kind() {
        return kind;
    }

    /** @return the HTTP status the server answered, or -1 when the failure was not an HTTP status */
    public int httpStatus() {
        return httpStatus;
    }

    /** @return the URL that was being downloaded */
    public URI uri() {
        return uri;
    }
}
