/**
 * Example datasets that the library obtains by itself, each cached under
 * {@code TransferKitHome.resolve("datasets")} and built atomically (a hidden temporary directory renamed into place
 * after a manifest was written last):
 * <ul>
 *   <li>{@link dev.transferkit.examples.data.EmojiDataset}: food versus non-food emoji, Google's set (Apache-2.0) and
 *       Twitter's set (CC-BY-4.0) from npm, one vendor per split;</li>
 *   <li>{@link dev.transferkit.examples.data.FashionMnist}: 70,000 grey 28x28 clothing images in 10 classes (MIT),
 *       from Debian's {@code dataset-fashion-mnist}, read with {@link dev.transferkit.examples.data.IdxReader};</li>
 *   <li>{@link dev.transferkit.examples.data.DarknetPhotos}: a handful of test photos from Debian's {@code darknet}.</li>
 * </ul>
 * Datasets are written in the image-folder layout {@code <root>/<split>/<class>/<file>} and described by a
 * {@link dev.transferkit.examples.data.DatasetSummary}.
 */
package dev.transferkit.examples.data;
