package dev.transferkit.model.tfjs;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A tiny TF.js layers model written by the tests: input 3x3x2 -> Conv2D(2, 2x2) -> BatchNormalization ->
 * ReLU(max 6) -> Flatten -> Dense(3), whose weights use every supported storage: float32, float16 (plain and as
 * quantisation), uint8 and uint16 quantisation. It knows the decoded values and computes the forward pass by
 * hand, in the Keras (NHWC) definition of each layer.
 */
final class TinyTfjsModel {
    static final int H = 3;
    static final int W = 3;
    static final int C = 2;
    static final int F = 2;
    static final int UNITS = 3;
    static final double EPSILON = 0.001;

    private static final String LAYERS = """
            {"name":"conv","class_name":"Conv2D","config":{"name":"conv","trainable":true,%s"filters":2,"kernel_size":[2,2],
             "strides":[1,1],"padding":"valid","data_format":"channels_last","dilation_rate":[1,1],"activation":"linear",
             "use_bias":true,"kernel_initializer":{"class_name":"Zeros","config":{}},"bias_initializer":{"class_name":"Zeros","config":{}},
             "kernel_regularizer":null,"bias_regularizer":null,"activity_regularizer":null,"kernel_constraint":null,"bias_constraint":null},
             "inbound_nodes":[[["input_1",0,0,{}]]]},
            {"name":"bn","class_name":"BatchNormalization","config":{"name":"bn","trainable":true,"axis":-1,"momentum":0.99,
             "epsilon":0.001,"center":true,"scale":true,"beta_initializer":{"class_name":"Zeros","config":{}},
             "gamma_initializer":{"class_name":"Ones","config":{}},"moving_mean_initializer":{"class_name":"Zeros","config":{}},
             "moving_variance_initializer":{"class_name":"Ones","config":{}},"beta_regularizer":null,"gamma_regularizer":null,
             "beta_constraint":null,"gamma_constraint":null},"inbound_nodes":[[["conv",0,0,{}]]]},
            {"name":"relu","class_name":"%s","config":{"name":"relu","trainable":true,"max_value":6,"negative_slope":0,"threshold":0},
             "inbound_nodes":[[["bn",0,0,{}]]]},
            {"name":"flat","class_name":"Flatten","config":{"name":"flat","trainable":true,"data_format":"channels_last"},
             "inbound_nodes":[[["relu",0,0,{}]]]},
            {"name":"dense","class_name":"Dense","config":{"name":"dense","trainable":true,"units":3,"activation":"linear",
             "use_bias":true,"kernel_initializer":{"class_name":"Zeros","config":{}},"bias_initializer":{"class_name":"Zeros","config":{}},
             "kernel_regularizer":null,"bias_regularizer":null,"activity_regularizer":null,"kernel_constraint":null,"bias_constraint":null},
             "inbound_nodes":[[["flat",0,0,{}]]]}""";

    private static final String INPUT = """
            {"name":"input_1","class_name":"InputLayer","config":{"batch_input_shape":[null,3,3,2],"dtype":"float32",
             "sparse":false,"name":"input_1"},"inbound_nodes":[]},""";

    private static final String MANIFEST = """
            [{"paths":["%s"],"weights":[
             {"name":"conv/kernel","shape":[2,2,2,2],"dtype":"float32"},
             {"name":"conv/bias","shape":[2],"dtype":"float32","quantization":{"dtype":"float16"}},
             {"name":"bn/gamma","shape":[2],"dtype":"%s"},
             {"name":"bn/beta","shape":[2],"dtype":"float32"},
             {"name":"bn/moving_mean","shape":[2],"dtype":"float32","quantization":{"dtype":"uint16","min":-1.0,"scale":0.0009765625}},
             {"name":"bn/moving_variance","shape":[2],"dtype":"float32","quantization":{"min":0.5,"scale":0.25,"dtype":"uint8"}},
             {"name":"dense/kernel","shape":[8,3],"dtype":"float32","quantization":{"dtype":"uint8","min":-1.0,"scale":%s,"original_dtype":"float32"}},
             {"name":"dense/bias","shape":[3],"dtype":"float32","quantization":{"dtype":"uint16","min":-0.5,"scale":%s}}]}]""";

    static final double DENSE_KERNEL_SCALE = 2.0 / 255;
    static final double DENSE_BIAS_SCALE = 1.0 / 65535;
    static final short[] CONV_BIAS_HALF = {0x3800, (short) 0xB400};
    static final short[] GAMMA_HALF = {0x3C00, 0x3E00};
    static final int[] MEAN_Q = {1024 + 256, 1024 - 512};
    static final int[] VARIANCE_Q = {2, 6};
    static final int[] DENSE_BIAS_Q = {0, 32768, 65535};

    private TinyTfjsModel() {
    }

    /** @return the quantised byte of dense kernel value {@code i} */
    static int denseKernelQ(int i) {
        return (i * 37 + 11) % 256;
    }

    /** @return the weights as decoded by TF.js: name -> values in row-major order */
    static Map<String, float[]> expectedWeights() {
        Map<String, float[]> w = new LinkedHashMap<>();
        float[] kernel = new float[16];
        for (int i = 0; i < kernel.length; i++) {
            kernel[i] = ((i * 5) % 11 - 5) / 8f;
        }
        w.put("conv/kernel", kernel);
        w.put("conv/bias", new float[]{0.5f, -0.25f});
        w.put("bn/gamma", new float[]{1.0f, 1.5f});
        w.put("bn/beta", new float[]{0.1f, -0.2f});
        w.put("bn/moving_mean", new float[]{0.25f, -0.5f});
        w.put("bn/moving_variance", new float[]{1.0f, 2.0f});
        float[] dense = new float[8 * UNITS];
        for (int i = 0; i < dense.length; i++) {
            dense[i] = (float) (-1.0 + DENSE_KERNEL_SCALE * denseKernelQ(i));
        }
        w.put("dense/kernel", dense);
        float[] bias = new float[UNITS];
        for (int i = 0; i < UNITS; i++) {
            bias[i] = (float) (-0.5 + DENSE_BIAS_SCALE * DENSE_BIAS_Q[i]);
        }
        w.put("dense/bias", bias);
        return w;
    }

    /** @return the shard bytes, in manifest order */
    static byte[] shard() {
        Map<String, float[]> w = expectedWeights();
        ByteBuffer b = ByteBuffer.allocate(16 * 4 + 2 * 2 + 2 * 2 + 2 * 4 + 2 * 2 + 2 + 24 + 3 * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : w.get("conv/kernel")) {
            b.putFloat(v);
        }
        for (short h : CONV_BIAS_HALF) {
            b.putShort(h);
        }
        for (short h : GAMMA_HALF) {
            b.putShort(h);
        }
        for (float v : w.get("bn/beta")) {
            b.putFloat(v);
        }
        for (int q : MEAN_Q) {
            b.putShort((short) q);
        }
        for (int q : VARIANCE_Q) {
            b.put((byte) q);
        }
        for (int i = 0; i < 24; i++) {
            b.put((byte) denseKernelQ(i));
        }
        for (int q : DENSE_BIAS_Q) {
            b.putShort((short) q);
        }
        return b.array();
    }

    /**
     * The model.json text.
     *
     * @param shardPath  the manifest path of the shard
     * @param gammaDtype the dtype of bn/gamma ({@code float16} normally; tests put others)
     * @param reluClass  the class of the relu layer ({@code ReLU} normally)
     * @param sequential whether to write a Sequential topology instead of a functional one
     */
    static String modelJson(String shardPath, String gammaDtype, String reluClass, boolean sequential) {
        String topology;
        if (sequential) {
            String layers = LAYERS.formatted("\"batch_input_shape\":[null,3,3,2],\"dtype\":\"float32\",", reluClass)
                    .replaceAll(",\\s*\"inbound_nodes\":\\[\\[\\[\"\\w+\",0,0,\\{}]]]", "");
            topology = "{\"keras_version\":\"2.2.4\",\"backend\":\"tensorflow\",\"model_config\":{\"class_name\":\"Sequential\","
                    + "\"config\":{\"name\":\"seq\",\"layers\":[" + layers + "]}}}";
        } else {
            topology = "{\"keras_version\":\"2.2.4\",\"backend\":\"tensorflow\",\"model_config\":{\"class_name\":\"Model\","
                    + "\"config\":{\"name\":\"tiny\",\"layers\":[" + INPUT + LAYERS.formatted("", reluClass) + "],"
                    + "\"input_layers\":[[\"input_1\",0,0]],\"output_layers\":[[\"dense\",0,0]]}}}";
        }
        return "{\"format\":\"layers-model\",\"generatedBy\":\"keras v2.2.4\",\"convertedBy\":\"TransferKit test\","
                + "\"modelTopology\":" + topology + ",\"weightsManifest\":"
                + MANIFEST.formatted(shardPath, gammaDtype, DENSE_KERNEL_SCALE, DENSE_BIAS_SCALE) + "}";
    }

    /** Writes {@code model.json} and {@code weights.bin} into a directory and returns the json file. */
    static Path writeFiles(Path dir) throws IOException {
        Files.createDirectories(dir);
        Files.write(dir.resolve("weights.bin"), shard());
        return Files.writeString(dir.resolve("model.json"), modelJson("weights.bin", "float16", "ReLU", false));
    }

    /**
     * Writes the same model as an nsfwjs-style bundle: {@code model.min.js} exporting a minified object literal and
     * {@code group1-shard1of1.min.js} exporting the base64 shard, both wrapped in module boilerplate.
     */
    static Path writeBundle(Path dir) throws IOException {
        Files.createDirectories(dir);
        String json = modelJson("group1-shard1of1", "float16", "ReLU", false);
        String literal = json.replaceAll("\"(\\w+)\":", "$1:").replace("true", "!0").replace("false", "!1")
                .replaceAll(":0\\.", ":.").replace("\"", "'");
        String wrapper = "!function(e){if(\"object\"==typeof exports&&\"undefined\"!=typeof module)module.exports=e()}"
                + "(function(){return{1:[function(e,a,n){a.exports=%s},{}]}});";
        Files.writeString(dir.resolve("model.min.js"), wrapper.formatted(literal), StandardCharsets.UTF_8);
        Files.writeString(dir.resolve("group1-shard1of1.min.js"),
                wrapper.formatted("\"" + Base64.getEncoder().encodeToString(shard()) + "\""), StandardCharsets.UTF_8);
        return dir;
    }

    /** @return a deterministic input, NHWC flattened, values in [-1, 2) */
    static float[] input(int image) {
        float[] x = new float[H * W * C];
        for (int i = 0; i < x.length; i++) {
            x[i] = ((i * 7 + image * 5) % 12) / 4f - 1f;
        }
        return x;
    }

    /** The Keras forward pass, written out by hand. */
    static double[] forward(float[] x) {
        Map<String, float[]> w = expectedWeights();
        float[] k = w.get("conv/kernel");
        double[] flat = new double[2 * 2 * F];
        for (int i = 0; i < 2; i++) {
            for (int j = 0; j < 2; j++) {
                for (int f = 0; f < F; f++) {
                    double v = w.get("conv/bias")[f];
                    for (int di = 0; di < 2; di++) {
                        for (int dj = 0; dj < 2; dj++) {
                            for (int c = 0; c < C; c++) {
                                v += x[((i + di) * W + (j + dj)) * C + c] * k[((di * 2 + dj) * C + c) * F + f];
                            }
                        }
                    }
                    double bn = w.get("bn/gamma")[f] * (v - w.get("bn/moving_mean")[f])
                            / Math.sqrt(w.get("bn/moving_variance")[f] + EPSILON) + w.get("bn/beta")[f];
                    flat[(i * 2 + j) * F + f] = Math.min(Math.max(bn, 0), 6);
                }
            }
        }
        double[] out = new double[UNITS];
        for (int u = 0; u < UNITS; u++) {
            out[u] = w.get("dense/bias")[u];
            for (int n = 0; n < flat.length; n++) {
                out[u] += flat[n] * w.get("dense/kernel")[n * UNITS + u];
            }
        }
        return out;
    }
}
