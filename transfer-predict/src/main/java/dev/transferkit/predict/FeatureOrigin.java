package dev.transferkit.predict;

import dev.transferkit.extract.FeatureTarget;
import dev.transferkit.image.InputSpec;
import dev.transferkit.image.Preprocessing;
import dev.transferkit.model.BaseModel;

import java.util.Objects;

/**
 * What feature vectors were computed with: the base network's name, the layer and pooling, and the input size and
 * preprocessing of the images. Input size and preprocessing change the features as much as the layer does, so
 * features of one origin are only comparable with features of an equal origin.
 *
 * @param model         the base network's name
 * @param target        the layer and pooling
 * @param inputSpec     the network input the images were resized to
 * @param preprocessing the preprocessing applied to them
 */
public record FeatureOrigin(String model, FeatureTarget target, InputSpec inputSpec, Preprocessing preprocessing) {
    /** Checks that every part is given. */
    public FeatureOrigin {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(target, "target");
        Objects.requireNonNull(inputSpec, "inputSpec");
        Objects.requireNonNull(preprocessing, "preprocessing");
    }

    /**
     * The origin of features a base network computes at a target.
     *
     * @param base   the base network
     * @param target the layer and pooling
     * @return the origin
     */
    public static FeatureOrigin of(BaseModel base, FeatureTarget target) {
        return new FeatureOrigin(base.name(), target, base.inputSpec(), base.preprocessing());
    }

    /** @return e.g. {@code mobilenet/conv_pw_13_relu/AVG (input 224x224x3 NHWC, preprocessing TF)} */
    @Override
    public String toString() {
        return model + "/" + target + " (input " + inputSpec.height() + "x" + inputSpec.width() + "x"
                + inputSpec.channels() + " " + inputSpec.format() + ", preprocessing " + preprocessing.name() + ")";
    }
}
