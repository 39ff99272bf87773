/**
 * Downloads with checksums and timeouts, pinned npm packages, and archive extraction that cannot escape its target.
 */
package dev.transferkit.io;
