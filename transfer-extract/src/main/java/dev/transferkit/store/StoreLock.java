package dev.transferkit.store;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The exclusive writer lock of a store: an OS file lock on {@code <store>.lock} next to the store. The OS drops the
 * lock when the holding process dies, so a lock file left behind by a killed writer is harmless and is reused; it is
 * never deleted, because deleting a lock file while others may be opening it would let two writers in.
 *
 * <p>Java file locks belong to the whole JVM, so a second writer in the same process is detected too (the JVM
 * reports an overlapping lock) and refused with its own message.
 *
 * @param store   the store file
 * @param channel the open lock file
 * @param lock    the lock held on it
 */
record StoreLock(Path store, FileChannel channel, FileLock lock) implements AutoCloseable {

    /**
     * Returns the lock file of a store.
     *
     * @param store the store file
     * @return {@code <store>.lock} in the same directory
     */
    static Path lockFileOf(Path store) {
        return store.resolveSibling(store.getFileName() + ".lock");
    }

    /**
     * Takes the writer lock of a store without waiting.
     *
     * @param store the store file
     * @return the held lock
     * @throws StoreLockedException when another writer, in this or another process, holds it
     * @throws StoreException       when the lock file cannot be created
     */
    static StoreLock acquire(Path store) {
        Path lockFile = lockFileOf(store);
        FileChannel ch;
        try {
            Files.createDirectories(lockFile.getParent());
            ch = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw new StoreException(store, "Could not create the lock file " + lockFile + " for the feature store "
                    + store + " (" + e + ").", e);
        }
        try {
            FileLock lock = ch.tryLock();
            if (lock == null) {
                throw new StoreLockedException(store, "The feature store " + store
                        + " is being written by another process, which holds its lock file " + lockFile
                        + ". Wait for that extraction to finish or stop it before writing this store.");
            }
            return new StoreLock(store, ch, lock);
        } catch (OverlappingFileLockException e) {
            closeQuietly(ch);
            throw new StoreLockedException(store, "The feature store " + store
                    + " is already open for writing in this process (a FeatureStoreWriter holds its lock file "
                    + lockFile + "); close that writer first.");
        } catch (IOException e) {
            closeQuietly(ch);
            throw new StoreException(store, "Could not lock " + lockFile + " for the feature store " + store + " ("
                    + e + ").", e);
        } catch (RuntimeException e) {
            closeQuietly(ch);
            throw e;
        }
    }

    /**
     * Tells whether some writer currently holds the lock of a store.
     *
     * @param store the store file
     * @return true when the lock file exists and is locked by this or another process
     */
    static boolean isHeld(Path store) {
        Path lockFile = lockFileOf(store);
        try (FileChannel ch = FileChannel.open(lockFile, StandardOpenOption.WRITE)) {
            FileLock probe = ch.tryLock();
            if (probe == null) {
                return true;
            }
            probe.release();
            return false;
        } catch (OverlappingFileLockException e) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Releases the lock; the lock file stays. */
    @Override
    public void close() {
        try {
            if (lock.isValid()) {
                lock.release();
            }
        } catch (IOException e) {
            // Closing the channel below releases the lock as well.
        } finally {
            closeQuietly(channel);
        }
    }

    private static void closeQuietly(FileChannel ch) {
        try {
            ch.close();
        } catch (IOException e) {
            // Nothing left to release.
        }
    }

    @Override
    public String toString() {
        return "StoreLock(" + lockFileOf(store) + (lock.isValid() ? ", held" : ", released") + ")";
    }
}
