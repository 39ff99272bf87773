package dev.transferkit.examples.bench;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.factory.Nd4j;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Measures the machine's practical peak convolution throughput: ND4J's native {@code conv2d} on large 3x3
 * convolutions (ResNet/VGG-sized), in both layouts and all three weight formats the operation accepts; the best
 * GFLOP/s is the reference for "percent of peak".
 */
final class ConvPeak {
    /** One measured configuration. */
    record Result(String shape, String layout, String weights, double gflops) {
        @Override
        public String toString() {
            return String.format(Locale.ROOT, "| %s | %s | %s | %.0f |", shape, layout, weights, gflops);
        }
    }

    private static final String[] WEIGHT_FORMATS = {"YXIO [kH,kW,in,out]", "OIYX [out,in,kH,kW]", "OYXI [out,kH,kW,in]"};

    private ConvPeak() {
    }

    /**
     * @param batch batch size
     * @param reps  timed repetitions per configuration (best is kept)
     * @return every configuration measured
     */
    static List<Result> measure(int batch, int reps) {
        List<Result> results = new ArrayList<>();
        int[][] shapes = {{56, 128}, {28, 256}, {14, 512}};
        for (int[] s : shapes) {
            int hw = s[0];
            int c = s[1];
            double flops = 2.0 * batch * hw * hw * c * c * 9;
            for (int nhwc = 0; nhwc <= 1; nhwc++) {
                INDArray x = nhwc == 1 ? Nd4j.rand(batch, hw, hw, c) : Nd4j.rand(batch, c, hw, hw);
                INDArray out = nhwc == 1 ? Nd4j.create(batch, hw, hw, c) : Nd4j.create(batch, c, hw, hw);
                for (int wf = 0; wf < 3; wf++) {
                    INDArray w = wf == 0 ? Nd4j.rand(3, 3, c, c) : wf == 1 ? Nd4j.rand(c, c, 3, 3) : Nd4j.rand(c, 3, 3, c);
                    long best = Long.MAX_VALUE;
                    for (int r = 0; r <= reps; r++) {
                        long t = System.nanoTime();
                        Nd4j.exec(DynamicCustomOp.builder("conv2d").addInputs(x, w).addOutputs(out)
                                .addIntegerArguments(3, 3, 1, 1, 1, 1, 1, 1, 0, nhwc, wf).build());
                        t = System.nanoTime() - t;
                        if (r > 0) {
                            best = Math.min(best, t);
                        }
                    }
                    results.add(new Result(batch + "x" + hw + "x" + hw + "x" + c + " -> " + c + " (3x3)",
                            nhwc == 1 ? "NHWC" : "NCHW", WEIGHT_FORMATS[wf], flops / best));
                }
            }
        }
        return results;
    }
}
