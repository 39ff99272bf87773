package dev.transferkit.examples;

import dev.transferkit.examples.data.DarknetPhotos;
import dev.transferkit.model.BaseModel;
import dev.transferkit.model.NsfwjsSource;
import dev.transferkit.model.Prediction;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Classifies photos with a pretrained network's own head and prints the top-k labels.
 *
 * <p>Usage: {@code ClassifyExample [image ...]}. Without arguments it classifies the public-domain test photos of
 * Debian's {@code darknet} package (obtained with apt-get download). The network is the embedded default:
 * the pretrained MobileNetV2 shipped in the npm package nsfwjs@4.4.0, whose head knows five classes.
 */
public final class ClassifyExample {
    private ClassifyExample() {
    }

    /**
     * Runs the example.
     *
     * @param args image files; none for the darknet test photos
     */
    public static void main(String[] args) {
        List<Path> images = new ArrayList<>();
        for (String a : args) {
            images.add(Path.of(a));
        }
        if (images.isEmpty()) {
            images.addAll(DarknetPhotos.defaults().photos());
        }
        BaseModel model = NsfwjsSource.mobileNetV2().load();
        System.out.println(model);
        for (Path image : images) {
            List<Prediction> top = model.classify(image, 3);
            System.out.printf("%-14s %s%n", image.getFileName(), top);
        }
    }
}
