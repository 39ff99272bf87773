package dev.transferkit.onnx;

import org.deeplearning4j.nn.conf.CNN2DFormat;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DepthwiseConvolution2D;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.deeplearning4j.nn.conf.layers.ZeroPaddingLayer;
import org.nd4j.linalg.activations.Activation;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.Arrays;

/**
 * {@code Conv} (2-d, NCHW): a DL4J {@link ConvolutionLayer} for {@code group = 1}, a
 * {@link DepthwiseConvolution2D} for {@code group} = input channels (without dilation, which ND4J's oneDNN depthwise
 * convolution rejects). Symmetric padding stays in the layer; asymmetric
 * padding (explicit or from {@code auto_pad}) becomes a {@link ZeroPaddingLayer} before an unpadded convolution.
 * ONNX weights are {@code [outC, inC / group, kH, kW]}, which DL4J's convolution also uses; the depthwise layer wants
 * {@code [kH, kW, inC, multiplier]} with output channel {@code c * multiplier + m}, which is ONNX's output channel
 * order for {@code group = inC}.
 */
final class ConvMapper implements OperatorMapper {

    @Override
    public void map(OnnxNode node, ImportContext ctx) {
        ActivationShape in = ctx.shape(node, 0);
        if (!in.isImage()) {
            throw node.unsupported("its input has shape " + in + "; only 2-d convolutions of NCHW images are supported.");
        }
        INDArray w = ctx.requireConstant(node, 1, "weights");
        if (w.rank() != 4) {
            throw node.unsupported("its weights have shape " + Arrays.toString(w.shape())
                    + "; only 2-d convolutions (weights [outC, inC/group, kH, kW]) are supported.");
        }
        INDArray bias = node.input(2).isEmpty() ? null : ctx.requireConstant(node, 2, "bias");
        long outChannels = w.size(0);
        long kH = w.size(2);
        long kW = w.size(3);
        long[] kernel = node.getInts("kernel_shape", new long[]{kH, kW});
        if (kernel.length != 2 || kernel[0] != kH || kernel[1] != kW) {
            throw node.unsupported("kernel_shape = " + Arrays.toString(kernel) + " does not match the weights' "
                    + "kernel [" + kH + ", " + kW + "].");
        }
        long[] strides = node.getPair("strides");
        long[] dilations = node.getPair("dilations");
        long[] pads = node.getInts("pads", new long[4]);
        if (pads.length != 4) {
            throw node.unsupported("pads = " + Arrays.toString(pads) + " does not have 4 values (top, left, bottom, right).");
        }
        String autoPad = node.getString("auto_pad", "NOTSET");
        SpatialPadding ph = SpatialPadding.resolve(node, autoPad, in.height(), kH, strides[0], dilations[0], pads[0], pads[2], false);
        SpatialPadding pw = SpatialPadding.resolve(node, autoPad, in.width(), kW, strides[1], dilations[1], pads[1], pads[3], false);

        long group = node.getInt("group", 1);
        boolean depthwise;
        if (group == 1) {
            depthwise = false;
            if (w.size(1) != in.channels()) {
                throw node.unsupported("its weights expect " + w.size(1) + " input channels but its input " + in
                        + " has " + in.channels() + ".");
            }
        } else if (group == in.channels() && w.size(1) == 1 && outChannels % group == 0) {
            depthwise = true;
            if (dilations[0] != 1 || dilations[1] != 1) {
                throw node.unsupported("dilations = " + Arrays.toString(dilations) + " on a depthwise convolution are "
                        + "not supported (ND4J's oneDNN depthwise convolution rejects dilation).");
            }
        } else {
            throw node.unsupported("group = " + group + " with " + in.channels() + " input channels is a grouped "
                    + "convolution; only group = 1 and depthwise convolutions (group = input channels) are supported.");
        }
        if (bias != null && bias.length() != outChannels) {
            throw node.unsupported("its bias has " + bias.length() + " values for " + outChannels + " output channels.");
        }

        String source = node.input(0);
        long padH = ph.begin();
        long padW = pw.begin();
        long inH = in.height();
        long inW = in.width();
        if (!ph.symmetric() || !pw.symmetric()) {
            String padName = ctx.helperName(node.output(), "zero_padding");
            inH = in.height() + ph.begin() + ph.end();
            inW = in.width() + pw.begin() + pw.end();
            ctx.addLayer(padName, new ZeroPaddingLayer.Builder((int) ph.begin(), (int) ph.end(), (int) pw.begin(),
                    (int) pw.end()).dataFormat(CNN2DFormat.NCHW).build(), ActivationShape.image(in.channels(), inH, inW), source);
            source = padName;
            padH = 0;
            padW = 0;
        }
        long outH = SpatialPadding.truncateOut(inH, kH, strides[0], dilations[0], padH);
        long outW = SpatialPadding.truncateOut(inW, kW, strides[1], dilations[1], padW);
        if (outH != ph.out() || outW != pw.out()) {
            throw new IllegalStateException("Internal error: the DL4J convolution for " + node.describe() + " gives "
                    + outH + "x" + outW + " where ONNX gives " + ph.out() + "x" + pw.out() + ".");
        }
        int[] k = {(int) kH, (int) kW};
        int[] s = {(int) strides[0], (int) strides[1]};
        int[] p = {(int) padH, (int) padW};
        int[] d = {(int) dilations[0], (int) dilations[1]};
        Layer layer;
        INDArray weights;
        if (depthwise) {
            long multiplier = outChannels / group;
            layer = new DepthwiseConvolution2D.Builder(k, s, p).dilation(d).depthMultiplier((int) multiplier)
                    .nIn(in.channels()).nOut(outChannels).hasBias(bias != null).activation(Activation.IDENTITY)
                    .convolutionMode(ConvolutionMode.Truncate).dataFormat(CNN2DFormat.NCHW).build();
            weights = w.reshape('c', in.channels(), multiplier, kH, kW).permute(2, 3, 0, 1).dup('c');
        } else {
            layer = new ConvolutionLayer.Builder(k, s, p).dilation(d).nIn(in.channels()).nOut(outChannels)
                    .hasBias(bias != null).activation(Activation.IDENTITY).convolutionMode(ConvolutionMode.Truncate)
                    .dataFormat(CNN2DFormat.NCHW).build();
            weights = w;
        }
        ctx.addLayer(node.output(), layer, ActivationShape.image(outChannels, outH, outW), source);
        ctx.param(node.output(), "W", weights);
        if (bias != null) {
            ctx.param(node.output(), "b", bias.reshape(1, outChannels));
        }
    }
}
