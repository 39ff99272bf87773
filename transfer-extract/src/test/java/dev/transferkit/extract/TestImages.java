package dev.transferkit.extract;

import javax.imageio.ImageIO;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

/** Writes small two-class image datasets (reddish vs bluish squares with noise) in the ImageFolder layout. */
public final class TestImages {
    private TestImages() {
    }

    /**
     * Writes {@code root/<split>/{red,blue}/<i>.png}.
     *
     * @param root     dataset root
     * @param split    split name
     * @param perClass images per class
     * @param seed     noise seed
     * @throws IOException when writing fails
     */
    public static void write(Path root, String split, int perClass, long seed) throws IOException {
        Random r = new Random(seed);
        for (String cls : new String[]{"red", "blue"}) {
            Path dir = Files.createDirectories(root.resolve(split).resolve(cls));
            for (int i = 0; i < perClass; i++) {
                BufferedImage img = new BufferedImage(20, 20, BufferedImage.TYPE_INT_RGB);
                Graphics2D g = img.createGraphics();
                int noise = r.nextInt(60);
                g.setColor(cls.equals("red") ? new Color(200 - noise, 40 + noise, 40) : new Color(40, 40 + noise, 200 - noise));
                g.fillRect(0, 0, 20, 20);
                g.setColor(new Color(r.nextInt(256), r.nextInt(256), r.nextInt(256)));
                g.fillRect(r.nextInt(15), r.nextInt(15), 5, 5);
                g.dispose();
                ImageIO.write(img, "png", dir.resolve(String.format("%03d.png", i)).toFile());
            }
        }
    }
}
