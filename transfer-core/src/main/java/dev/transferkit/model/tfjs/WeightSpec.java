package dev.transferkit.model.tfjs;

import com.fasterxml.jackson.databind.JsonNode;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Objects;

/**
 * One weight of a TensorFlow.js {@code weightsManifest}: its name ({@code layer/param}), shape and how its values
 * are stored in the shard bytes, and the decoding of those bytes into floats.
 *
 * <p>Supported storage: {@code float32}, {@code int32} and {@code float16} values, and quantised values
 * ({@code quantization.dtype} {@code uint8} or {@code uint16} with {@code value = min + scale * q}, or
 * {@code float16}). All values are little-endian, as TensorFlow.js writes them.
 *
 * @param name         the weight name, e.g. {@code conv1/kernel}
 * @param shape        the tensor shape
 * @param dtype        the dtype of the values ({@code float32}, {@code int32} or {@code float16})
 * @param quantization how the values are quantised, or null when they are stored as {@code dtype}
 */
public record WeightSpec(String name, long[] shape, String dtype, Quantization quantization) {

    /**
     * Quantised storage of a weight.
     *
     * @param dtype         the stored type: {@code uint8}, {@code uint16} or {@code float16}
     * @param min           the value of {@code q = 0} (affine quantisation only)
     * @param scale         the step between quantised values (affine quantisation only)
     * @param originalDtype the dtype of the restored values ({@code float32} or {@code int32})
     */
    public record Quantization(String dtype, double min, double scale, String originalDtype) {
    }

    /**
     * Validates the spec.
     *
     * @throws IllegalArgumentException when a dimension is negative
     */
    public WeightSpec {
        Objects.requireNonNull(name, "name");
        shape = shape.clone();
        for (long d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("The weight '" + name + "' has a negative dimension in its shape "
                        + Arrays.toString(shape) + ".");
            }
        }
    }

    /**
     * Reads one {@code weightsManifest[].weights[]} entry.
     *
     * @param json the entry
     * @param file the file it came from, for error messages
     * @return the spec
     * @throws TfjsFormatException naming the file when the entry is malformed or its dtype is unsupported
     */
    static WeightSpec fromJson(JsonNode json, String file) {
        String name = json.path("name").asText(null);
        JsonNode shapeNode = json.path("shape");
        if (name == null || !shapeNode.isArray()) {
            throw new TfjsFormatException("A weight entry in the weightsManifest of " + file
                    + " lacks a name or a shape array: " + json + ".");
        }
        long[] shape = new long[shapeNode.size()];
        for (int i = 0; i < shape.length; i++) {
            if (!shapeNode.get(i).canConvertToLong() || shapeNode.get(i).asLong() < 0) {
                throw new TfjsFormatException("The weight '" + name + "' in " + file + " has the invalid shape " + shapeNode + ".");
            }
            shape[i] = shapeNode.get(i).asLong();
        }
        String dtype = json.path("dtype").asText("float32");
        JsonNode q = json.get("quantization");
        Quantization quantization = null;
        if (q != null && !q.isNull()) {
            String qType = q.path("dtype").asText(null);
            String original = q.path("original_dtype").asText(dtype);
            if (!"uint8".equals(qType) && !"uint16".equals(qType) && !"float16".equals(qType)) {
                throw unsupported(name, file, "quantization dtype '" + qType + "'");
            }
            if (!"float32".equals(original) && !"int32".equals(original)) {
                throw unsupported(name, file, "quantised original dtype '" + original + "'");
            }
            double min = 0;
            double scale = 0;
            if (!"float16".equals(qType)) {
                if (!q.path("min").isNumber() || !q.path("scale").isNumber()) {
                    throw new TfjsFormatException("The quantised weight '" + name + "' in " + file
                            + " needs numeric 'min' and 'scale' fields, but its quantization is " + q + ".");
                }
                min = q.get("min").asDouble();
                scale = q.get("scale").asDouble();
            }
            quantization = new Quantization(qType, min, scale, original);
        } else if (!"float32".equals(dtype) && !"int32".equals(dtype) && !"float16".equals(dtype)) {
            throw unsupported(name, file, "dtype '" + dtype + "'");
        }
        return new WeightSpec(name, shape, dtype, quantization);
    }

    private static TfjsFormatException unsupported(String name, String file, String what) {
        return new TfjsFormatException("The weight '" + name + "' in " + file + " has the unsupported " + what
                + "; supported are float32, int32 and float16 values and uint8, uint16 or float16 quantisation.");
    }

    /** @return the shape, a copy */
    @Override
    public long[] shape() {
        return shape.clone();
    }

    /** @return the number of values, the product of the shape */
    public long size() {
        long n = 1;
        for (long d : shape) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    /** @return how many bytes the stored values take in the shard data */
    public long byteLength() {
        String stored = quantization != null ? quantization.dtype() : dtype;
        int bytes = switch (stored) {
            case "uint8" -> 1;
            case "uint16", "float16" -> 2;
            default -> 4;
        };
        return Math.multiplyExact(size(), bytes);
    }

    /**
     * Decodes this weight's values from the current position of a little-endian buffer and advances it.
     *
     * @param data the shard bytes, positioned at this weight
     * @return the values in row-major order
     */
    public float[] decode(ByteBuffer data) {
        float[] values = new float[Math.toIntExact(size())];
        if (quantization == null) {
            for (int i = 0; i < values.length; i++) {
                values[i] = switch (dtype) {
                    case "int32" -> data.getInt();
                    case "float16" -> halfToFloat(data.getShort());
                    default -> data.getFloat();
                };
            }
            return values;
        }
        boolean roundToInt = "int32".equals(quantization.originalDtype());
        for (int i = 0; i < values.length; i++) {
            double v = switch (quantization.dtype()) {
                case "uint8" -> quantization.min() + quantization.scale() * (data.get() & 0xFF);
                case "uint16" -> quantization.min() + quantization.scale() * (data.getShort() & 0xFFFF);
                default -> halfToFloat(data.getShort());
            };
            values[i] = roundToInt ? Math.round(v) : (float) v;
        }
        return values;
    }

    /**
     * Converts an IEEE 754 half-precision value to a float (Java 17 has no {@code Float.float16ToFloat}).
     *
     * @param half the 16 bits
     * @return the value
     */
    static float halfToFloat(short half) {
        int bits = half & 0xFFFF;
        int sign = (bits & 0x8000) << 16;
        int exponent = (bits >>> 10) & 0x1F;
        int mantissa = bits & 0x3FF;
        if (exponent == 0x1F) {
            return Float.intBitsToFloat(sign | 0x7F800000 | (mantissa << 13));
        }
        if (exponent == 0) {
            float v = mantissa * 0x1p-24f;
            return sign != 0 ? -v : v;
        }
        return Float.intBitsToFloat(sign | ((exponent + 112) << 23) | (mantissa << 13));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof WeightSpec w && name.equals(w.name) && Arrays.equals(shape, w.shape)
                && dtype.equals(w.dtype) && Objects.equals(quantization, w.quantization);
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, Arrays.hashCode(shape), dtype, quantization);
    }

    @Override
    public String toString() {
        return name + Arrays.toString(shape) + " " + dtype + (quantization == null ? ""
                : " quantised as " + quantization.dtype() + (quantization.dtype().equals("float16") ? ""
                : " (min " + quantization.min() + ", scale " + quantization.scale() + ")"));
    }
}
