package dev.transferkit.engine;

import dev.transferkit.image.DataFormat;
import org.deeplearning4j.util.ConvolutionUtils;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Max or average pooling through ND4J's native {@code maxpool2d} / {@code avgpool2d}, with the arguments DL4J's
 * {@code SubsamplingLayer} passes (same-mode padding, and whether padding counts in an average's divisor).
 */
final class PoolStep implements Step {
    private final boolean max;
    private final ConvStep.Geometry geometry;
    private final int divisorMode;
    private final DataFormat layout;

    /**
     * @param max         true for max pooling, false for average
     * @param geometry    the window
     * @param divisorMode DL4J's extra argument for average pooling (1 when padding is included in the divisor)
     * @param layout      the activation layout
     */
    PoolStep(boolean max, ConvStep.Geometry geometry, int divisorMode, DataFormat layout) {
        this.max = max;
        this.geometry = geometry;
        this.divisorMode = divisorMode;
        this.layout = layout;
    }

    @Override
    public INDArray run(INDArray[] inputs, BufferPool pool, boolean overwrite) {
        INDArray x = inputs[0];
        int inH = (int) x.size(Layouts.heightAxis(layout));
        int inW = (int) x.size(Layouts.widthAxis(layout));
        int[] outSize = {(int) geometry.outSize(inH, 0), (int) geometry.outSize(inW, 1)};
        int[] pad = geometry.same
                ? ConvolutionUtils.getSameModeTopLeftPadding(outSize, new int[]{inH, inW}, geometry.kernel, geometry.stride,
                geometry.dilation)
                : geometry.padding;
        INDArray out = pool.take(Layouts.shape(layout, x.size(0), x.size(Layouts.channelAxis(layout)), outSize[0], outSize[1]));
        Nd4j.exec(DynamicCustomOp.builder(max ? "maxpool2d" : "avgpool2d")
                .addInputs(x).addOutputs(out)
                .addIntegerArguments(geometry.kernel[0], geometry.kernel[1], geometry.stride[0], geometry.stride[1],
                        pad[0], pad[1], geometry.dilation[0], geometry.dilation[1], geometry.same ? 1 : 0,
                        max ? 0 : divisorMode, layout == DataFormat.NHWC ? 1 : 0)
                .build());
        return out;
    }

    @Override
    public String describe() {
        return (max ? "maxpool2d " : "avgpool2d ") + geometry;
    }
}
