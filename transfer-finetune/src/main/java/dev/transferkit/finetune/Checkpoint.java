package dev.transferkit.finetune;

import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.transferkit.core.AtomicFiles;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.FilterInputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;

/**
 * The state of a fine-tuning run after one epoch: the parameters and updater state of the network being trained,
 * the epoch and phase, the history so far and the early-stopping state. Stored as one zip ({@value #META} plus
 * binary ND4J arrays whose SHA-256 the metadata records) written atomically, so a checkpoint file is complete or
 * absent; reading checks the format, the hashes and the array sizes.
 */
final class Checkpoint {
    static final String FORMAT = "transferkit-finetune-checkpoint";
    /** Version 2 fingerprints every training setting ({@link RunFingerprint#ofSettings}); version 1 listed some by hand. */
    static final int VERSION = 2;
    static final String META = "checkpoint.json";
    private static final String PARAMS = "params.bin";
    private static final String UPDATER = "updater.bin";
    private static final String BEST = "best-params.bin";
    private static final ObjectMapper JSON = JsonMapper.builder().enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES).build();

    /**
     * The scalar part of a checkpoint.
     *
     * @param fingerprint    the run it belongs to
     * @param phase          the phase being trained, 1 or 2
     * @param epochsDone     epochs of that phase done
     * @param stopped        whether early stopping ended the phase
     * @param sinceBest      epochs since the phase's best validation loss
     * @param bestLoss       the phase's best validation loss
     * @param bestRunLoss    the best validation loss of the run (both phases), for the best-model file
     * @param iterationCount the network's iteration counter (Adam's bias correction depends on it)
     * @param epochCount     the network's epoch counter
     * @param phaseSeconds   wall-clock seconds spent in phase 1 and phase 2 so far
     * @param history        every finished epoch of the run
     */
    record State(RunFingerprint fingerprint, int phase, int epochsDone, boolean stopped, int sinceBest, double bestLoss,
                 double bestRunLoss, int iterationCount, int epochCount, double[] phaseSeconds, List<EpochStats> history) {
    }

    private record Meta(String format, int version, State state, Map<String, String> sha256) {
    }

    final State state;
    final INDArray params;
    final INDArray updater;
    final INDArray bestParams;

    Checkpoint(State state, INDArray params, INDArray updater, INDArray bestParams) {
        this.state = Objects.requireNonNull(state, "state");
        this.params = Objects.requireNonNull(params, "params");
        this.updater = updater;
        this.bestParams = bestParams;
    }

    /**
     * Writes the checkpoint atomically: to a temporary file that is renamed over {@code file} when complete.
     *
     * @throws CheckpointException when writing fails
     */
    void write(Path file) {
        Map<String, INDArray> arrays = new LinkedHashMap<>();
        arrays.put(PARAMS, params);
        if (updater != null) {
            arrays.put(UPDATER, updater);
        }
        if (bestParams != null) {
            arrays.put(BEST, bestParams);
        }
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            AtomicFiles.write(file, out -> {
                ZipOutputStream zip = new ZipOutputStream(out);
                Map<String, String> hashes = new LinkedHashMap<>();
                for (Map.Entry<String, INDArray> e : arrays.entrySet()) {
                    zip.putNextEntry(new ZipEntry(e.getKey()));
                    DigestOutputStream digest = new DigestOutputStream(unclosable(zip), sha256());
                    DataOutputStream data = new DataOutputStream(digest);
                    Nd4j.write(e.getValue(), data);
                    data.flush();
                    zip.closeEntry();
                    hashes.put(e.getKey(), HexFormat.of().formatHex(digest.getMessageDigest().digest()));
                }
                zip.putNextEntry(new ZipEntry(META));
                zip.write(JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(new Meta(FORMAT, VERSION, state, hashes)));
                zip.closeEntry();
                zip.finish();
            });
        } catch (IOException e) {
            throw new CheckpointException("Could not write the fine-tuning checkpoint " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Reads and validates a checkpoint.
     *
     * @throws CheckpointException when the file is not a complete, undamaged checkpoint of this format
     */
    static Checkpoint read(Path file) {
        Map<String, INDArray> arrays = new LinkedHashMap<>();
        Map<String, String> hashes = new LinkedHashMap<>();
        Meta meta = null;
        try (ZipInputStream zip = new ZipInputStream(Files.newInputStream(file))) {
            for (ZipEntry e = zip.getNextEntry(); e != null; e = zip.getNextEntry()) {
                if (e.getName().equals(META)) {
                    meta = JSON.readValue(zip.readAllBytes(), Meta.class);
                } else if (List.of(PARAMS, UPDATER, BEST).contains(e.getName())) {
                    DigestInputStream digest = new DigestInputStream(unclosable(zip), sha256());
                    arrays.put(e.getName(), Nd4j.read(new DataInputStream(digest)));
                    digest.readAllBytes();
                    hashes.put(e.getName(), HexFormat.of().formatHex(digest.getMessageDigest().digest()));
                }
            }
        } catch (IOException | RuntimeException e) {
            throw damaged(file, "it cannot be read (" + e.getMessage() + ")", e);
        }
        if (meta == null || !FORMAT.equals(meta.format()) || meta.state() == null) {
            throw damaged(file, "it has no valid " + META + " entry of the format " + FORMAT, null);
        }
        if (meta.version() != VERSION) {
            throw new CheckpointException("The fine-tuning checkpoint " + file + " has format version " + meta.version()
                    + ", but this TransferKit reads version " + VERSION + (meta.version() < VERSION ? " (version " + VERSION
                    + " fingerprints every training setting, so an older checkpoint cannot show that it belongs to this run)"
                    : "") + "; delete it to train from the start.");
        }
        if (!meta.sha256().equals(hashes) || !arrays.containsKey(PARAMS)) {
            throw damaged(file, "its arrays do not match the hashes its metadata records", null);
        }
        return new Checkpoint(meta.state(), arrays.get(PARAMS), arrays.get(UPDATER), arrays.get(BEST));
    }

    /**
     * @throws CheckpointException naming the first difference when this checkpoint was written by another run
     */
    void requireRun(RunFingerprint current, Path file) {
        RunFingerprint f = state.fingerprint();
        String[][] parts = {{"training settings", f.configuration(), current.configuration()},
                {"base model", f.baseModel(), current.baseModel()}, {"training data", f.data(), current.data()}};
        for (String[] p : parts) {
            if (!Objects.equals(p[1], p[2])) {
                throw new CheckpointException("The checkpoint " + file + " belongs to a run with different " + p[0]
                        + " and cannot be resumed (checkpoint: " + p[1] + "; this run: " + p[2]
                        + "). Delete it or choose another checkpoint directory.");
            }
        }
    }

    private static CheckpointException damaged(Path file, String why, Throwable cause) {
        return new CheckpointException("The fine-tuning checkpoint " + file + " is damaged: " + why
                + ". Delete it to train from the start.", cause);
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this Java runtime.", e);
        }
    }

    private static OutputStream unclosable(OutputStream out) {
        return new FilterOutputStream(out) {
            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                out.write(b, off, len);
            }

            @Override
            public void close() throws IOException {
                flush();
            }
        };
    }

    private static InputStream unclosable(InputStream in) {
        return new FilterInputStream(in) {
            @Override
            public void close() {
            }
        };
    }

    @Override
    public String toString() {
        return "Checkpoint(phase " + state.phase() + ", epoch " + state.epochsDone() + ", " + state.history().size()
                + " epochs in history)";
    }
}
