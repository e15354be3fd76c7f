package io.jlivepatch.internal.patch;

/**
 * A method to hook in a class, as the transformer sees it: by name and descriptor only, since a
 * transformer must not load classes.
 *
 * @param name       method name
 * @param descriptor JVM descriptor
 * @param isStatic   what the patch expects; a class whose method differs is not hooked
 * @param key        the key of the method in the dispatch registry and in patch tables: name and
 *                   descriptor. Kept, not made per call: every table of a change and every link
 *                   asks for it, a 1000-method change tens of thousands of times (each a new string
 *                   hashed anew; BENCHMARKS.md section 2, session 23)
 */
public record MethodSpec(String name, String descriptor, boolean isStatic, String key) {

    public MethodSpec(String name, String descriptor, boolean isStatic) {
        this(name, descriptor, isStatic, key(name, descriptor));
    }

    public MethodSpec {
        // Checked without a copy: the key must be what key(name, descriptor) gives.
        if (key.length() != name.length() + descriptor.length() || !key.startsWith(name)
                || !key.endsWith(descriptor)) {
            throw new IllegalArgumentException("the key of " + name + descriptor + " cannot be " + key);
        }
    }

    // Written out, as ActiveFunction's: no ObjectMethods bootstrap in a cold JVM. The key follows
    // from the name and descriptor, so it takes no part.
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
