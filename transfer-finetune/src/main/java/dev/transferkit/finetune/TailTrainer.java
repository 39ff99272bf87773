package dev.transferkit.finetune;

import dev.transferkit.engine.EngineException;
import dev.transferkit.engine.EngineOptions;
import dev.transferkit.engine.GradientGraph;
import dev.transferkit.engine.TrainingSession;
import org.bytedeco.javacpp.Pointer;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.autodiff.samediff.api.OutAndGrad;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.random.impl.BernoulliDistribution;
import org.nd4j.linalg.dataset.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Trains the tail network of a fine-tuning phase one batch at a time and scores it.
 *
 * <p>The fast way ({@link #of}) computes each step's loss and gradients in the SameDiff form of the network
 * ({@link TailGraph}: ND4J's native convolution ops) and hands the gradients to the network's own DL4J updater, which
 * applies per-layer learning rates, regularisation, gradient normalisation and the updater state exactly as
 * {@code ComputationGraph.fit} would, so parameters, updater state and checkpoints stay DL4J's. Before it is used, the
 * SameDiff form's outputs are compared with DL4J's on a real batch. A network it cannot write, or whose outputs
 * differ, or whose SameDiff step would need more than half the memory available ({@link #MEMORY_PER_ACTIVATION_BYTE}),
 * trains through DL4J's {@code fit}, and the reason is logged. System property {@value #PROPERTY}{@code =dl4j} forces
 * DL4J's way, {@code =samediff} SameDiff's whatever the memory (for comparisons).
 */
abstract class TailTrainer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(TailTrainer.class);
    static final String PROPERTY = "transferkit.tail";
    /** Largest accepted difference between the two forms' output probabilities on the check batch. */
    static final double TOLERANCE = 1e-4;

    /**
     * Peak memory of a SameDiff step per byte of the network's activations (for the batch), measured on MobileNetV2
     * at batch 16: about 0.5-1 GB more than DL4J's step for the last 2 blocks (70 MB of activations), 14.5-19 GB for the
     * whole base (1.3 GB; DL4J's step: 6 GB). SameDiff keeps every intermediate array of the forward and backward
     * passes and their temporaries.
     */
    static final long MEMORY_PER_ACTIVATION_BYTE = 16;

    /** A batch's mean loss (with the regularisation term, as DL4J scores) and its output probabilities. */
    record Result(double score, INDArray probabilities) {
    }

    /**
     * One training step on a batch.
     *
     * @return the loss before the step and the probabilities it was computed from (training mode: dropout applied)
     */
    abstract Result fit(INDArray[] x, INDArray y);

    /** @return the loss and probabilities of a batch in inference mode, changing nothing */
    abstract Result evaluate(INDArray[] x, INDArray y);

    /** @return "ONNX Runtime", "SameDiff" or "DL4J": how the steps are computed */
    abstract String kind();

    /** Releases what the trainer holds outside the network (native sessions); the network stays usable. */
    @Override
    public void close() {
    }

    /**
     * Picks the fastest way that trains this network correctly.
     *
     * @param network the tail network
     * @param example a real batch of its inputs, used to check the fast way against DL4J
     * @return the trainer
     */
    static TailTrainer of(ComputationGraph network, INDArray[] example) {
        return of(network, example, availableBytes());
    }

    /** {@link #of(ComputationGraph, INDArray[])} with the memory available given. */
    static TailTrainer of(ComputationGraph network, INDArray[] example, long available) {
        if ("dl4j".equalsIgnoreCase(System.getProperty(PROPERTY, "").trim())) {
            return new Dl4j(network);
        }
        // Not with DL4J's inference workspaces switched off for the check: a DL4J fit after that crashed in native code
        // (SIGSEGV in the depthwise convolution's backward pass, MobileNetV2's whole base).
        if (!"samediff".equalsIgnoreCase(System.getProperty(PROPERTY, "").trim())) {
            try {
                OnnxSteps steps = new OnnxSteps(network, GradientGraph.of(network, example));
                steps.check(example);
                return steps;
            } catch (GradientGraph.Unsupported | TailGraph.Unsupported | EngineException e) {
                LOG.info("The trainable part trains through DL4J's layers, the slower way: {}.", e.getMessage());
                return new Dl4j(network);
            }
        }
        try {
            boolean forced = "samediff".equalsIgnoreCase(System.getProperty(PROPERTY, "").trim());
            TailGraph graph = TailGraph.translate(network, example, forced ? Long.MAX_VALUE : available / 2);
            SameDiffSteps steps = new SameDiffSteps(network, graph);
            steps.check(example);
            return steps;
        } catch (TailGraph.Unsupported e) {
            LOG.info("The trainable part trains through DL4J's layers, the slower way: {}.", e.getMessage());
            return new Dl4j(network);
        }
    }

    /** @return the memory this process may still take: what fine-tuning has available less what it holds already */
    static long availableBytes() {
        return MemoryBudget.available().bytes() - Pointer.physicalBytes();
    }

    /** DL4J's own training step. */
    static final class Dl4j extends TailTrainer {
        private final ComputationGraph network;

        Dl4j(ComputationGraph network) {
            this.network = network;
        }

        @Override
        Result fit(INDArray[] x, INDArray y) {
            INDArray p = network.output(false, x)[0];
            network.fit(new MultiDataSet(x, new INDArray[]{y}));
            return new Result(network.score(), p);
        }

        @Override
        Result evaluate(INDArray[] x, INDArray y) {
            return new Result(network.score(new MultiDataSet(x, new INDArray[]{y}), false), network.output(false, x)[0]);
        }

        @Override
        String kind() {
            return "DL4J";
        }
    }

    /** Gradients from the ONNX Runtime training graph, updates by the network's DL4J updater. */
    static final class OnnxSteps extends TailTrainer {
        private static final int CHECKED = 2;
        private final ComputationGraph network;
        private final TrainingSession session;

        OnnxSteps(ComputationGraph network, GradientGraph graph) {
            this.network = network;
            this.session = TrainingSession.open(graph, EngineOptions.defaults());
            for (GradientGraph.Param p : graph.params()) {
                if (!p.trained()) {
                    p.gradient().assign(0); // updated by a zero learning rate or not at all: no gradient to apply
                }
            }
        }

        @Override
        Result fit(INDArray[] x, INDArray y) {
            long n = y.size(0);
            TrainingSession.Result r = session.train(x, y, masks(n, true));
            double regularisation = network.calcRegularizationScore(true); // before the step, as DL4J scores
            Gradient gradient = new DefaultGradient(network.getGradientsViewArray());
            for (GradientGraph.Param p : session.graph().params()) {
                if (p.trained()) {
                    gradient.setGradientFor(p.key(), p.gradient());
                }
            }
            int iteration = network.getConfiguration().getIterationCount();
            network.getUpdater().update(gradient, iteration, network.getConfiguration().getEpochCount(), (int) n,
                    LayerWorkspaceMgr.noWorkspaces());
            network.params().subi(network.getGradientsViewArray().reshape(network.params().shape()));
            network.getConfiguration().setIterationCount(iteration + 1);
            return new Result(r.loss() / n + regularisation, r.probabilities());
        }

        @Override
        Result evaluate(INDArray[] x, INDArray y) {
            TrainingSession.Result r = session.evaluate(x, y, masks(y.size(0), false));
            return new Result(r.loss() / y.size(0) + network.calcRegularizationScore(true), r.probabilities());
        }

        @Override
        String kind() {
            return "ONNX Runtime";
        }

        @Override
        public void close() {
            session.close();
        }

        /**
         * Compares the graph's probabilities with DL4J's on the first {@value #CHECKED} examples of a batch (DL4J keeps
         * the memory of its forward pass in workspaces sized by the batch it saw: a few examples keep that small).
         */
        void check(INDArray[] batch) throws TailGraph.Unsupported {
            INDArray[] example = new INDArray[batch.length];
            for (int i = 0; i < batch.length; i++) {
                example[i] = batch[i].get(NDArrayIndex.interval(0, Math.min(CHECKED, batch[i].size(0))));
            }
            INDArray expected = network.output(false, example)[0];
            INDArray y = Nd4j.zeros(DataType.FLOAT, expected.shape());
            INDArray actual = evaluate(example, y).probabilities();
            double diff = actual.castTo(DataType.DOUBLE).sub(expected.castTo(DataType.DOUBLE)).amaxNumber().doubleValue();
            if (!(diff <= TOLERANCE)) {
                session.close();
                throw new TailGraph.Unsupported("its ONNX form's outputs differ from DL4J's by " + diff);
            }
            LOG.info("The trainable part trains through ONNX Runtime; outputs checked against DL4J's (max difference {}).",
                    String.format("%.1e", diff));
        }

        /** Inverted-dropout masks from ND4J's seeded generator (training), or ones. */
        private INDArray[] masks(long n, boolean training) {
            List<GradientGraph.Mask> masks = session.graph().masks();
            INDArray[] out = new INDArray[masks.size()];
            for (int i = 0; i < out.length; i++) {
                GradientGraph.Mask m = masks.get(i);
                long[] shape = new long[m.perExample().length + 1];
                shape[0] = n;
                System.arraycopy(m.perExample(), 0, shape, 1, m.perExample().length);
                INDArray mask = Nd4j.createUninitialized(DataType.FLOAT, shape);
                if (training) { // keep with the retain probability, scaled by its inverse
                    Nd4j.getExecutioner().exec(new BernoulliDistribution(mask, m.retain()));
                    mask.divi(m.retain());
                } else {
                    mask.assign(1);
                }
                out[i] = mask;
            }
            return out;
        }
    }

    /** Gradients from the SameDiff form, updates by the network's DL4J updater. */
    static final class SameDiffSteps extends TailTrainer {
        private final ComputationGraph network;
        private final TailGraph graph;
        private final List<String> trained;
        private final List<String> outputs = List.of(TailGraph.PROBABILITIES, TailGraph.LOSS);
        private static final long GROWTH = 256L << 20;
        private long collectedAt = Pointer.physicalBytes();

        SameDiffSteps(ComputationGraph network, TailGraph graph) {
            this.network = network;
            this.graph = graph;
            this.trained = graph.trainedVariables();
            for (TailGraph.Param p : graph.params) {
                if (!p.trained()) {
                    p.gradient().assign(0); // updated by a zero learning rate or not at all: no gradient to apply
                }
            }
        }

        @Override
        Result fit(INDArray[] x, INDArray y) {
            long n = y.size(0);
            Map<String, INDArray> ph = placeholders(x, y, true);
            OutAndGrad r = graph.sd.calculateGradientsAndOutputs(ph, outputs, trained);
            double regularisation = network.calcRegularizationScore(true); // before the step, as DL4J scores
            Map<String, INDArray> grads = r.getGradients();
            Gradient gradient = new DefaultGradient(network.getGradientsViewArray());
            for (TailGraph.Param p : graph.params) {
                if (p.trained()) {
                    p.gradientFromSameDiff(grads.get(p.variable()));
                    gradient.setGradientFor(p.key(), p.gradient());
                }
            }
            int iteration = network.getConfiguration().getIterationCount();
            network.getUpdater().update(gradient, iteration, network.getConfiguration().getEpochCount(), (int) n,
                    LayerWorkspaceMgr.noWorkspaces());
            network.params().subi(network.getGradientsViewArray().reshape(network.params().shape()));
            network.getConfiguration().setIterationCount(iteration + 1);
            collectIfGrown();
            return new Result(r.getOutputs().get(TailGraph.LOSS).getDouble(0) / n + regularisation,
                    r.getOutputs().get(TailGraph.PROBABILITIES));
        }

        /**
         * SameDiff's operations leave arrays that ND4J frees only when the garbage collector finds them, and with a
         * small Java heap it rarely runs: training the last two MobileNetV2 blocks at batch 16 grew the process to
         * about 2.5 GB this way. Collecting whenever the process has grown by more than {@link #GROWTH} since the last
         * collection brought that to 1.8-2.0 GB (garbage made within a step remains; under a javacpp limit of 1.2 GB,
         * which collects inside steps, the same run stayed at 1.1 GB).
         */
        private void collectIfGrown() {
            long now = Pointer.physicalBytes();
            if (now > collectedAt + GROWTH) {
                System.gc();
                collectedAt = Pointer.physicalBytes();
            }
        }

        @Override
        Result evaluate(INDArray[] x, INDArray y) {
            Map<String, INDArray> ph = placeholders(x, y, false);
            Map<String, INDArray> out = graph.sd.output(ph, outputs);
            collectIfGrown();
            return new Result(out.get(TailGraph.LOSS).getDouble(0) / y.size(0) + network.calcRegularizationScore(true),
                    out.get(TailGraph.PROBABILITIES));
        }

        @Override
        String kind() {
            return "SameDiff";
        }

        /** Compares the SameDiff form's probabilities with DL4J's on one batch. */
        void check(INDArray[] example) throws TailGraph.Unsupported {
            INDArray expected = network.output(false, example)[0];
            INDArray y = Nd4j.zeros(DataType.FLOAT, expected.shape());
            INDArray actual = evaluate(example, y).probabilities();
            double diff = actual.castTo(DataType.DOUBLE).sub(expected.castTo(DataType.DOUBLE)).amaxNumber().doubleValue();
            if (!(diff <= TOLERANCE)) {
                throw new TailGraph.Unsupported("its SameDiff form's outputs differ from DL4J's by " + diff);
            }
            LOG.info("The trainable part trains through ND4J's native ops (SameDiff); outputs checked against DL4J's (max difference {}).",
                    String.format("%.1e", diff));
        }

        private Map<String, INDArray> placeholders(INDArray[] x, INDArray y, boolean training) {
            for (TailGraph.Param p : graph.params) { // the updater changed the network's values: copy them in
                graph.sd.getArrForVarName(p.variable()).assign(p.toSameDiff());
            }
            Map<String, INDArray> ph = new HashMap<>();
            for (int i = 0; i < x.length; i++) {
                ph.put(graph.inputs.get(i), x[i].castTo(DataType.FLOAT));
            }
            ph.put(graph.labels, y.castTo(DataType.FLOAT));
            long n = y.size(0);
            for (TailGraph.Mask m : graph.masks) {
                long[] shape = graph.sd.getVariable(m.placeholder()).getShape().clone();
                shape[0] = n;
                INDArray mask = Nd4j.createUninitialized(DataType.FLOAT, shape);
                if (training) { // inverted dropout: keep with the retain probability, scaled by its inverse
                    Nd4j.getExecutioner().exec(new BernoulliDistribution(mask, m.retain()));
                    mask.divi(m.retain());
                } else {
                    mask.assign(1);
                }
                ph.put(m.placeholder(), mask);
            }
            return ph;
        }
    }
}
