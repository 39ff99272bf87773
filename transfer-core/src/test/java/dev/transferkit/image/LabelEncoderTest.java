package dev.transferkit.image;

import dev.transferkit.core.TransferKitException;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LabelEncoderTest {
    @Test
    void mapsLabelsToIndicesInListOrder() {
        LabelEncoder e = LabelEncoder.fromList(List.of("non_food", "food", "drink"));
        assertEquals(3, e.size());
        assertEquals(0, e.index("non_food"));
        assertEquals(1, e.index("food"));
        assertEquals(2, e.index("drink"));
        assertEquals("food", e.label(1));
        assertTrue(e.contains("drink"));
        assertFalse(e.contains("Drink"));
        assertEquals(List.of("non_food", "food", "drink"), e.toList());
        assertEquals("LabelEncoder[non_food, food, drink]", e.toString());
    }

    @Test
    void roundTripsThroughItsListAndComparesByValue() {
        LabelEncoder e = LabelEncoder.of("a", "b");
        LabelEncoder copy = LabelEncoder.fromList(e.toList());
        assertEquals(e, copy);
        assertEquals(e.hashCode(), copy.hashCode());
        assertNotEquals(e, LabelEncoder.of("b", "a"));
        assertThrows(UnsupportedOperationException.class, () -> e.toList().add("c"));
    }

    @Test
    void explainsUnknownLabelsAndBadIndices() {
        LabelEncoder e = LabelEncoder.of("cat", "dog");
        TransferKitException unknown = assertThrows(TransferKitException.class, () -> e.index("bird"));
        assertEquals("The label 'bird' is not one of the 2 known classes [cat, dog].", unknown.getMessage());
        IndexOutOfBoundsException bad = assertThrows(IndexOutOfBoundsException.class, () -> e.label(2));
        assertTrue(bad.getMessage().contains("Class index 2 is outside 0..1"), bad.getMessage());
    }

    @Test
    void rejectsEmptyBlankAndDuplicateNames() {
        assertThrows(IllegalArgumentException.class, () -> LabelEncoder.fromList(List.of()));
        IllegalArgumentException blank = assertThrows(IllegalArgumentException.class, () -> LabelEncoder.of("a", " "));
        assertTrue(blank.getMessage().contains("name 1"), blank.getMessage());
        IllegalArgumentException dup = assertThrows(IllegalArgumentException.class, () -> LabelEncoder.of("a", "b", "a"));
        assertTrue(dup.getMessage().contains("'a' appears at positions 0 and 2"), dup.getMessage());
    }
}
