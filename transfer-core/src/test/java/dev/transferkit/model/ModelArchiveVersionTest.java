package dev.transferkit.model;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The base-model zip's metadata carries a version: this one round-trips, a newer or foreign one is refused by name. */
class ModelArchiveVersionTest {
    @TempDir
    Path dir;

    @Test
    void metadataRoundTripsAndANewerVersionIsRefused() throws IOException {
        Path zip = dir.resolve("m.zip");
        TinyNetworks.baseModel(List.of("x", "y")).save(zip);
        String json = entry(zip);
        assertTrue(json.contains("\"format\" : \"transferkit-basemodel\"") && json.contains("\"version\" : 1"), json);
        assertEquals(List.of("x", "y"), BaseModel.load(zip).labels());

        rewrite(zip, json.replace("\"version\" : 1", "\"version\" : 7"));
        ModelLoadException newer = assertThrows(ModelLoadException.class, () -> BaseModel.load(zip));
        assertEquals("The model " + zip + " was saved with base-model metadata version 7, but this TransferKit reads"
                + " versions 1 to 1; it was written by a newer TransferKit: load it with that version or newer.", newer.getMessage());

        rewrite(zip, json.replace("\"format\" : \"transferkit-basemodel\"", "\"format\" : \"something-else\""));
        ModelLoadException foreign = assertThrows(ModelLoadException.class, () -> BaseModel.load(zip));
        assertTrue(foreign.getMessage().contains("describes 'something-else', not a TransferKit base model"), foreign.getMessage());
    }

    private static String entry(Path zip) throws IOException {
        try (FileSystem fs = FileSystems.newFileSystem(URI.create("jar:" + zip.toUri()), Map.of())) {
            return Files.readString(fs.getPath(ModelArchive.METADATA_ENTRY), StandardCharsets.UTF_8);
        }
    }

    private static void rewrite(Path zip, String json) throws IOException {
        try (FileSystem fs = FileSystems.newFileSystem(URI.create("jar:" + zip.toUri()), Map.of())) {
            Files.writeString(fs.getPath(ModelArchive.METADATA_ENTRY), json, StandardCharsets.UTF_8);
        }
    }
}
