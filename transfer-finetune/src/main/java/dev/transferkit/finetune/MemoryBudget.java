package dev.transferkit.finetune;

import dev.transferkit.core.TransferKitException;
import dev.transferkit.engine.GradientGraph;
import dev.transferkit.image.DataFormat;
import dev.transferkit.image.InputSpec;
import org.bytedeco.javacpp.Pointer;
import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.CacheMode;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.memory.MemoryReport;
import org.deeplearning4j.nn.conf.memory.MemoryType;
import org.deeplearning4j.nn.conf.memory.MemoryUseMode;
import org.deeplearning4j.nn.conf.memory.NetworkMemoryReport;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.graph.vertex.GraphVertex;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The estimated peak memory of one fine-tuning phase, from its network, its freeze boundary and the batch size, made
 * before the phase trains; and the check that refuses a batch size that does not fit, naming one that does.
 *
 * <p>The estimate is of the whole process's peak resident memory, almost all of it off-heap (ND4J's arrays and
 * workspaces, ONNX Runtime's arena). With the phase network split as {@link FrozenPrefix} splits it, and 4-byte
 * values, it adds up:
 * <ul>
 *   <li>a fixed {@value #FIXED_BYTES} bytes (the JVM with its heap in use, the ND4J, javacpp and ONNX Runtime
 *   libraries), and more when layers of the base train (the training step's buffers beyond the per-image part:
 *   200 MB through ONNX Runtime, 300 MB through DL4J's layers);</li>
 *   <li>parameters: {@value #PARAMETER_COPIES} copies of the whole phase network's (the base model, the networks of
 *   both phases, the frozen prefix exported to and loaded by the inference engine, reads of the parameters for
 *   checkpoints), and for the trained part its own network's copy, its gradients, the copy of its best epoch and
 *   its updater state (Adam two values per parameter, SGD with momentum one);</li>
 *   <li>per image of a batch: a factor times the trained vertices' activations and activation gradients, plus a
 *   factor times the largest working memory of one trained layer (im2col buffers and the like), both from DL4J's {@link ComputationGraphConfiguration#getMemoryReport memory report}; plus
 *   {@value #PREFIX_FACTOR} times the frozen prefix's working set: the input image, the boundary values and, in the
 *   inference engine, the largest operation's inputs and output (run by DL4J instead, every prefix activation);</li>
 *   <li>the frozen prefix's outputs cached for the run, when there is a prefix: for every validation image, and for
 *   every training image when the phase does not augment ({@link FeatureSource}), with {@value #CACHED_IMAGE_BYTES}
 *   bytes per image for its arrays' bookkeeping.</li>
 * </ul>
 * Activation sizes come from DL4J's shape inference, or, where it fails, from one inference-mode forward pass of a
 * blank image; where DL4J has no memory report for a vertex, its activation gradients are taken as large as its
 * activations and its working memory as {@value #FALLBACK_WORKING_FACTOR} times its inputs and output.
 *
 * <p>The factors depend on how the trained part's steps run ({@link Steps}): through ONNX Runtime, 0.74 and 0.74;
 * where a trained vertex is of a kind {@link GradientGraph} does not write (so {@link TailTrainer} falls back to
 * DL4J's layers), or with {@code -Dtransferkit.tail=dl4j}, DL4J's 1.8 and 1.6.
 *
 * <p>Calibration of the ONNX Runtime steps (2026-12-01, 2-core AMD EPYC with AVX-512, default JVM and allocator
 * settings): {@code FineTuneBench --no-torch} with the last 2 blocks trainable, 652 MB at batch 4 and 913 MB at batch
 * 16 (96 images, 4 epochs), and the whole base, 1,563 MB at batch 8 and 2,665 MB at batch 16 (64 images, 3 epochs);
 * the estimate gives 658, 920, 1,688 and 2,797 MB. The slopes (21.8 and 137.8 MB per image) fix the two factors, the
 * intercepts the fixed part.
 *
 * <p>Calibration of DL4J's steps: peak RSS (VmHWM) of the nsfwjs MobileNetV2 at 224x224 cut after {@code block_13_expand_relu}, head
 * dense 128, phase 1 one epoch, phase 2 with horizontal flips (so the prefix runs every batch), on a 2-core machine:
 * {@code FineTuneBench}'s figures (96 images, 4 phase-2 epochs, default JVM options) with the last 2 blocks trainable,
 * 822 MB at batch 4 and 1,269 MB at batch 16, and with the whole base trainable, 6,040 MB at batch 16; and phase 1
 * alone (head only, prefix in ONNX Runtime) with {@code -Xmx2g}, 408 MB at batch 4 and 679 MB at batch 32. Per image
 * of those, DL4J's report gives 8.3 MB of trained activations and gradients and 7.8 MB of working memory (last 2
 * blocks; 9.9 MB of prefix working set) and 155.6 and 31.0 MB (whole base). The factors and fixed parts solve those
 * figures: the estimate gives 407, 684, 820, 1,266 and 5,990 MB for them. The parameter copies come from an ONNX
 * ResNet18 (11.7 million parameters) at 64x64 with its last block trainable at batch 64: about 1.2 GB estimated,
 * 1,266 and 1,552 MB measured in two runs of the same command. Peaks vary that much between runs, and shorter runs
 * peak lower (MobileNetV2's whole base at batch 16 for one epoch of 43 images: 4.5 to 4.8 GB; its last 2 blocks at
 * batch 32: 1.5 to 1.6 GB against 1.8 GB estimated), so read the estimate as good to about a fifth either way.
 */
final class MemoryBudget {
    private static final Logger LOG = LoggerFactory.getLogger(MemoryBudget.class);
    /** The fixed part: the JVM, its heap, the native libraries. */
    static final long FIXED_BYTES = 340L << 20;

    /**
     * How the trained part's steps use memory: through ONNX Runtime ({@link TailTrainer}'s fast way, which keeps only
     * what the backward pass reads and reuses its buffers) or through DL4J's layers (its fallback).
     *
     * @param name             how the steps run, for the log
     * @param trainedBaseBytes the fixed part added when layers of the base train, beyond the per-image part
     * @param trainedFactor    bytes held at the peak per byte of a trained vertex's activations and activation
     *                         gradients (DL4J's memory report) for one image
     * @param workingFactor    bytes held at the peak per byte of the largest working memory of a trained layer
     */
    record Steps(String name, long trainedBaseBytes, double trainedFactor, double workingFactor) {
    }

    /** Calibrated on ONNX Runtime's steps (see the class documentation). */
    static final Steps ONNX_RUNTIME = new Steps("ONNX Runtime", 200L << 20, 0.74, 0.74);
    /** Calibrated on DL4J's steps (see the class documentation). */
    static final Steps DL4J = new Steps("DL4J", 300L << 20, 1.8, 1.6);
    /** Without DL4J's memory report: a trained vertex's working memory per byte of its inputs and output. */
    static final long FALLBACK_WORKING_FACTOR = 5;
    /** Bytes held at the peak per byte of the frozen prefix's working set and boundary values for one image. */
    static final double PREFIX_FACTOR = 1.0;
    /** How the names of the new head's vertices start ({@link FineTuner#POOL}, {@link FineTuner#DENSE}, ...). */
    private static final String HEAD_PREFIX = "ft_";
    /** Copies of the whole phase network's parameters in the process. */
    static final int PARAMETER_COPIES = 10;
    /** Bytes per cached image beyond its values: the arrays' shape information and Java objects. */
    static final long CACHED_IMAGE_BYTES = 2048;

    /**
     * How much memory the process may use at its peak.
     *
     * @param bytes  the limit
     * @param source where it comes from, for messages
     */
    record Available(long bytes, String source) {
    }

    private final int phase;
    private final long fixedBytes;
    private final long cachedBytes;
    private final long perImageBytes;

    private MemoryBudget(int phase, long fixedBytes, long cachedBytes, long perImageBytes) {
        this.phase = phase;
        this.fixedBytes = fixedBytes;
        this.cachedBytes = cachedBytes;
        this.perImageBytes = perImageBytes;
    }

    /**
     * Estimates one phase.
     *
     * @param phase          1 or 2, for messages
     * @param network        the phase network, built but not split or trained
     * @param frozenLayers   its frozen layers
     * @param input          its input size and layout
     * @param prefixInEngine whether the frozen prefix runs in the inference engine (else in DL4J)
     * @param cachedImages   how many images' prefix outputs are cached when there is a prefix
     * @return the estimate
     */
    static MemoryBudget of(int phase, ComputationGraph network, Set<String> frozenLayers, InputSpec input,
                           boolean prefixInEngine, int cachedImages) {
        GraphSurgery surgery = new GraphSurgery(network);
        Set<String> prefix = surgery.frozenPrefix(frozenLayers);
        ComputationGraphConfiguration conf = network.getConfiguration();
        List<String> inputs = conf.getNetworkInputs();
        Map<String, Long> values = activationElements(network, input);
        NetworkMemoryReport report = memoryReport(network, input);
        long inputElements = (long) input.height() * input.width() * input.channels();
        long trainedBytes = 0; // activations and their gradients, per image
        long workingBytes = 0; // the largest layer's working memory, per image
        long prefixElements = 0;
        for (String v : values.keySet()) {
            if (inputs.contains(v)) {
                continue;
            }
            long live = values.get(v);
            for (String in : conf.getVertexInputs().getOrDefault(v, List.of())) {
                live += values.getOrDefault(in, inputElements);
            }
            if (!prefix.contains(v)) {
                MemoryReport r = report == null ? null : report.getLayerAndVertexReports().get(v);
                trainedBytes += r != null ? perImage(r, MemoryType.ACTIVATIONS) + perImage(r, MemoryType.ACTIVATION_GRADIENTS)
                        : 2 * 4 * values.get(v);
                workingBytes = Math.max(workingBytes, r != null ? perImage(r, MemoryType.WORKING_MEMORY_VARIABLE)
                        : FALLBACK_WORKING_FACTOR * 4 * live);
            } else if (prefixInEngine) {
                prefixElements = Math.max(prefixElements, live);
            } else {
                prefixElements += values.get(v);
            }
        }
        long boundary = prefix.isEmpty() ? 0 : surgery.boundary(prefix).stream().mapToLong(v -> values.getOrDefault(v, inputElements)).sum();
        Steps steps = "dl4j".equalsIgnoreCase(System.getProperty(TailTrainer.PROPERTY, "").trim()) ? DL4J : ONNX_RUNTIME;
        for (String v : conf.getVertices().keySet()) {
            if (!prefix.contains(v) && !GradientGraph.writes(conf.getVertices().get(v))) {
                steps = DL4J; // the trained part will fall back to DL4J's layers
            }
        }
        long trainedParams = 0;
        long updaterState = 0;
        boolean trainsBase = false;
        for (GraphVertex v : network.getVertices()) {
            if (v.hasLayer() && !prefix.contains(v.getVertexName())) {
                trainsBase |= !v.getVertexName().startsWith(HEAD_PREFIX) && v.getLayer().numParams() > 0;
                for (Map.Entry<String, INDArray> p : v.getLayer().paramTable().entrySet()) {
                    trainedParams += p.getValue().length();
                    updaterState += v.getLayer().conf().getLayer().getUpdaterByParam(p.getKey()).stateSize(p.getValue().length());
                }
            }
        }
        long fixed = FIXED_BYTES + (trainsBase ? steps.trainedBaseBytes() : 0)
                + 4 * (PARAMETER_COPIES * network.numParams() + 3 * trainedParams + updaterState);
        long cached = prefix.isEmpty() ? 0 : cachedImages * (4 * boundary + CACHED_IMAGE_BYTES);
        long perImage = (long) (steps.trainedFactor() * trainedBytes + steps.workingFactor() * workingBytes
                + PREFIX_FACTOR * 4 * (prefixElements + inputElements + boundary));
        LOG.debug("Phase {} per image: trained activations and gradients {} B, working memory {} B, prefix {} values, boundary {}"
                + " values ({}; steps through {}).", phase, trainedBytes, workingBytes, prefixElements, boundary,
                report != null ? "DL4J's memory report" : "own estimate", steps.name());
        return new MemoryBudget(phase, fixed, cached, Math.max(1, perImage));
    }

    /** @return DL4J's memory report of a copy of the network's configuration, or null where a vertex has none */
    static NetworkMemoryReport memoryReport(ComputationGraph network, InputSpec input) {
        try {
            return network.getConfiguration().clone().getMemoryReport(inputType(input));
        } catch (RuntimeException e) {
            LOG.debug("DL4J's memory report is not available for this network ({}); estimating from activation sizes.", e.toString());
            return null;
        }
    }

    /** @return the bytes one more image adds to a vertex's memory of this type in training */
    private static long perImage(MemoryReport r, MemoryType type) {
        return r.getMemoryBytes(type, 2, MemoryUseMode.TRAINING, CacheMode.NONE, DataType.FLOAT)
                - r.getMemoryBytes(type, 1, MemoryUseMode.TRAINING, CacheMode.NONE, DataType.FLOAT);
    }

    private static InputType inputType(InputSpec input) {
        return InputType.convolutional(input.height(), input.width(), input.channels(),
                input.format() == DataFormat.NHWC ? CNN2DFormat.NHWC : CNN2DFormat.NCHW);
    }

    /**
     * The number of values each vertex outputs per image: from DL4J's shape inference on a copy of the
     * configuration, or from a forward pass of one blank image where the inference fails.
     */
    static Map<String, Long> activationElements(ComputationGraph network, InputSpec input) {
        Map<String, Long> out = new HashMap<>();
        try {
            network.getConfiguration().clone().getLayerActivationTypes(false, inputType(input))
                    .forEach((v, t) -> out.put(v, t.arrayElementsPerExample()));
            return out;
        } catch (RuntimeException e) {
            LOG.debug("DL4J cannot infer the network's activation sizes ({}); measuring them with a forward pass.", e.toString());
            return forwardElements(network, input);
        }
    }

    /** The number of values each vertex outputs for one blank image, from an inference-mode forward pass. */
    static Map<String, Long> forwardElements(ComputationGraph network, InputSpec input) {
        Map<String, Long> out = new HashMap<>();
        network.feedForward(Nd4j.zeros(DataType.FLOAT, input.batchShape(1)), false).forEach((v, a) -> out.put(v, a.length()));
        return out;
    }

    /**
     * @param batchSize images per batch
     * @return the estimated peak bytes of the phase at that batch size
     */
    long bytes(int batchSize) {
        return fixedBytes + cachedBytes + batchSize * perImageBytes;
    }

    /**
     * @param available bytes available
     * @return the largest batch size whose estimate fits, or 0 when not even one image does
     */
    int largestBatchSize(long available) {
        long left = available - fixedBytes - cachedBytes;
        return left < perImageBytes ? 0 : (int) Math.min(Integer.MAX_VALUE, left / perImageBytes);
    }

    /** @return the bytes of cached prefix outputs in the estimate */
    long cachedBytes() {
        return cachedBytes;
    }

    /** @return the phase, 1 or 2 */
    int phase() {
        return phase;
    }

    /**
     * Refuses a batch size for which a phase's estimate exceeds the available memory.
     *
     * @param phases    the estimates of the phases still to run
     * @param batchSize images per batch
     * @param available the memory available
     * @throws TransferKitException naming the phase, its estimate, the memory available, and the largest batch size
     *                              that fits every phase, or what to change when not even a batch of 1 fits
     */
    static void check(List<MemoryBudget> phases, int batchSize, Available available) {
        long limit = available.bytes();
        MemoryBudget over = phases.stream().filter(b -> b.bytes(batchSize) > limit).findFirst().orElse(null);
        if (over == null) {
            return;
        }
        int fits = phases.stream().mapToInt(b -> b.largestBatchSize(limit)).min().orElseThrow();
        if (fits > 0) {
            throw new TransferKitException("Fine-tuning phase " + over.phase + " at batch size " + batchSize + " needs about "
                    + size(over.bytes(batchSize)) + ", but " + size(limit) + " is available (" + available.source()
                    + "); batch size " + fits + " fits. Lower optBatchSize (--batch-size), or skip this check with "
                    + "optMemoryCheck(false) (--no-memory-check).");
        }
        MemoryBudget worst = phases.stream().filter(b -> b.largestBatchSize(limit) == 0).findFirst().orElseThrow();
        throw new TransferKitException("Fine-tuning phase " + worst.phase + " needs about " + size(worst.bytes(1))
                + " even at batch size 1, but " + size(limit) + " is available (" + available.source()
                + "); train fewer layers (fewer unfrozen blocks, or a later unfreeze-from or trainable-from layer), "
                + "cut at an earlier layer, or use smaller input images"
                + (worst.cachedBytes > worst.bytes(1) / 4 ? " (" + size(worst.cachedBytes) + " of the estimate caches the"
                + " frozen layers' outputs for every image; with augmentation they are computed per batch instead)" : "")
                + ". optMemoryCheck(false) (--no-memory-check) skips this check.");
    }

    /**
     * The memory this process may grow to: on Linux its resident memory now plus the memory the kernel reports
     * available ({@code MemAvailable} in /proc/meminfo), elsewhere the machine's physical memory; and no more than
     * javacpp's limit {@code org.bytedeco.javacpp.maxPhysicalBytes} when that is set (its default is four times the
     * maximum heap), beyond which ND4J's allocations fail.
     *
     * @return the memory available for fine-tuning
     */
    static Available available() {
        long machine;
        String source;
        Long free = memAvailable(Path.of("/proc/meminfo"));
        if (free != null) {
            long resident = Pointer.physicalBytes();
            machine = free + resident;
            source = "the free memory plus the " + size(resident) + " this process holds";
        } else {
            machine = ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getTotalMemorySize();
            source = "the machine's physical memory";
        }
        long limit = Pointer.maxPhysicalBytes();
        if (limit > 0 && limit < machine) {
            return new Available(limit, "javacpp's limit org.bytedeco.javacpp.maxPhysicalBytes");
        }
        return new Available(machine, source);
    }

    /** @return MemAvailable of a /proc/meminfo file in bytes, or null when it cannot be read */
    static Long memAvailable(Path meminfo) {
        try {
            for (String line : Files.readAllLines(meminfo)) {
                if (line.startsWith("MemAvailable:")) {
                    return Long.parseLong(line.replaceAll("\\D", "")) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            return null;
        }
        return null;
    }

    /** @return bytes in megabytes (2^20) below a gigabyte, else in gigabytes (2^30) with one decimal */
    static String size(long bytes) {
        return bytes < 1L << 30 ? String.format(Locale.ROOT, "%d MB", Math.round(bytes / 1048576.0))
                : String.format(Locale.ROOT, "%.1f GB", bytes / (double) (1L << 30));
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "phase %d: %s + %.1f MB per image%s", phase, size(fixedBytes), perImageBytes / 1048576.0,
                cachedBytes >= 1 << 20 ? String.format(Locale.ROOT, " + %.0f MB of cached prefix outputs", cachedBytes / 1048576.0) : "");
    }
}
