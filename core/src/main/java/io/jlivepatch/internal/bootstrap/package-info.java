/**
 * Internal: classes loaded from the bootstrap class path only (see {@code BootstrapClassPath}).
 * They may use JDK types only and are never named by the rest of jlivepatch.
 */
package io.jlivepatch.internal.bootstrap;
