package dev.transferkit.image;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The pixel preprocessing a pretrained network was trained with, as Keras applications define it per model.
 *
 * <p>For an 8-bit pixel component {@code x} in channel {@code c} (channels in {@link #channelOrder()}), the
 * network input is {@code (x * scale - mean[c]) / std[c]}. The presets cover the common families:
 * <ul>
 *   <li>{@link #CAFFE}: BGR, ImageNet means subtracted, no scaling (VGG16, ResNet50 from Keras/DL4J);</li>
 *   <li>{@link #TF}: RGB scaled to [-1, 1] (Keras MobileNet, MobileNetV2, InceptionV3, Xception);</li>
 *   <li>{@link #TORCH}: RGB scaled to [0, 1], then ImageNet mean/std (PyTorch models);</li>
 *   <li>{@link #UNIT}: RGB scaled to [0, 1] (the nsfwjs networks);</li>
 *   <li>{@link #NONE}: RGB, raw 0..255 values.</li>
 * </ul>
 * Instances are immutable and compare by value.
 */
public final class Preprocessing {
    /** Channel order of the network input. */
    public enum ChannelOrder { RGB, BGR }

    /** Caffe style: BGR order, ImageNet channel means subtracted (B 103.939, G 116.779, R 123.68). */
    public static final Preprocessing CAFFE = new Preprocessing("caffe", ChannelOrder.BGR, 1f,
            new float[]{103.939f, 116.779f, 123.68f}, new float[]{1f, 1f, 1f});
    /** TensorFlow style: RGB scaled to [-1, 1]. */
    public static final Preprocessing TF = new Preprocessing("tf", ChannelOrder.RGB, 1f / 127.5f,
            new float[]{1f, 1f, 1f}, new float[]{1f, 1f, 1f});
    /** PyTorch style: RGB scaled to [0, 1], then normalised by the ImageNet mean and standard deviation. */
    public static final Preprocessing TORCH = new Preprocessing("torch", ChannelOrder.RGB, 1f / 255f,
            new float[]{0.485f, 0.456f, 0.406f}, new float[]{0.229f, 0.224f, 0.225f});
    /** RGB scaled to [0, 1]. */
    public static final Preprocessing UNIT = new Preprocessing("unit", ChannelOrder.RGB, 1f / 255f,
            new float[]{0f, 0f, 0f}, new float[]{1f, 1f, 1f});
    /** RGB, raw 0..255 values. */
    public static final Preprocessing NONE = new Preprocessing("none", ChannelOrder.RGB, 1f,
            new float[]{0f, 0f, 0f}, new float[]{1f, 1f, 1f});

    private static final List<Preprocessing> PRESETS = List.of(CAFFE, TF, TORCH, UNIT, NONE);

    private final String name;
    private final ChannelOrder channelOrder;
    private final float scale;
    private final float[] mean;
    private final float[] std;
    private final float[][] lut;

    private Preprocessing(String name, ChannelOrder channelOrder, float scale, float[] mean, float[] std) {
        this.name = Objects.requireNonNull(name, "name");
        this.channelOrder = Objects.requireNonNull(channelOrder, "channelOrder");
        if (mean.length != 3 || std.length != 3) {
            throw new IllegalArgumentException("Preprocessing needs three channel means and three standard deviations, but got "
                    + mean.length + " means and " + std.length + " standard deviations.");
        }
        for (float s : std) {
            if (!(s > 0f) || Float.isInfinite(s)) {
                throw new IllegalArgumentException("Preprocessing standard deviations must be positive and finite, but got "
                        + Arrays.toString(std) + ".");
            }
        }
        if (!(scale > 0f) || Float.isInfinite(scale)) {
            throw new IllegalArgumentException("Preprocessing scale must be positive and finite, but got " + scale + ".");
        }
        this.scale = scale;
        this.mean = mean.clone();
        this.std = std.clone();
        this.lut = new float[3][256];
        for (int c = 0; c < 3; c++) {
            for (int v = 0; v < 256; v++) {
                lut[c][v] = (v * scale - this.mean[c]) / this.std[c];
            }
        }
    }

    /**
     * Creates a custom preprocessing.
     *
     * @param name         a short name recorded with models and stores
     * @param channelOrder the channel order the network expects
     * @param scale        factor applied to 0..255 values first
     * @param mean         per-channel value subtracted after scaling, in {@code channelOrder}
     * @param std          per-channel divisor applied last, in {@code channelOrder}
     * @return the preprocessing
     */
    public static Preprocessing of(String name, ChannelOrder channelOrder, float scale, float[] mean, float[] std) {
        return new Preprocessing(name, channelOrder, scale, mean, std);
    }

    /**
     * Returns a preset by its name.
     *
     * @param name one of {@code caffe}, {@code tf}, {@code torch}, {@code unit}, {@code none}
     * @return the preset
     * @throws IllegalArgumentException when no preset has that name
     */
    public static Preprocessing preset(String name) {
        for (Preprocessing p : PRESETS) {
            if (p.name.equals(name)) {
                return p;
            }
        }
        throw new IllegalArgumentException("There is no preprocessing preset named '" + name
                + "'; the presets are caffe, tf, torch, unit and none.");
    }

    /** @return the short name of this preprocessing */
    public String name() {
        return name;
    }

    /** @return the channel order the network expects */
    public ChannelOrder channelOrder() {
        return channelOrder;
    }

    /** @return the factor applied to 0..255 values */
    public float scale() {
        return scale;
    }

    /** @return a copy of the per-channel means, in {@link #channelOrder()} */
    public float[] mean() {
        return mean.clone();
    }

    /** @return a copy of the per-channel standard deviations, in {@link #channelOrder()} */
    public float[] std() {
        return std.clone();
    }

    /**
     * Returns the network input value for one pixel component.
     *
     * @param channel the network channel (0..2, in {@link #channelOrder()})
     * @param r       red 0..255
     * @param g       green 0..255
     * @param b       blue 0..255
     * @return the preprocessed value
     */
    public float value(int channel, int r, int g, int b) {
        int source = channelOrder == ChannelOrder.RGB ? channel : 2 - channel;
        int v = source == 0 ? r : source == 1 ? g : b;
        return lut[channel][v];
    }

    /**
     * Writes one packed {@code 0xRRGGBB} pixel into three network channels.
     *
     * @param rgb packed pixel (alpha bits are ignored)
     * @param out destination; channel {@code c} goes to {@code out[offset + c * stride]}
     * @param offset index of channel 0
     * @param stride distance between channels (1 for NHWC, height*width for NCHW)
     */
    public void write(int rgb, float[] out, int offset, int stride) {
        int r = (rgb >> 16) & 0xFF;
        int g = (rgb >> 8) & 0xFF;
        int b = rgb & 0xFF;
        if (channelOrder == ChannelOrder.RGB) {
            out[offset] = lut[0][r];
            out[offset + stride] = lut[1][g];
            out[offset + 2 * stride] = lut[2][b];
        } else {
            out[offset] = lut[0][b];
            out[offset + stride] = lut[1][g];
            out[offset + 2 * stride] = lut[2][r];
        }
    }

    /**
     * Describes this preprocessing as plain values, for metadata files and HDF5 attributes.
     *
     * @return name, channelOrder, scale, mean and std
     */
    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", name);
        m.put("channelOrder", channelOrder.name());
        m.put("scale", (double) scale);
        m.put("mean", toList(mean));
        m.put("std", toList(std));
        return m;
    }

    /**
     * Restores a preprocessing written by {@link #toMap()}.
     *
     * @param m the map
     * @return the preprocessing
     * @throws IllegalArgumentException when a field is missing or malformed
     */
    public static Preprocessing fromMap(Map<String, ?> m) {
        try {
            return new Preprocessing((String) m.get("name"),
                    ChannelOrder.valueOf((String) m.get("channelOrder")),
                    ((Number) m.get("scale")).floatValue(),
                    toArray((List<?>) m.get("mean")), toArray((List<?>) m.get("std")));
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("The preprocessing description " + m
                    + " is malformed; it needs name, channelOrder, scale, mean[3] and std[3].", e);
        }
    }

    private static List<Double> toList(float[] a) {
        return List.of((double) a[0], (double) a[1], (double) a[2]);
    }

    private static float[] toArray(List<?> l) {
        float[] a = new float[l.size()];
        for (int i = 0; i < a.length; i++) {
            a[i] = ((Number) l.get(i)).floatValue();
        }
        return a;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof Preprocessing p)) {
            return false;
        }
        return name.equals(p.name) && channelOrder == p.channelOrder && scale == p.scale
                && Arrays.equals(mean, p.mean) && Arrays.equals(std, p.std);
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, channelOrder, scale, Arrays.hashCode(mean), Arrays.hashCode(std));
    }

    @Override
    public String toString() {
        return "Preprocessing(" + name + ", " + channelOrder + ", x*" + scale + " - " + Arrays.toString(mean)
                + " / " + Arrays.toString(std) + ")";
    }
}
