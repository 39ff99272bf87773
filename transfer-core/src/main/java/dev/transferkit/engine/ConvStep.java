package dev.transferkit.engine;

import dev.transferkit.image.DataFormat;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Arrays;

/**
 * A 2-d convolution through ND4J's native {@code conv2d} or {@code depthwise_conv2d} operation, with its bias (into
 * which a following batch normalisation may have been folded) and its activation applied in place.
 */
final class ConvStep implements Step {
    /** The native operation and the weight layout it is given. */
    enum Kind {
        /** {@code conv2d} with DL4J's {@code [out, in, kH, kW]} weights (oneDNN weight format OIYX). */
        DENSE("conv2d", 1),
        /** {@code depthwise_conv2d} with DL4J's {@code [kH, kW, in, multiplier]} weights. */
        DEPTHWISE("depthwise_conv2d", 0);

        private final String op;
        private final int weightFormat;

        Kind(String op, int weightFormat) {
            this.op = op;
            this.weightFormat = weightFormat;
        }
    }

    private final Kind kind;
    private final INDArray weights;
    private final INDArray bias;
    private final Geometry geometry;
    private final long outChannels;
    private final IActivation activation;
    private final DataFormat layout;
    private final String note;

    /**
     * @param kind        the operation
     * @param weights     the weights in DL4J's layout for that operation
     * @param bias        one value per output channel, or null
     * @param geometry    kernel, stride, padding, dilation and padding mode
     * @param outChannels output channels
     * @param activation  applied after the bias, or null
     * @param layout      the activation layout
     * @param note        what was fused into this step, for the description ("" for nothing)
     */
    ConvStep(Kind kind, INDArray weights, INDArray bias, Geometry geometry, long outChannels, IActivation activation,
             DataFormat layout, String note) {
        this.kind = kind;
        this.weights = weights;
        this.bias = bias == null ? null : bias.reshape(outChannels);
        this.geometry = geometry;
        this.outChannels = outChannels;
        this.activation = activation;
        this.layout = layout;
        this.note = note;
    }

    @Override
    public INDArray run(INDArray[] inputs, BufferPool pool, boolean overwrite) {
        INDArray x = inputs[0];
        long h = geometry.outSize(x.size(Layouts.heightAxis(layout)), 0);
        long w = geometry.outSize(x.size(Layouts.widthAxis(layout)), 1);
        INDArray out = pool.take(Layouts.shape(layout, x.size(0), outChannels, h, w));
        DynamicCustomOp.DynamicCustomOpsBuilder op = DynamicCustomOp.builder(kind.op);
        if (bias != null) {
            op.addInputs(x, weights, bias);
        } else {
            op.addInputs(x, weights);
        }
        op.addOutputs(out).addIntegerArguments(geometry.kernel[0], geometry.kernel[1], geometry.stride[0],
                geometry.stride[1], geometry.padding[0], geometry.padding[1], geometry.dilation[0], geometry.dilation[1],
                geometry.same ? 1 : 0, layout == DataFormat.NHWC ? 1 : 0, kind.weightFormat);
        Nd4j.exec(op.build());
        return Activations.applyInPlace(activation, out);
    }

    /** @return floating-point operations for one image of the given input size (multiply-adds count 2) */
    long flops(long inH, long inW, long inChannels) {
        long h = geometry.outSize(inH, 0);
        long w = geometry.outSize(inW, 1);
        long perOutput = (long) geometry.kernel[0] * geometry.kernel[1] * (kind == Kind.DENSE ? inChannels : 1);
        return 2L * h * w * outChannels * perOutput;
    }

    @Override
    public String describe() {
        return kind.op + " " + geometry + " out=" + outChannels + (bias != null ? " +bias" : "")
                + (Activations.isIdentity(activation) ? "" : " " + Activations.name(activation)) + note;
    }

    /** Kernel, stride, padding and dilation of a convolution or pooling window, with DL4J's output-size rule. */
    static final class Geometry {
        final int[] kernel;
        final int[] stride;
        final int[] padding;
        final int[] dilation;
        final boolean same;

        Geometry(int[] kernel, int[] stride, int[] padding, int[] dilation, boolean same) {
            this.kernel = kernel.clone();
            this.stride = stride.clone();
            this.padding = same ? new int[]{0, 0} : padding.clone();
            this.dilation = dilation.clone();
            this.same = same;
        }

        /**
         * @param in   the input size along one spatial axis
         * @param axis 0 for height, 1 for width
         * @return the output size along it
         */
        long outSize(long in, int axis) {
            if (same) {
                return (in + stride[axis] - 1) / stride[axis];
            }
            long effectiveKernel = (long) (kernel[axis] - 1) * dilation[axis] + 1;
            return (in + 2L * padding[axis] - effectiveKernel) / stride[axis] + 1;
        }

        @Override
        public String toString() {
            return "k=" + kernel[0] + "x" + kernel[1] + " s=" + stride[0] + "x" + stride[1]
                    + (same ? " same" : " pad=" + Arrays.toString(padding))
                    + (dilation[0] == 1 && dilation[1] == 1 ? "" : " dil=" + Arrays.toString(dilation));
        }
    }
}
