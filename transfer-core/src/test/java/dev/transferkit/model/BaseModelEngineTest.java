package dev.transferkit.model;

import dev.transferkit.core.TransferKitException;
import dev.transferkit.engine.EngineOptions;
import dev.transferkit.engine.InferenceEngine;
import dev.transferkit.image.DataFormat;
import dev.transferkit.image.InputSpec;
import dev.transferkit.image.Preprocessing;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** BaseModel runs its forward pass through the inference engine, with the same results as DL4J, and can opt out. */
class BaseModelEngineTest {
    private static BaseModel model(boolean useEngine) {
        return BaseModel.builder().setName("tiny").setGraph(TinyNetworks.convNet(3, 99))
                .setInputSpec(new InputSpec(16, 16, 3, DataFormat.NCHW)).setPreprocessing(Preprocessing.TF)
                .optFeatureLayers(List.of("conv2")).optUseEngine(useEngine).build();
    }

    @Test
    void outputUsesTheEngineAndEqualsDl4j() {
        BaseModel m = model(true);
        INDArray x = Nd4j.rand(3, 3, 16, 16);
        Optional<InferenceEngine> engine = m.engine("out");
        assertTrue(engine.isPresent());
        assertSame(engine.get(), m.engine("out").get(), "compiled once per vertex");
        assertArrayEquals(m.graph().outputSingle(false, x).ravel().toFloatVector(), m.output(x).ravel().toFloatVector(), 1e-5f);
        assertTrue(m.engine("conv2").get().report().fullyExported());
    }

    @Test
    void optingOutPerModelOrBySystemPropertyRunsDl4j() {
        assertFalse(model(false).engine("out").isPresent());
        assertTrue(model(false).toString().contains("engine=off"), model(false).toString());
        String old = System.getProperty(EngineOptions.ENABLED_PROPERTY);
        System.setProperty(EngineOptions.ENABLED_PROPERTY, "false");
        try {
            BaseModel m = model(true);
            assertFalse(m.engine("out").isPresent());
            INDArray x = Nd4j.rand(2, 3, 16, 16);
            assertArrayEquals(m.graph().outputSingle(false, x).ravel().toFloatVector(), m.output(x).ravel().toFloatVector(), 0f);
        } finally {
            if (old == null) {
                System.clearProperty(EngineOptions.ENABLED_PROPERTY);
            } else {
                System.setProperty(EngineOptions.ENABLED_PROPERTY, old);
            }
        }
    }

    @Test
    void anUnknownVertexIsRejectedNamingTheLayers() {
        TransferKitException e = assertThrows(TransferKitException.class, () -> model(true).engine("conv7"));
        assertTrue(e.getMessage().contains("'conv7'") && e.getMessage().contains("conv2"), e.getMessage());
    }
}
