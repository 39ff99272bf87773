package dev.transferkit.image;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What {@link DatasetBuilder#create()} did.
 *
 * @param counts         images per split and class (split -> class -> count, both sorted), including those that
 *                       were already in place
 * @param written        files copied or linked by this run
 * @param alreadyPresent files that were already in the target with identical content and were left alone
 * @param unlabeled      source images left out because no label could be determined, with the reason
 * @param folder         the resulting dataset, scanned after writing
 */
public record DatasetSummary(Map<String, Map<String, Integer>> counts, int written, int alreadyPresent,
                             List<ImageFailure> unlabeled, ImageFolder folder) {
    /** Makes the collections immutable. */
    public DatasetSummary {
        counts = Map.copyOf(counts);
        unlabeled = List.copyOf(unlabeled);
    }

    @Override
    public String toString() {
        return "DatasetSummary(" + folder.root() + ": " + new TreeMap<>(counts) + ", written " + written
                + ", already present " + alreadyPresent + ", unlabeled " + unlabeled.size() + ")";
    }
}
