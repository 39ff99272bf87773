package dev.transferkit.head;

import org.deeplearning4j.datasets.iterator.utilty.ListDataSetIterator;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.iterator.DataSetIterator;
import org.nd4j.linalg.factory.Nd4j;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MlpHeadTest {
    private static final List<String> LABELS = List.of("a", "b", "c");

    private static DataSetIterator iterator(LinearHeadTest.Blobs b, int batch) {
        List<DataSet> rows = new ArrayList<>();
        for (int i = 0; i < b.y.length; i++) {
            float[] oneHot = new float[LABELS.size()];
            oneHot[b.y[i]] = 1f;
            rows.add(new DataSet(Nd4j.create(b.x[i], 1, b.x[i].length), Nd4j.create(oneHot, 1, oneHot.length)));
        }
        return new ListDataSetIterator<>(rows, batch);
    }

    @Test
    void learnsFromBatchesAndKeepsTheBestEpoch() {
        LinearHeadTest.Blobs train = new LinearHeadTest.Blobs(300, 12, 3, 1.3, 21, null);
        LinearHeadTest.Blobs val = new LinearHeadTest.Blobs(150, 12, 3, 1.3, 22, null);
        List<EpochResult> seen = new ArrayList<>();
        MlpHead head = MlpHeadTrainer.builder().optHiddenLayers(32, 8).optDropout(0.1).optLearningRate(1e-2)
                .optEpochs(40, 2).optListener(seen::add).build()
                .fit(iterator(train, 32), iterator(val, 50), LABELS, 12, null);
        assertEquals(seen, head.history());
        assertTrue(head.history().size() < 40, "early stopping should end training before 40 epochs: " + head.history().size());
        EpochResult bestEpoch = head.history().stream().min(Comparator.comparingDouble(EpochResult::validationLoss)).orElseThrow();
        int correct = 0;
        for (int i = 0; i < val.y.length; i++) {
            correct += head.predict(val.x[i]) == val.y[i] ? 1 : 0;
        }
        assertEquals(bestEpoch.validationAccuracy(), (double) correct / val.y.length, 1e-9,
                "the returned weights are those of the best validation epoch " + bestEpoch.epoch());
        assertTrue(bestEpoch.validationAccuracy() > 0.8, "accuracy " + bestEpoch.validationAccuracy());
        double[] p = head.scores(val.x[0]);
        assertEquals(1.0, p[0] + p[1] + p[2], 1e-5);
    }

    @Test
    void savedBytesRestoreIdenticalScores() {
        LinearHeadTest.Blobs train = new LinearHeadTest.Blobs(90, 6, 3, 1.0, 23, null);
        MlpHead head = MlpHeadTrainer.builder().optHiddenLayers(8).optEpochs(2, 1).build()
                .fit(iterator(train, 30), null, LABELS, 6, null);
        assertEquals(2, head.history().size());
        MlpHead back = MlpHead.fromBytes(head.toBytes(), LABELS, 6);
        for (float[] row : train.x) {
            assertArrayEquals(head.scores(row), back.scores(row), 0.0);
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MlpHead.fromBytes(head.toBytes(), LABELS, 7));
        assertTrue(e.getMessage().contains("maps 6 features to 3 classes, but 7 features and 3 classes were expected"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> MlpHead.fromBytes(new byte[]{1, 2, 3}, LABELS, 6));
    }

    @Test
    void mismatchedBatchesAndBadSettingsAreRejected() {
        LinearHeadTest.Blobs train = new LinearHeadTest.Blobs(30, 6, 3, 1.0, 24, null);
        MlpHeadTrainer t = MlpHeadTrainer.builder().optEpochs(1, 1).build();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> t.fit(iterator(train, 10), null, LABELS, 5, null));
        assertTrue(e.getMessage().contains("has 6 features and 3 label columns, but the head was set up for 5 features"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> MlpHeadTrainer.builder().optDropout(1.0));
        assertThrows(IllegalArgumentException.class, () -> MlpHeadTrainer.builder().optHiddenLayers(0));
        assertThrows(IllegalArgumentException.class, () -> MlpHeadTrainer.builder().optEpochs(0, 1));
        assertThrows(IllegalArgumentException.class, () -> t.fit(iterator(train, 10), null, List.of("one"), 6, null));
    }
}
