package io.jlivepatch.internal;

/**
 * This build of jlivepatch, compiled in: generated from core/src/main/build-stamp by the build,
 * with the same value as the resource {@value OwnBuild#RESOURCE} (see {@link OwnBuild}).
 */
final class BuildStamp {

    private BuildStamp() {
    }

    /**
     * The stamp. A method, not a constant: javac would copy a constant into the classes that use it,
     * and a build that recompiles only what changed would then leave the last build's stamp there.
     */
    static String value() {
        return "${jlivepatch.build.stamp}";
    }
}
