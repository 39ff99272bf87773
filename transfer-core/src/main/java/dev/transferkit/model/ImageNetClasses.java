package dev.transferkit.model;

import dev.transferkit.core.TransferKitIOException;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The 1000 ImageNet (ILSVRC-2012) class names in the standard output order of ImageNet classifiers (Keras'
 * {@code imagenet_class_index.json} order: 0 = tench, 1 = goldfish, ..., 999 = toilet tissue).
 *
 * <p>The names come from the npm package {@code @tensorflow-models/mobilenet} 2.1.1 ({@code dist/imagenet_classes.js},
 * Copyright 2019 Google LLC, Apache License 2.0); the resource {@value #RESOURCE} holds them one per line, with no
 * header, and {@code imagenet_classes.NOTICE} next to it records the origin and licence.
 */
public final class ImageNetClasses {
    /** The class-path resource holding one class name per line. */
    public static final String RESOURCE = "/dev/transferkit/model/imagenet_classes.txt";
    /** The number of ImageNet classes. */
    public static final int COUNT = 1000;

    private ImageNetClasses() {
    }

    /**
     * Returns the class names.
     *
     * @return an immutable list of 1000 names, index = network output index
     * @throws IllegalStateException when the resource is missing or does not hold exactly 1000 names
     */
    public static List<String> labels() {
        return Holder.LABELS;
    }

    private static final class Holder {
        static final List<String> LABELS = read();

        private static List<String> read() {
            try (InputStream in = ImageNetClasses.class.getResourceAsStream(RESOURCE)) {
                if (in == null) {
                    throw new IllegalStateException("The class-path resource " + RESOURCE + " is missing from this build of TransferKit.");
                }
                List<String> labels = new ArrayList<>(COUNT);
                try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                    for (String line = r.readLine(); line != null; line = r.readLine()) {
                        labels.add(line.strip());
                    }
                }
                if (labels.size() != COUNT || labels.stream().anyMatch(String::isEmpty)) {
                    throw new IllegalStateException("The class-path resource " + RESOURCE + " must hold " + COUNT
                            + " non-empty lines but holds " + labels.size() + " lines.");
                }
                return List.copyOf(labels);
            } catch (IOException e) {
                throw new TransferKitIOException("Could not read the class-path resource " + RESOURCE + ".", e);
            }
        }
    }
}
