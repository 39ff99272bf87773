package dev.transferkit.examples.data;

import java.util.Locale;

/**
 * The emoji image sets that may be redistributed, each with its pinned npm package and the licence of its graphics.
 * The packages come from the emoji-datasource project (metadata MIT, Cal Henderson); the graphics keep their
 * vendors' licences.
 */
enum EmojiVendor {
    /** Google's Noto Emoji. */
    GOOGLE("google", "emoji-datasource-google", "16.0.0",
            "sha512-ZRexfzs7MVoLnmzZmNsO4TKhnAJp5D++Vm6PpUpH/jEQQlemp3l88CjZ+DoZ2faM9R4QxZkOPJCoT8DlPhfQ3A==",
            "Apache License 2.0 (https://www.apache.org/licenses/LICENSE-2.0)",
            "Noto Emoji graphics by Google, Apache License 2.0 (https://github.com/googlefonts/noto-emoji)."),
    /** Twitter's Twemoji. */
    TWITTER("twitter", "emoji-datasource-twitter", "16.0.0",
            "sha512-7F+uCuHH+7Qnrc15P5tnbvKkg9E6tlzi4MnT2uW1RlN4pLYTza6cP/dstIfSDMtpjFLWuZewWg8jBbuL2eyELQ==",
            "Creative Commons Attribution 4.0 International, CC-BY 4.0 (https://creativecommons.org/licenses/by/4.0/)",
            "Twemoji graphics by Twitter, Inc and other contributors, CC-BY 4.0 (https://github.com/jdecked/twemoji).");

    private final String id;
    private final String npmName;
    private final String version;
    private final String integrity;
    private final String licence;
    private final String attribution;

    EmojiVendor(String id, String npmName, String version, String integrity, String licence, String attribution) {
        this.id = id;
        this.npmName = npmName;
        this.version = version;
        this.integrity = integrity;
        this.licence = licence;
        this.attribution = attribution;
    }

    /**
     * Looks a vendor up by its emoji-datasource name, refusing the sets that may not be redistributed.
     *
     * @param name a vendor name such as {@code google}
     * @return the vendor
     * @throws DatasetException for apple or facebook (not redistributable) and for unknown names
     */
    static EmojiVendor of(String name) {
        String n = name == null ? "" : name.strip().toLowerCase(Locale.ROOT);
        for (EmojiVendor v : values()) {
            if (v.id.equals(n)) {
                return v;
            }
        }
        if (n.equals("apple") || n.equals("facebook")) {
            throw new DatasetException("The " + n + " emoji images are not licensed for redistribution (emoji-datasource"
                    + " states: " + (n.equals("apple") ? "Copyright Apple Inc., not licensed for commercial usage"
                    : "Facebook images have no clear licensing") + "), so TransferKit does not build datasets from"
                    + " them; use 'google' (Apache-2.0) or 'twitter' (CC-BY-4.0).");
        }
        throw new DatasetException("'" + name + "' is not a supported emoji vendor; use 'google' or 'twitter'.");
    }

    /** @return the vendor name used in emoji.json fields and image paths, e.g. {@code google} */
    String id() {
        return id;
    }

    /** @return the npm package holding the images */
    String npmName() {
        return npmName;
    }

    /** @return the pinned package version */
    String version() {
        return version;
    }

    /** @return the pinned npm integrity string of the package tarball */
    String integrity() {
        return integrity;
    }

    /** @return the licence of the graphics */
    String licence() {
        return licence;
    }

    /** @return the attribution line the licence asks for */
    String attribution() {
        return attribution;
    }
}
