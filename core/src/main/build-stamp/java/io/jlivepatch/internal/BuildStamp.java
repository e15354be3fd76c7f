package io.jlivepatch.internal;

/**
 * This build of jlivepatch, compiled in: generated from core/src/main/build-stamp by the build,
 * with the same value as the resource {@value OwnBuild#RESOURCE} (see {@link OwnBuild}).
 */
final class BuildStamp {

    static final String VALUE = "${jlivepatch.build.stamp}";

    private BuildStamp() {
    }
}
