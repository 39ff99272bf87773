package dev.transferkit.engine;

import java.util.List;
import java.util.Objects;

/**
 * What an {@link InferenceEngine} made of each vertex of a network: exported to ONNX nodes (which ONNX Runtime may then
 * fuse, e.g. batch normalisation and activations into a convolution), passed through (dropout at inference), or run
 * through DL4J's own implementation because it cannot be exported.
 */
public final class EngineReport {
    /** How a vertex is executed. */
    public enum Treatment {
        /** Exported to ONNX nodes that run in ONNX Runtime. */
        ONNX,
        /** Does nothing at inference (dropout). */
        IDENTITY,
        /** Runs through DL4J's own implementation of the vertex. */
        DL4J_FALLBACK
    }

    /**
     * One vertex of the compiled network.
     *
     * @param vertex    the vertex name
     * @param kind      the DL4J layer or vertex class, e.g. {@code ConvolutionLayer}
     * @param treatment how it runs
     * @param detail    the ONNX nodes it became, or why it fell back
     */
    public record Entry(String vertex, String kind, Treatment treatment, String detail) {
        /** Validates the fields. */
        public Entry {
            Objects.requireNonNull(vertex, "vertex");
            Objects.requireNonNull(kind, "kind");
            Objects.requireNonNull(treatment, "treatment");
            Objects.requireNonNull(detail, "detail");
        }

        @Override
        public String toString() {
            return vertex + " (" + kind + "): " + treatment + " - " + detail;
        }
    }

    private final String outputVertex;
    private final List<Entry> entries;
    private final long flopsPerImage;

    EngineReport(String outputVertex, List<Entry> entries, long flopsPerImage) {
        this.outputVertex = outputVertex;
        this.entries = List.copyOf(entries);
        this.flopsPerImage = flopsPerImage;
    }

    /**
     * @return floating-point operations of the convolutions and dense layers for one image at the compiled input size
     *         (a multiply-add counts as 2), e.g. about 31 billion for VGG16 at 224x224
     */
    public long flopsPerImage() {
        return flopsPerImage;
    }

    /** @return the vertex whose activations the engine computes */
    public String outputVertex() {
        return outputVertex;
    }

    /** @return one entry per vertex the output depends on, in execution order */
    public List<Entry> entries() {
        return entries;
    }

    /** @return the entries that run through DL4J; empty when the whole network runs in ONNX Runtime */
    public List<Entry> fallbacks() {
        return entries.stream().filter(e -> e.treatment() == Treatment.DL4J_FALLBACK).toList();
    }

    /**
     * Counts the entries with a treatment.
     *
     * @param treatment the treatment
     * @return how many vertices got it
     */
    public long count(Treatment treatment) {
        return entries.stream().filter(e -> e.treatment() == treatment).count();
    }

    /** @return whether every vertex runs in ONNX Runtime, without DL4J's layer implementations */
    public boolean fullyExported() {
        return fallbacks().isEmpty();
    }

    @Override
    public String toString() {
        StringBuilder s = new StringBuilder("EngineReport(output=" + outputVertex + ", vertices=" + entries.size()
                + ", onnx=" + count(Treatment.ONNX) + ", identity=" + count(Treatment.IDENTITY) + ", fallback=" + count(Treatment.DL4J_FALLBACK)
                + ", GFLOP/image=" + String.format(java.util.Locale.ROOT, "%.2f", flopsPerImage / 1e9) + ")");
        for (Entry e : fallbacks()) {
            s.append("\n  fallback: ").append(e);
        }
        return s.toString();
    }
}
