package dev.transferkit.finetune;

import dev.transferkit.core.TransferKitException;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The layers of a base network (up to the cut layer) grouped into blocks by name, bottom to top.
 *
 * <p>A layer whose name matches the block pattern's first capturing group at its start belongs to the block named
 * by that group: with the default {@value FineTuner#DEFAULT_BLOCK_PATTERN}, {@code block_13_expand_relu} belongs to
 * {@code block_13} (Keras MobileNetV2), {@code conv4_block3_1_conv} to {@code conv4_block3} (Keras ResNet, DenseNet),
 * {@code block5_conv1} to {@code block5} (Keras VGG) and {@code block6a_expand_conv} to {@code block6a}
 * (EfficientNet). A layer whose name does not match joins the block below it, so MobileNetV2's {@code Conv_1},
 * {@code Conv_1_bn} and {@code out_relu} belong to {@code block_16}; layers before the first match form the block
 * {@value #STEM}. Blocks are maximal runs in topological order, so a name that recurs later starts a new block.
 */
final class LayerBlocks {
    /** The name of the block of layers before the first layer that matches the pattern. */
    static final String STEM = "stem";

    private final List<String> names = new ArrayList<>();
    private final List<List<String>> blocks = new ArrayList<>();

    /**
     * @param layers  the base's layers (vertices holding a layer) up to the cut, in topological order
     * @param pattern the block pattern; its first group names the block
     */
    LayerBlocks(Iterable<String> layers, Pattern pattern) {
        for (String layer : layers) {
            Matcher m = pattern.matcher(layer);
            String key = m.lookingAt() && m.groupCount() >= 1 && m.group(1) != null ? m.group(1) : null;
            if (blocks.isEmpty() || (key != null && !key.equals(names.get(names.size() - 1)))) {
                names.add(key == null ? STEM : key);
                blocks.add(new ArrayList<>());
            }
            blocks.get(blocks.size() - 1).add(layer);
        }
    }

    /** @return the number of blocks */
    int size() {
        return blocks.size();
    }

    /** @return the block names, bottom to top */
    List<String> names() {
        return List.copyOf(names);
    }

    /**
     * @param n how many blocks, counted from the top, are to be trainable; 1 to {@link #size()}
     * @param model the model's name, for messages
     * @return the first (lowest) layer of those blocks
     * @throws TransferKitException when there are fewer than {@code n} blocks
     */
    String firstLayerOfTop(int n, String model) {
        if (n < 1 || n > blocks.size()) {
            throw new TransferKitException("Cannot make the last " + n + " blocks of '" + model + "' trainable: up to the cut layer it has "
                    + blocks.size() + " blocks " + names + "; choose 1 to " + blocks.size()
                    + " or set a block pattern that fits its layer names (optBlockPattern).");
        }
        return blocks.get(blocks.size() - n).get(0);
    }

    /**
     * @param layer a layer of the base
     * @return 0 for the top block, 1 for the one below it, and so on; -1 when the layer is in no block
     */
    int depth(String layer) {
        for (int i = blocks.size() - 1; i >= 0; i--) {
            if (blocks.get(i).contains(layer)) {
                return blocks.size() - 1 - i;
            }
        }
        return -1;
    }

    @Override
    public String toString() {
        return "LayerBlocks" + names;
    }
}
