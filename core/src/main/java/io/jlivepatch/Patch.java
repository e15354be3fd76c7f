package io.jlivepatch;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * An immutable patch description (the kernel's {@code klp_patch}): a name, a description and the
 * methods it replaces. It holds only what the author gave; runtime state lives in the
 * {@link PatchHandle} that {@link Livepatch#register(Patch)} returns.
 *
 * @param name         unique among registered patches, {@code [A-Za-z0-9_.-]{1,64}}
 * @param description  free text, never {@code null}
 * @param replacements the replaced methods, at least one, no method twice
 */
public record Patch(String name, String description, List<Replacement> replacements) {

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.-]{1,64}");
    /** A hidden class's name, {@code com.acme.Foo/0x0000000800c01234}: accepted here, refused at register. */
    private static final Pattern HIDDEN_CLASS_NAME = Pattern.compile("[^/]+/0x[0-9a-fA-F]+");

    public Patch {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(description, "description");
        if (!isValidName(name)) {
            throw new IllegalArgumentException("patch name '" + name
                    + "' is not valid: use 1 to 64 characters from [A-Za-z0-9_.-]");
        }
        replacements = List.copyOf(replacements);
        if (replacements.isEmpty()) {
            throw new IllegalArgumentException("patch '" + name
                    + "' replaces no method: add at least one with replace(...)");
        }
        Set<String> seen = new HashSet<>();
        for (Replacement r : replacements) {
            if (!seen.add(r.className() + "." + r.methodName() + r.descriptor())) {
                throw new IllegalArgumentException("patch '" + name + "' replaces " + r.target()
                        + " twice: keep one replacement per method");
            }
        }
    }

    /** Whether {@code name} is a valid patch name, {@code [A-Za-z0-9_.-]{1,64}}. */
    public static boolean isValidName(String name) {
        return name != null && NAME.matcher(name).matches();
    }

    public static Builder builder(String name) {
        return new Builder(name);
    }

    /**
     * One replaced method (the kernel's {@code klp_func}). The target is named, not bound to a
     * {@code Class}: it is patched in every class loader that defines a class of that name.
     *
     * @param className   binary name of the target class, e.g. {@code com.acme.Greeter}
     * @param methodName  the method's name
     * @param descriptor  the method's JVM descriptor, e.g. {@code (Ljava/lang/String;)Ljava/lang/String;}
     * @param replacement a {@code public static} method: for an instance target its parameters are
     *                    the receiver followed by the target's parameters
     */
    public record Replacement(String className, String methodName, String descriptor, Method replacement) {

        public Replacement {
            Objects.requireNonNull(className, "className");
            Objects.requireNonNull(methodName, "methodName");
            Objects.requireNonNull(descriptor, "descriptor");
            Objects.requireNonNull(replacement, "replacement");
            if (className.isBlank() || (className.contains("/") && !HIDDEN_CLASS_NAME.matcher(className).matches())) {
                throw new IllegalArgumentException("target class '" + className
                        + "' is not a binary class name: write it as com.acme.Greeter");
            }
            if (methodName.isBlank()) {
                throw new IllegalArgumentException("target method of " + className + " has an empty name");
            }
            if (!Descriptors.isMethodDescriptor(descriptor)) {
                throw new IllegalArgumentException("'" + descriptor + "' for " + className + "." + methodName
                        + " is not a JVM method descriptor: write it as (Ljava/lang/String;I)V");
            }
            int mod = replacement.getModifiers();
            if (!Modifier.isPublic(mod) || !Modifier.isStatic(mod)) {
                throw new IllegalArgumentException("replacement " + replacement.getDeclaringClass().getName()
                        + "." + replacement.getName() + " for " + className + "." + methodName + descriptor
                        + " is not public static: declare it 'public static', with the receiver as first"
                        + " parameter for an instance method");
            }
        }

        /** {@code com.acme.Greeter.greet(Ljava/lang/String;)Ljava/lang/String;} */
        public String target() {
            return className + "." + methodName + descriptor;
        }
    }

    /** Fluent, single-use builder; {@link #build()} validates the description. */
    public static final class Builder {
        private final String name;
        private String description = "";
        private final List<Replacement> replacements = new ArrayList<>();

        private Builder(String name) {
            this.name = name;
        }

        public Builder description(String description) {
            this.description = Objects.requireNonNull(description, "description");
            return this;
        }

        /** Replaces {@code className.methodName descriptor} by the {@code public static} {@code replacement}. */
        public Builder replace(String className, String methodName, String descriptor, Method replacement) {
            replacements.add(new Replacement(className, methodName, descriptor, replacement));
            return this;
        }

        /** Replaces {@code original} (a method of a class at hand) by {@code replacement}. */
        public Builder replace(Method original, Method replacement) {
            Objects.requireNonNull(original, "original");
            return replace(original.getDeclaringClass().getName(), original.getName(),
                    Descriptors.of(original), replacement);
        }

        public Patch build() {
            return new Patch(name, description, replacements);
        }
    }
}
