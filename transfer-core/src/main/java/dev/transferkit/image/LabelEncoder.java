package dev.transferkit.image;

import dev.transferkit.core.TransferKitException;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The ordered class names of a classifier: class {@code i} is output {@code i} of the network. Immutable;
 * saved with a model as the plain list of names ({@link #toList()} / {@link #fromList(List)}).
 */
public final class LabelEncoder {
    private final List<String> labels;
    private final Map<String, Integer> indices;

    private LabelEncoder(List<String> labels) {
        this.labels = List.copyOf(labels);
        this.indices = new HashMap<>();
        for (int i = 0; i < this.labels.size(); i++) {
            String label = this.labels.get(i);
            if (label.isBlank()) {
                throw new IllegalArgumentException("Class names must not be blank, but name " + i + " of "
                        + this.labels + " is.");
            }
            Integer previous = indices.put(label, i);
            if (previous != null) {
                throw new IllegalArgumentException("Class names must be unique, but '" + label + "' appears at positions "
                        + previous + " and " + i + " of " + this.labels + ".");
            }
        }
    }

    /**
     * Creates an encoder from class names in output order.
     *
     * @param labels one or more unique, non-blank class names
     * @return the encoder
     * @throws IllegalArgumentException when the list is empty or has blank or duplicate names
     * @throws NullPointerException     when the list or a name is null
     */
    public static LabelEncoder fromList(List<String> labels) {
        Objects.requireNonNull(labels, "labels");
        if (labels.isEmpty()) {
            throw new IllegalArgumentException("A label encoder needs at least one class name, but the list is empty.");
        }
        return new LabelEncoder(labels);
    }

    /**
     * Creates an encoder from class names in output order.
     *
     * @param labels one or more unique, non-blank class names
     * @return the encoder
     */
    public static LabelEncoder of(String... labels) {
        return fromList(List.of(labels));
    }

    /**
     * Returns the output index of a class.
     *
     * @param label a class name
     * @return its index, 0-based
     * @throws TransferKitException when the class is unknown
     */
    public int index(String label) {
        Integer i = indices.get(label);
        if (i == null) {
            throw new TransferKitException("The label '" + label + "' is not one of the " + labels.size()
                    + " known classes " + labels + ".");
        }
        return i;
    }

    /**
     * Tells whether a class is known.
     *
     * @param label a class name
     * @return true when {@link #index(String)} would succeed
     */
    public boolean contains(String label) {
        return indices.containsKey(label);
    }

    /**
     * Returns the class name of an output index.
     *
     * @param index 0-based output index
     * @return the class name
     * @throws IndexOutOfBoundsException when the index is outside {@code [0, size())}
     */
    public String label(int index) {
        if (index < 0 || index >= labels.size()) {
            throw new IndexOutOfBoundsException("Class index " + index + " is outside 0.." + (labels.size() - 1)
                    + " of " + labels + ".");
        }
        return labels.get(index);
    }

    /** @return the number of classes */
    public int size() {
        return labels.size();
    }

    /** @return the class names in output order (immutable) */
    public List<String> toList() {
        return labels;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LabelEncoder e && labels.equals(e.labels);
    }

    @Override
    public int hashCode() {
        return labels.hashCode();
    }

    @Override
    public String toString() {
        return "LabelEncoder" + labels;
    }
}
