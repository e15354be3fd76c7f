package io.jlivepatch.internal.patch;

import java.lang.invoke.MethodHandle;

/**
 * A replacement that is the top of its method's patch stack: what the hook of that method runs.
 *
 * @param patchName   the patch it comes from
 * @param className   target class name
 * @param spec        the target method as the hook needs it
 * @param replacement direct handle of the {@code public static} replacement
 */
public record ActiveFunction(String patchName, String className, MethodSpec spec, MethodHandle replacement) {

    public String target() {
        return className + "." + spec.name() + spec.descriptor();
    }
}
