package dev.transferkit.onnx;

import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.conf.layers.SubsamplingLayer;
import org.deeplearning4j.nn.conf.layers.ZeroPaddingLayer;

import java.util.Arrays;

/**
 * {@code MaxPool} and {@code AveragePool} (2-d, NCHW) as a DL4J {@link SubsamplingLayer}. DL4J pads symmetrically
 * and rounds the output size down (or pads like TensorFlow's SAME), so other cases need care:
 * <ul>
 *     <li>symmetric padding whose rounded-down output size equals ONNX's (also with {@code ceil_mode = 1} when
 *     rounding up changes nothing): the padding stays in the layer, with {@code count_include_pad} as DL4J's
 *     {@code avgPoolIncludePadInDivisor};</li>
 *     <li>padding that is DL4J's {@code ConvolutionMode.Same} padding: the layer in that mode;</li>
 *     <li>other (asymmetric, or {@code ceil_mode} windows past the padding): a {@link ZeroPaddingLayer} before an
 *     unpadded layer, which is exact for a max pooling of values that cannot be negative (after a ReLU, for
 *     instance) and for an average pooling that counts the padding and whose windows all lie inside it.</li>
 * </ul>
 * Dilated pooling and anything else raise an {@link OnnxImportException}.
 */
final class PoolMapper implements OperatorMapper {

    @Override
    public void map(OnnxNode node, ImportContext ctx) {
        boolean max = node.op().equals("MaxPool");
        ActivationShape in = ctx.shape(node, 0);
        if (!in.isImage()) {
            throw node.unsupported("its input has shape " + in + "; only 2-d pooling of NCHW images is supported.");
        }
        if (node.outputs().size() > 1 && !node.outputs().get(1).isEmpty()) {
            throw node.unsupported("its second output (the indices of the maxima) is not supported.");
        }
        long[] kernel = node.getInts("kernel_shape", null);
        if (kernel == null || kernel.length != 2 || kernel[0] < 1 || kernel[1] < 1) {
            throw node.unsupported("kernel_shape = " + (kernel == null ? "(absent)" : Arrays.toString(kernel))
                    + " is not two positive values (only 2-d pooling is supported).");
        }
        long[] strides = node.getPair("strides");
        long[] dilations = node.getPair("dilations");
        if (dilations[0] != 1 || dilations[1] != 1) {
            throw node.unsupported("dilations = " + Arrays.toString(dilations) + " are not supported (DL4J's dilated "
                    + "pooling does not compute what ONNX's does).");
        }
        long[] pads = node.getInts("pads", new long[4]);
        if (pads.length != 4) {
            throw node.unsupported("pads = " + Arrays.toString(pads) + " does not have 4 values (top, left, bottom, right).");
        }
        boolean ceil = node.getInt("ceil_mode", 0) != 0;
        boolean countPad = node.getInt("count_include_pad", 0) != 0;
        String autoPad = node.getString("auto_pad", "NOTSET");
        SpatialPadding ph = SpatialPadding.resolve(node, autoPad, in.height(), kernel[0], strides[0], dilations[0], pads[0], pads[2], ceil);
        SpatialPadding pw = SpatialPadding.resolve(node, autoPad, in.width(), kernel[1], strides[1], dilations[1], pads[1], pads[3], ceil);
        ActivationShape outShape = ActivationShape.image(in.channels(), ph.out(), pw.out());

        int[] k = {(int) kernel[0], (int) kernel[1]};
        int[] s = {(int) strides[0], (int) strides[1]};
        int[] d = {(int) dilations[0], (int) dilations[1]};
        SubsamplingLayer.Builder pool = new SubsamplingLayer.Builder(max ? PoolingType.MAX : PoolingType.AVG)
                .kernelSize(k).stride(s).dilation(d).dataFormat(CNN2DFormat.NCHW).avgPoolIncludePadInDivisor(countPad);
        String source = node.input(0);
        if (ph.symmetric() && pw.symmetric()
                && SpatialPadding.truncateOut(in.height(), kernel[0], strides[0], dilations[0], ph.begin()) == ph.out()
                && SpatialPadding.truncateOut(in.width(), kernel[1], strides[1], dilations[1], pw.begin()) == pw.out()) {
            pool.padding((int) ph.begin(), (int) pw.begin()).convolutionMode(ConvolutionMode.Truncate);
        } else if (isSameMode(in.height(), kernel[0], strides[0], dilations[0], ph)
                && isSameMode(in.width(), kernel[1], strides[1], dilations[1], pw)) {
            pool.convolutionMode(ConvolutionMode.Same);
        } else {
            long endH = (ph.out() - 1) * strides[0] + (kernel[0] - 1) * dilations[0] + 1 - in.height() - ph.begin();
            long endW = (pw.out() - 1) * strides[1] + (kernel[1] - 1) * dilations[1] + 1 - in.width() - pw.begin();
            boolean exact = max ? ctx.isNonNegative(source) : countPad && endH <= ph.end() && endW <= pw.end();
            if (!exact) {
                throw node.unsupported("its padding (top " + ph.begin() + ", bottom " + ph.end() + ", left "
                        + pw.begin() + ", right " + pw.end() + (ceil ? ", ceil_mode = 1" : "") + ") is asymmetric or "
                        + "needs windows past the padding, which DL4J's pooling cannot express; zero padding before it "
                        + "would only be exact for " + (max ? "an input that cannot be negative (e.g. after a Relu)."
                        : "count_include_pad = 1 with every window inside the padding."));
            }
            endH = Math.max(0, endH);
            endW = Math.max(0, endW);
            String padName = ctx.helperName(node.output(), "zero_padding");
            ctx.addLayer(padName, new ZeroPaddingLayer.Builder((int) ph.begin(), (int) endH, (int) pw.begin(),
                    (int) endW).dataFormat(CNN2DFormat.NCHW).build(), ActivationShape.image(in.channels(),
                    in.height() + ph.begin() + endH, in.width() + pw.begin() + endW), source);
            source = padName;
            pool.padding(0, 0).convolutionMode(ConvolutionMode.Truncate);
        }
        ctx.addLayer(node.output(), pool.build(), outShape, source);
        if (ctx.isNonNegative(node.input(0))) {
            ctx.markNonNegative(node.output());
        }
    }

    /** Whether ONNX's padding and output size along an axis are those of DL4J's Same mode. */
    private static boolean isSameMode(long in, long kernel, long stride, long dilation, SpatialPadding p) {
        long out = (in + stride - 1) / stride;
        long total = Math.max(0, (out - 1) * stride + (kernel - 1) * dilation + 1 - in);
        return p.out() == out && p.begin() == total / 2 && p.end() == total - total / 2;
    }
}
