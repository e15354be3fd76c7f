/**
 * Internal: what a patch JAR made by {@code jlivepatch build} records about the classes it was built
 * against (their normalized digests, {@link io.jlivepatch.internal.format.ClassDigest}), in the one
 * definition the builder (jlivepatch-builder, which writes them) and the loader (which checks them,
 * {@code PatchJarLoader}) share. The manifest attributes and entry names are
 * {@link io.jlivepatch.internal.jar.PatchJar}'s constants. Not an API.
 */
package io.jlivepatch.internal.format;
