package dev.transferkit.examples;

import dev.transferkit.model.TinyNetworks;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

/** Tiny generated datasets and models for the smoke tests of the example mains and the command line. */
public final class TinyData {
    /** The classes of {@link #dataset}: reddish and bluish images. */
    public static final List<String> CLASSES = List.of("blue", "red");

    private TinyData() {
    }

    /**
     * Writes {@code root/{train,test}/{blue,red}/<i>.png}, 16x16 noisy images whose colour tells the class.
     *
     * @param root     the dataset folder to create
     * @param perClass images per class and split
     * @return {@code root}
     * @throws IOException when writing fails
     */
    public static Path dataset(Path root, int perClass) throws IOException {
        Random r = new Random(7);
        for (String split : List.of("train", "test")) {
            for (String cls : CLASSES) {
                Path dir = Files.createDirectories(root.resolve(split).resolve(cls));
                for (int i = 0; i < perClass; i++) {
                    image(dir.resolve(i + ".png"), cls.equals("red"), r);
                }
            }
        }
        return root;
    }

    /**
     * Writes one 16x16 PNG.
     *
     * @param file where
     * @param red  reddish, else bluish
     * @param r    noise source
     * @return {@code file}
     * @throws IOException when writing fails
     */
    public static Path image(Path file, boolean red, Random r) throws IOException {
        BufferedImage img = new BufferedImage(16, 16, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 16; y++) {
            for (int x = 0; x < 16; x++) {
                int strong = 180 + r.nextInt(70);
                int weak = r.nextInt(60);
                img.setRGB(x, y, red ? (strong << 16) | (weak << 8) | weak : (weak << 16) | (weak << 8) | strong);
            }
        }
        ImageIO.write(img, "png", file.toFile());
        return file;
    }

    /**
     * Saves core's tiny test network (16x16 NCHW: conv1, conv2, gap, out) with the classes of {@link #dataset} as a
     * BaseModel zip.
     *
     * @param file the zip to write
     * @return {@code file}
     */
    public static Path modelZip(Path file) {
        TinyNetworks.baseModel(CLASSES).save(file);
        return file;
    }
}
