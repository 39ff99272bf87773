package dev.transferkit.core;

import java.nio.file.Path;
import java.nio.file.Paths;

/**
 * Where TransferKit caches what it downloads or converts (pretrained weights, npm packages, datasets).
 *
 * <p>The directory is, in order of precedence: the system property {@code transferkit.home}, the environment
 * variable {@code TRANSFERKIT_HOME}, or {@code ~/.transferkit}. Nothing is created until a component needs it.
 */
public final class TransferKitHome {
    /** The system property that overrides the cache directory. */
    public static final String PROPERTY = "transferkit.home";
    /** The environment variable that overrides the cache directory. */
    public static final String ENV = "TRANSFERKIT_HOME";

    private TransferKitHome() {
    }

    /**
     * Returns the cache root currently in effect.
     *
     * @return the absolute cache directory (it may not exist yet)
     */
    public static Path root() {
        String prop = System.getProperty(PROPERTY);
        if (prop != null && !prop.isBlank()) {
            return Paths.get(prop).toAbsolutePath();
        }
        String env = System.getenv(ENV);
        if (env != null && !env.isBlank()) {
            return Paths.get(env).toAbsolutePath();
        }
        return Paths.get(System.getProperty("user.home"), ".transferkit").toAbsolutePath();
    }

    /**
     * Returns a sub-directory of the cache root.
     *
     * @param first the first path element, e.g. {@code "models"}
     * @param more  further path elements
     * @return the resolved path (it may not exist yet)
     */
    public static Path resolve(String first, String... more) {
        return root().resolve(Paths.get(first, more));
    }
}
