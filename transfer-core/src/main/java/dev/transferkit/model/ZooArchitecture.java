package dev.transferkit.model;

import dev.transferkit.image.DataFormat;
import dev.transferkit.image.InputSpec;
import dev.transferkit.image.Preprocessing;
import dev.transferkit.io.Checksum;
import org.deeplearning4j.common.resources.DL4JResources;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.weights.WeightInit;
import org.deeplearning4j.zoo.PretrainedType;
import org.deeplearning4j.zoo.ZooModel;
import org.deeplearning4j.zoo.model.NASNet;
import org.deeplearning4j.zoo.model.ResNet50;
import org.deeplearning4j.zoo.model.SqueezeNet;
import org.deeplearning4j.zoo.model.Xception;

import java.net.URI;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The networks of the DL4J model zoo (deeplearning4j-zoo 1.0.0-M2.1) that have ImageNet weights, with what is
 * needed to use those weights for transfer learning: input size (all NCHW), preprocessing, feature layers and the
 * 1000 ImageNet labels. Load one with {@link ZooSource}.
 *
 * <p><b>Preprocessing.</b> The weights were converted from Keras, so each network expects Keras' preprocessing for it:
 * {@link Preprocessing#CAFFE} (BGR, ImageNet means subtracted, 0..255) for VGG, ResNet50 and SqueezeNet;
 * {@link Preprocessing#TF} (RGB scaled to [-1, 1]) for Xception and NASNet. (DL4J's own
 * {@code VGG16ImagePreProcessor} subtracts the means in R, G, B order from BGR pixels, which is slightly off.)
 *
 * <p><b>Feature layers.</b> The pretrained files carry their own configuration, and for most networks its vertex
 * names are the Keras ones ({@code fc2}, {@code block5_pool}, {@code avg_pool}), not those of the zoo's random-init
 * configuration ({@code 19}, {@code 17}, {@code avgpool}). Each feature layer is therefore declared with its
 * alternative names, pretrained-file name first, and {@link #resolveFeatureLayers(ComputationGraph)} picks the name
 * the loaded graph actually has. {@link #featureLayers()} lists the pretrained-file names.
 *
 * <p>The zoo has no MobileNet or InceptionV3: {@link #NASNET} (NASNet-A mobile) is the small network and
 * {@link #XCEPTION} the Inception-style one.
 */
public enum ZooArchitecture implements ZooEntry {
    /** VGG16, 224x224, 138M parameters; features {@code fc2} (4096), {@code fc1} (4096), {@code block5_pool} (512x7x7). */
    VGG16(() -> org.deeplearning4j.zoo.model.VGG16.builder().numClasses(1000).build(), Preprocessing.CAFFE,
            List.of(List.of("fc2", "19"), List.of("fc1", "18"), List.of("block5_pool", "17")), g -> { }),
    /**
     * VGG19, 224x224, 144M parameters; features {@code fc2}, {@code fc1} (4096), {@code block5_pool} (512x7x7).
     * The zoo's random-init VGG19 has a single 4096 dense layer ({@code "21"}), so there only {@code fc1} and
     * {@code block5_pool} resolve.
     */
    VGG19(() -> org.deeplearning4j.zoo.model.VGG19.builder().numClasses(1000).build(), Preprocessing.CAFFE,
            List.of(List.of("fc2"), List.of("fc1", "21"), List.of("block5_pool", "20")), g -> { }),
    /**
     * ResNet50, 224x224, 25.6M parameters; features {@code avg_pool} (2048, globally pooled) and the output of the last
     * residual block ({@code activation_49} in Keras' automatic naming, {@code res5c_branch} in the zoo configuration).
     * Random-init networks use {@code WeightInit.RELU}: the zoo default produces NaN activations.
     */
    RESNET50(() -> ResNet50.builder().numClasses(1000).weightInit(WeightInit.RELU.getWeightInitFunction()).build(),
            Preprocessing.CAFFE, List.of(List.of("avg_pool", "avgpool"), List.of("activation_49", "res5c_branch")), g -> { }),
    /** Xception, 299x299, 22.9M parameters; features {@code avg_pool} (2048) and {@code block14_sepconv2_act} (2048x10x10). */
    XCEPTION(() -> Xception.builder().numClasses(1000).build(), Preprocessing.TF,
            List.of(List.of("avg_pool"), List.of("block14_sepconv2_act")), g -> { }),
    /**
     * SqueezeNet 1.1, 227x227, 1.2M parameters; features {@code drop9} (512x13x13, the last fire module) and
     * {@code global_average_pooling2d_5} (1000, the pooled class scores). Like the zoo's {@code initPretrained}, loading
     * sets that pooling layer to collapse its dimensions.
     */
    SQUEEZENET(() -> SqueezeNet.builder().numClasses(1000).build(), Preprocessing.CAFFE,
            List.of(List.of("drop9"), List.of("global_average_pooling2d_5", "avg_pool")), ZooArchitecture::collapseSqueezeNetPooling),
    /**
     * NASNet-A mobile, 224x224, 5.3M parameters; features {@code avg_pool} (1056) and {@code act} (1056x7x7). In
     * deeplearning4j-zoo 1.0.0-M2.1 the random-init configuration cannot be built (NASNetHelper asks for activation
     * types before the graph has inputs); the pretrained file carries its own configuration and is not affected.
     */
    NASNET(() -> NASNet.builder().numClasses(1000).build(), Preprocessing.TF,
            List.of(List.of("avg_pool"), List.of("act")), g -> { });

    private static final String SQUEEZENET_POOLING = "global_average_pooling2d_5";

    private final Supplier<ZooModel<?>> factory;
    private final Preprocessing preprocessing;
    private final List<List<String>> featureLayerNames;
    private final Consumer<ComputationGraph> fix;

    ZooArchitecture(Supplier<ZooModel<?>> factory, Preprocessing preprocessing, List<List<String>> featureLayerNames,
                    Consumer<ComputationGraph> fix) {
        this.factory = factory;
        this.preprocessing = preprocessing;
        this.featureLayerNames = featureLayerNames;
        this.fix = fix;
    }

    /**
     * Creates the zoo model object: 1000 classes, and for ResNet50 a weight initialisation that keeps random-init
     * activations finite. Its {@code init()} builds a randomly initialised network.
     *
     * @return a new zoo model
     */
    public ZooModel<?> zooModel() {
        return factory.get();
    }

    /** @return the zoo's name of the model, e.g. {@code "vgg16"} */
    @Override
    public String modelName() {
        return zooModel().modelName();
    }

    /** @return the pretrained ImageNet file relative to the zoo's base URL, e.g. {@code models/vgg16_dl4j_inference.zip} */
    @Override
    public String remotePath() {
        String url = zooModel().pretrainedUrl(PretrainedType.IMAGENET);
        String base = DL4JResources.getBaseDownloadURL();
        if (url.startsWith(base)) {
            return url.substring(base.length()).replaceFirst("^/+", "");
        }
        return URI.create(url).getPath().replaceFirst("^/+", "");
    }

    /** @return the Adler-32 checksum the zoo publishes for the pretrained file */
    @Override
    public Checksum checksum() {
        return Checksum.adler32(zooModel().pretrainedChecksum(PretrainedType.IMAGENET));
    }

    /** @return the input size from the zoo's metadata, in NCHW layout */
    @Override
    @SuppressWarnings("deprecation") // metaData() is deprecated in M2.1 but is the only public source of the input shape
    public InputSpec inputSpec() {
        int[] chw = zooModel().metaData().getInputShape()[0];
        return new InputSpec(chw[1], chw[2], chw[0], DataFormat.NCHW);
    }

    /** @return the preprocessing the ImageNet weights expect */
    @Override
    public Preprocessing preprocessing() {
        return preprocessing;
    }

    /** @return the 1000 ImageNet class names, see {@link ImageNetClasses} */
    @Override
    public List<String> labels() {
        return ImageNetClasses.labels();
    }

    /** @return the feature layers as the pretrained file names them, recommended default first */
    public List<String> featureLayers() {
        return featureLayerNames.stream().map(names -> names.get(0)).toList();
    }

    /**
     * Names the feature layers as {@code graph} calls them: for each declared feature layer, the first of its
     * alternative names that is a vertex of the graph. Feature layers with no matching vertex are left out.
     *
     * @param graph a network of this architecture, pretrained or randomly initialised
     * @return the feature layers found, recommended default first
     */
    @Override
    public List<String> resolveFeatureLayers(ComputationGraph graph) {
        return resolveFeatureLayers(graph.getConfiguration().getVertices().keySet());
    }

    /**
     * Names the feature layers given a network's vertex names; see {@link #resolveFeatureLayers(ComputationGraph)}.
     *
     * @param vertices the vertex names of a network
     * @return the feature layers found, recommended default first
     */
    List<String> resolveFeatureLayers(Collection<String> vertices) {
        List<String> resolved = new ArrayList<>();
        for (List<String> names : featureLayerNames) {
            names.stream().filter(vertices::contains).findFirst().ifPresent(resolved::add);
        }
        return List.copyOf(resolved);
    }

    /**
     * Applies the fixes the zoo's {@code initPretrained} applies (SqueezeNet: its global pooling collapses dimensions).
     *
     * @param graph the restored pretrained network
     */
    @Override
    public void prepare(ComputationGraph graph) {
        fix.accept(graph);
    }

    private static void collapseSqueezeNetPooling(ComputationGraph graph) {
        if (!graph.getConfiguration().getVertices().containsKey(SQUEEZENET_POOLING)) {
            return;
        }
        Layer layer = graph.getLayer(SQUEEZENET_POOLING);
        if (layer != null && layer.conf().getLayer() instanceof GlobalPoolingLayer pooling) {
            pooling.setCollapseDimensions(true);
        }
    }

    @Override
    public String toString() {
        return name() + "(input=" + inputSpec() + ", preprocessing=" + preprocessing.name() + ", featureLayers="
                + featureLayers() + ", file=" + remotePath() + ", checksum=" + checksum() + ")";
    }
}
