package dev.transferkit.finetune;

import dev.transferkit.engine.EngineException;
import dev.transferkit.engine.EngineOptions;
import dev.transferkit.engine.GradientGraph;
import dev.transferkit.engine.TrainingSession;
import org.deeplearning4j.nn.gradient.DefaultGradient;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.random.impl.BernoulliDistribution;
import org.nd4j.linalg.dataset.MultiDataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;

/**
 * Trains the tail network of a fine-tuning phase one batch at a time and scores it.
 *
 * <p>The fast way ({@link #of}) computes each step's loss and gradients in ONNX Runtime, from the network written out
 * with its backward pass as one ONNX graph ({@link GradientGraph}), and hands the gradients to the network's own DL4J
 * updater, which applies per-layer learning rates, regularisation, gradient normalisation and the updater state
 * exactly as {@code ComputationGraph.fit} would, so parameters, updater state and checkpoints stay DL4J's. Before it is
 * used, the graph's outputs are compared with DL4J's on real examples. A network it cannot write, or whose outputs
 * differ, or where ONNX Runtime cannot load, trains through DL4J's {@code fit}, and the reason is logged. System
 * property {@value #PROPERTY}{@code =dl4j} forces DL4J's way (for comparisons).
 */
abstract class TailTrainer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(TailTrainer.class);
    static final String PROPERTY = "transferkit.tail";
    /** Largest accepted difference between the two forms' output probabilities on the check examples. */
    static final double TOLERANCE = 1e-4;

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

    /** @return "ONNX Runtime" or "DL4J": how the steps are computed */
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
        if ("dl4j".equalsIgnoreCase(System.getProperty(PROPERTY, "").trim())) {
            return new Dl4j(network);
        }
        try {
            OnnxSteps steps = new OnnxSteps(network, GradientGraph.of(network, example));
            steps.check(example);
            return steps;
        } catch (GradientGraph.Unsupported | EngineException e) {
            LOG.info("The trainable part trains through DL4J's layers, the slower way: {}.", e.getMessage());
            return new Dl4j(network);
        }
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
        void check(INDArray[] batch) {
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
                throw new EngineException("its ONNX form's outputs differ from DL4J's by " + diff);
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
}
