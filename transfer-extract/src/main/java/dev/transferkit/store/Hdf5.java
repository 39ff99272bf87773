package dev.transferkit.store;

import org.bytedeco.hdf5.H5E_error2_t;
import org.bytedeco.hdf5.H5E_walk2_t;
import org.bytedeco.javacpp.Pointer;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.bytedeco.hdf5.global.hdf5.H5E_DEFAULT;
import static org.bytedeco.hdf5.global.hdf5.H5E_WALK_DOWNWARD;
import static org.bytedeco.hdf5.global.hdf5.H5Eclear2;
import static org.bytedeco.hdf5.global.hdf5.H5Eclose_stack;
import static org.bytedeco.hdf5.global.hdf5.H5Eget_current_stack;
import static org.bytedeco.hdf5.global.hdf5.H5Eset_auto2;
import static org.bytedeco.hdf5.global.hdf5.H5Ewalk2;
import static org.bytedeco.hdf5.global.hdf5.H5open;

/**
 * Access to the HDF5 C library: one process-wide lock (the library is not built thread-safe, so every call must hold
 * {@link #LOCK}), one-time initialisation with HDF5's automatic error printing switched off, and the conversion of
 * failed calls into {@link StoreException}s that carry HDF5's own description of the error.
 */
final class Hdf5 {
    /** Held around every HDF5 call in this package. */
    static final Object LOCK = new Object();

    private static final Pattern SYSTEM_ERROR = Pattern.compile("error message = '([^']+)'");
    private static boolean initialised;
    private static final List<String> WALKED = new ArrayList<>();
    private static final H5E_walk2_t WALKER = new H5E_walk2_t() {
        @Override
        public int call(int n, H5E_error2_t err, Pointer clientData) {
            String desc = err.desc() == null || err.desc().isNull() ? "" : err.desc().getString();
            WALKED.add(desc);
            return 0;
        }
    };

    private Hdf5() {
    }

    /** Loads and opens the library once and silences its error printing. Call with {@link #LOCK} held. */
    static void init() {
        if (!initialised) {
            H5open();
            H5Eset_auto2(H5E_DEFAULT, null, null);
            initialised = true;
        }
    }

    /**
     * Returns HDF5's description of the error stack of the last failed call (innermost cause first, then the
     * outermost call), and clears the stack. Call with {@link #LOCK} held.
     *
     * @return e.g. "file signature not found (H5Fopen: unable to open file)", or "no HDF5 error details"
     */
    static String lastError() {
        WALKED.clear();
        long stack = H5Eget_current_stack();
        if (stack < 0) {
            return "no HDF5 error details";
        }
        try {
            H5Ewalk2(stack, H5E_WALK_DOWNWARD, WALKER, null);
        } finally {
            H5Eclose_stack(stack);
            H5Eclear2(H5E_DEFAULT);
        }
        if (WALKED.isEmpty()) {
            return "no HDF5 error details";
        }
        String inner = oneLine(WALKED.get(WALKED.size() - 1));
        String outer = oneLine(WALKED.get(0));
        return WALKED.size() == 1 ? inner : inner + " (" + outer + ")";
    }

    /** HDF5's write errors embed a ctime() date with a line break; messages are kept on one line. */
    private static String oneLine(String s) {
        return s.replaceAll("\\s+", " ").trim();
    }

    /**
     * Picks the operating system's reason out of an HDF5 error description.
     *
     * @param hdf5Error e.g. "file write failed: ..., errno = 28, error message = 'No space left on device', ..."
     * @return e.g. "No space left on device", or null when the description has no such part
     */
    static String systemError(String hdf5Error) {
        Matcher m = SYSTEM_ERROR.matcher(hdf5Error);
        return m.find() ? m.group(1) : null;
    }

    /**
     * Throws when an HDF5 call returned a negative status or id.
     *
     * @param result the call's return value
     * @param file   the store file, for the message
     * @param what   what the call was doing, e.g. "extend /features to 128 rows"
     * @return {@code result}, for ids
     * @throws StoreException naming the file, the action and HDF5's description
     */
    static long check(long result, Path file, String what) {
        if (result < 0) {
            throw new StoreException(file, "Could not " + what + " in the feature store " + file + ": HDF5 reports "
                    + lastError() + ".");
        }
        return result;
    }
}
