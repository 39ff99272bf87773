package dev.transferkit.finetune;

import dev.transferkit.core.TransferKitException;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LayerBlocksTest {
    private static final Pattern DEFAULT = Pattern.compile(FineTuner.DEFAULT_BLOCK_PATTERN);

    @Test
    void mobileNetV2NamesGroupIntoNumberedBlocksWithTheTopLayersInTheLastBlock() {
        LayerBlocks b = new LayerBlocks(List.of("Conv1", "bn_Conv1", "Conv1_relu", "expanded_conv_depthwise",
                "block_1_expand", "block_1_expand_BN", "block_2_expand", "block_2_project_BN", "block_2_add",
                "block_16_project", "block_16_project_BN", "Conv_1", "Conv_1_bn", "out_relu"), DEFAULT);
        assertEquals(List.of(LayerBlocks.STEM, "block_1", "block_2", "block_16"), b.names());
        assertEquals("block_16_project", b.firstLayerOfTop(1, "m"));
        assertEquals("block_2_expand", b.firstLayerOfTop(2, "m"));
        assertEquals("Conv1", b.firstLayerOfTop(4, "m"));
        assertEquals(0, b.depth("out_relu"));
        assertEquals(0, b.depth("Conv_1_bn"));
        assertEquals(1, b.depth("block_2_add"));
        assertEquals(3, b.depth("bn_Conv1"));
        assertEquals(-1, b.depth("nope"));
    }

    @Test
    void kerasResNetVggAndEfficientNetNames() {
        assertEquals(List.of(LayerBlocks.STEM, "conv4_block2", "conv4_block3"), new LayerBlocks(List.of("conv1_conv",
                "conv4_block2_1_conv", "conv4_block2_out", "conv4_block3_1_conv", "conv4_block3_out"), DEFAULT).names());
        assertEquals(List.of("block4", "block5"), new LayerBlocks(List.of("block4_conv3", "block4_pool", "block5_conv1",
                "block5_pool"), DEFAULT).names());
        assertEquals(List.of("block6a", "block6b"), new LayerBlocks(List.of("block6a_expand_conv", "block6a_bn",
                "block6b_expand_conv"), DEFAULT).names());
    }

    @Test
    void tooManyBlocksIsRefusedWithTheBlockNames() {
        LayerBlocks b = new LayerBlocks(List.of("c1", "bn1", "c2", "bn2"), Pattern.compile("[a-z]+(\\d)"));
        assertEquals(List.of("1", "2"), b.names());
        TransferKitException e = assertThrows(TransferKitException.class, () -> b.firstLayerOfTop(3, "tiny-bn"));
        assertTrue(e.getMessage().contains("'tiny-bn'") && e.getMessage().contains("2 blocks [1, 2]"), e.getMessage());
        assertThrows(TransferKitException.class, () -> b.firstLayerOfTop(0, "tiny-bn"));
    }
}
