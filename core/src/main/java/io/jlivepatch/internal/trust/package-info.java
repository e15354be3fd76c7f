/** Patch JAR signatures and the trust store they are checked against (the kernel's module signing). */
package io.jlivepatch.internal.trust;
