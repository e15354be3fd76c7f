/**
 * Internal: classes loaded from the bootstrap class path only (see {@code BootstrapClassPath}).
 * They may use JDK types only and are never named by the rest of jlivepatch, except by
 * {@code io.jlivepatch.Shadow}, itself on the bootstrap class path, which names {@code ShadowStore}.
 */
package io.jlivepatch.internal.bootstrap;
