package dev.transferkit.spark;

import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;

import java.net.URI;

/**
 * A Hadoop file system with its own scheme ({@value #SCHEME}:) over the local disk: it is not a LocalFileSystem, so
 * jobs reading images from it and writing stores to it take the same code paths as on hdfs:// or s3a://.
 */
public final class TestFileSystem extends RawLocalFileSystem {
    static final String SCHEME = "tkfs";
    static final String IMPL_KEY = "fs." + SCHEME + ".impl";

    @Override
    public URI getUri() {
        return URI.create(SCHEME + ":///");
    }

    @Override
    public String getScheme() {
        return SCHEME;
    }

    /** @return {@code tkfs://} + the absolute local path */
    static String uri(java.nio.file.Path local) {
        return SCHEME + "://" + local.toAbsolutePath();
    }

    @Override
    public java.io.File pathToFile(Path path) {
        checkPath(path);
        if (!path.isAbsolute()) {
            path = new Path(getWorkingDirectory(), path);
        }
        return new java.io.File(path.toUri().getPath());
    }
}
