package dev.transferkit.core;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class ChecksTest {
    @Test
    void returnsAcceptedValues() {
        assertEquals(1, Checks.atLeast("The batch size", 1, 1));
        assertEquals(5L, Checks.atLeast("The pixel limit", 5L, 1L));
        assertEquals(0.5, Checks.positive("The tolerance", 0.5));
        assertEquals(2.0, Checks.finitePositive("C", 2.0));
        assertEquals(0.0, Checks.zeroOrPositive("The L2 penalty", 0.0));
        assertEquals(0.0, Checks.inRange("Dropout", 0.0, 0, 1));
    }

    @Test
    void messagesNameTheValue() {
        assertEquals("The batch size must be at least 1, but was 0.",
                assertThrows(IllegalArgumentException.class, () -> Checks.atLeast("The batch size", 0, 1)).getMessage());
        assertEquals("The pixel limit must be at least 1, but was -3.",
                assertThrows(IllegalArgumentException.class, () -> Checks.atLeast("The pixel limit", -3L, 1L)).getMessage());
        assertEquals("The tolerance must be positive, but was NaN.",
                assertThrows(IllegalArgumentException.class, () -> Checks.positive("The tolerance", Double.NaN)).getMessage());
        assertEquals("C must be positive and finite, but was Infinity.",
                assertThrows(IllegalArgumentException.class,
                        () -> Checks.finitePositive("C", Double.POSITIVE_INFINITY)).getMessage());
        assertEquals("The L2 penalty must be zero or positive, but was -0.1.",
                assertThrows(IllegalArgumentException.class, () -> Checks.zeroOrPositive("The L2 penalty", -0.1)).getMessage());
        assertEquals("Dropout must be in [0.0, 1.0), but was 1.0.",
                assertThrows(IllegalArgumentException.class, () -> Checks.inRange("Dropout", 1.0, 0, 1)).getMessage());
    }
}
