/**
 * Images to network input: decoding (formats, colour modes, EXIF, pixel limits, reduced-size JPEG decoding), resizing
 * policies, preprocessing presets, datasets on disk and parallel batch loading.
 */
package dev.transferkit.image;
