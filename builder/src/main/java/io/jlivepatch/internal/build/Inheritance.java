package io.jlivepatch.internal.build;

import io.jlivepatch.internal.format.Normalized;
import org.objectweb.asm.tree.ClassNode;

import java.util.HashSet;
import java.util.Set;

/**
 * Which member accesses of a patched class's code the hidden nestmate carrying it cannot make
 * itself: members the host inherits from a supertype in another package (protected ones are only
 * reachable from subclasses, and a nestmate is not one). Those go through the host's own lookup.
 * A member the host class itself declares, or one of a supertype in the host's package, is
 * reached directly.
 */
final class Inheritance {

    private final String host;
    private final ClassNode hostNode;
    private final Set<String> supertypes = new HashSet<>();

    Inheritance(ClassSet build, String host) {
        this.host = host;
        this.hostNode = Normalized.parse(build.classes().get(host));
        collect(build, hostNode.superName);
        hostNode.interfaces.forEach(i -> collect(build, i));
    }

    private void collect(ClassSet build, String name) {
        while (name != null && supertypes.add(name)) {
            byte[] inBuild = build.classes().get(name);
            if (inBuild != null) {
                ClassNode n = Normalized.parse(inBuild);
                n.interfaces.forEach(i -> collect(build, i));
                name = n.superName;
                continue;
            }
            // Outside the build (the JDK or a library): the JDK's own classes can be walked here.
            try {
                Class<?> c = Class.forName(name.replace('/', '.'), false, ClassLoader.getPlatformClassLoader());
                for (Class<?> i : c.getInterfaces()) {
                    collect(build, i.getName().replace('.', '/'));
                }
                name = c.getSuperclass() == null ? null : c.getSuperclass().getName().replace('.', '/');
            } catch (ClassNotFoundException | LinkageError unknown) {
                name = null;
            }
        }
    }

    /** Whether an access to {@code owner.name} from the host's code must go through the host's lookup. */
    boolean viaHost(String owner, String name, String descriptor, boolean field) {
        if (owner.equals(host)) {
            boolean declared = field
                    ? hostNode.fields.stream().anyMatch(f -> f.name.equals(name) && f.desc.equals(descriptor))
                    : hostNode.methods.stream().anyMatch(m -> m.name.equals(name) && m.desc.equals(descriptor));
            return !declared && hasSupertypeOutsidePackage();
        }
        return supertypes.contains(owner) && !BuildDiff.packageOf(owner).equals(BuildDiff.packageOf(host))
                && !owner.equals("java/lang/Object");
    }

    private boolean hasSupertypeOutsidePackage() {
        String pkg = BuildDiff.packageOf(host);
        return supertypes.stream().anyMatch(s -> !s.equals("java/lang/Object") && !BuildDiff.packageOf(s).equals(pkg));
    }
}
