package io.jlivepatch.internal.patch;

/**
 * A replacement that is the top of its method's patch stack: what the hook of that method runs.
 *
 * @param patchName   the patch it comes from
 * @param className   target class name
 * @param spec        the target method as the hook needs it
 * @param source      the {@code public static} replacement, per class loader of the target
 */
public record ActiveFunction(String patchName, String className, MethodSpec spec, ReplacementSource source) {

    public String target() {
        return className + "." + spec.name() + spec.descriptor();
    }
}
