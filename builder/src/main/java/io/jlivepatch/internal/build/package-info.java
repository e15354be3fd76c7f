/** Internal: jlivepatch build, the kpatch-build of the JVM: compare two builds, write a patch JAR. Not an API. */
package io.jlivepatch.internal.build;
