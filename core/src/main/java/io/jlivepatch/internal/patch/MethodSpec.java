package io.jlivepatch.internal.patch;

/**
 * A method to hook in a class, as the transformer sees it: by name and descriptor only, since a
 * transformer must not load classes.
 *
 * @param name       method name
 * @param descriptor JVM descriptor
 * @param isStatic   what the patch expects; a class whose method differs is not hooked
 */
public record MethodSpec(String name, String descriptor, boolean isStatic) {

    /** The key of the method in the dispatch registry and in patch tables. */
    public String key() {
        return name + descriptor;
    }

    // Written out, as ActiveFunction's: no ObjectMethods bootstrap in a cold JVM.
    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof MethodSpec)) {
            return false;
        }
        MethodSpec m = (MethodSpec) o;
        return isStatic == m.isStatic && name.equals(m.name) && descriptor.equals(m.descriptor);
    }

    @Override
    public int hashCode() {
        return (31 * name.hashCode() + descriptor.hashCode()) * 2 + (isStatic ? 1 : 0);
    }

    public static String key(String name, String descriptor) {
        return name + descriptor;
    }
}
