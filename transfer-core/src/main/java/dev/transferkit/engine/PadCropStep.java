package dev.transferkit.engine;

import dev.transferkit.image.DataFormat;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.INDArrayIndex;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * DL4J's {@code ZeroPaddingLayer} (adds zero rows and columns) or {@code Cropping2D} (removes them); both take
 * {@code [top, bottom, left, right]}.
 */
final class PadCropStep implements Step {
    private final boolean pad;
    private final int[] amounts;
    private final DataFormat layout;

    /**
     * @param pad     true to pad with zeros, false to crop
     * @param amounts {@code [top, bottom, left, right]}
     * @param layout  the activation layout
     */
    PadCropStep(boolean pad, int[] amounts, DataFormat layout) {
        this.pad = pad;
        this.amounts = amounts.clone();
        this.layout = layout;
    }

    @Override
    public INDArray run(INDArray[] inputs, BufferPool pool, boolean overwrite) {
        INDArray x = inputs[0];
        int hA = Layouts.heightAxis(layout);
        int wA = Layouts.widthAxis(layout);
        long sign = pad ? 1 : -1;
        long h = x.size(hA) + sign * (amounts[0] + amounts[1]);
        long w = x.size(wA) + sign * (amounts[2] + amounts[3]);
        INDArray out = pool.take(Layouts.shape(layout, x.size(0), x.size(Layouts.channelAxis(layout)), h, w));
        INDArrayIndex[] window = new INDArrayIndex[4];
        for (int i = 0; i < 4; i++) {
            window[i] = NDArrayIndex.all();
        }
        long innerH = pad ? x.size(hA) : h;
        long innerW = pad ? x.size(wA) : w;
        window[hA] = NDArrayIndex.interval(amounts[0], amounts[0] + innerH);
        window[wA] = NDArrayIndex.interval(amounts[2], amounts[2] + innerW);
        if (pad) {
            out.assign(0);
            out.get(window).assign(x);
        } else {
            out.assign(x.get(window));
        }
        return out;
    }

    @Override
    public String describe() {
        return (pad ? "zero-pad " : "crop ") + "[top,bottom,left,right]=" + java.util.Arrays.toString(amounts);
    }
}
