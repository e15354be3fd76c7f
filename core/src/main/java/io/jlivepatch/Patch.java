package io.jlivepatch;

import io.jlivepatch.internal.Text;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * An immutable patch description (the kernel's {@code klp_patch}): a name, a description, the
 * methods it replaces and the methods it holds. It holds only what the author gave; runtime state
 * lives in the {@link PatchHandle} that {@link Livepatch#register(Patch)} returns.
 *
 * @param name         unique among registered patches, {@code [A-Za-z0-9_.-]{1,64}}
 * @param description  free text, never {@code null}
 * @param replacements the replaced methods, at least one, no method twice
 * @param holds        methods not replaced that count as the patch's for the stack check (see
 *                     {@link Builder#hold}), none replaced by this patch, none twice
 * @param callbacks    per target class name, in description order: what runs around the patch's
 *                     transitions for each class loader that defines that class ({@link Callbacks})
 * @param replace      a cumulative patch (atomic replace): enabling it replaces every other patch
 * @param states       the system states it sets up or takes over (the kernel's {@code klp_state}),
 *                     one per id, versions at least 1
 */
public record Patch(String name, String description, List<Replacement> replacements, List<Hold> holds,
                    Map<String, Callbacks> callbacks, boolean replace, List<State> states) {

    /*
     * The two name checks below are written out, not regular expressions: compiling and running a
     * Pattern in a JVM that has run none loads and spins dozens of classes, which every start-up
     * patch paid (BENCHMARKS.md, section 4).
     */
    private static final int MAX_NAME_CHARS = 64;

    public Patch {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(description, "description");
        if (!isValidName(name)) {
            throw new IllegalArgumentException("patch name '" + Text.clean(name)
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
                throw new IllegalArgumentException("patch '" + name + "' replaces " + Text.clean(r.target())
                        + " twice: keep one replacement per method");
            }
        }
        callbacks = Collections.unmodifiableMap(new LinkedHashMap<>(callbacks)); // keeps description order
        for (Map.Entry<String, Callbacks> c : callbacks.entrySet()) {
            if (c.getKey() == null || c.getKey().isBlank() || c.getValue() == null) {
                throw new IllegalArgumentException("patch '" + name + "' has callbacks without a class name or"
                        + " without callbacks: give callbacks(className, callbacks) both");
            }
        }
        states = List.copyOf(states);
        Set<Long> ids = new HashSet<>();
        for (State st : states) {
            if (!ids.add(st.id())) {
                throw new IllegalArgumentException("patch '" + name + "' declares state " + st.id()
                        + " twice: give each state id one version");
            }
        }
        holds = List.copyOf(holds);
        Set<String> held = new HashSet<>();
        for (Hold h : holds) {
            if (seen.contains(h.target())) {
                throw new IllegalArgumentException("patch '" + name + "' both replaces and holds "
                        + Text.clean(h.target()) + ": a replaced method holds a thread already, drop the hold");
            }
            if (!held.add(h.target())) {
                throw new IllegalArgumentException("patch '" + name + "' holds " + Text.clean(h.target())
                        + " twice: name each held method once");
            }
        }
    }

    /** A patch that holds no method. */
    public Patch(String name, String description, List<Replacement> replacements) {
        this(name, description, replacements, List.of());
    }

    /** A patch with no callbacks, not cumulative, with no states. */
    public Patch(String name, String description, List<Replacement> replacements, List<Hold> holds) {
        this(name, description, replacements, holds, Map.of(), false, List.of());
    }

    /**
     * A system state a patch sets up or takes over (the kernel's {@code klp_state}): data or a
     * mode of the application that outlives the patch, such as a shadow variable's layout.
     *
     * @param id      the state's id, chosen by the patches' authors, at least 0
     * @param version its version, at least 1: a patch that understands version n understands every
     *                version below it
     */
    public record State(long id, int version) {
        public State {
            if (id < 0) {
                throw new IllegalArgumentException("state id " + id + " is negative: use an id of 0 or more");
            }
            if (version < 1) {
                throw new IllegalArgumentException("state " + id + " has version " + version
                        + ": versions start at 1");
            }
        }
    }

    /** Whether {@code name} is a valid patch name, {@code [A-Za-z0-9_.-]{1,64}}. */
    public static boolean isValidName(String name) {
        if (name == null || name.isEmpty() || name.length() > MAX_NAME_CHARS) {
            return false;
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (!(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '.'
                    || c == '-')) {
                return false;
            }
        }
        return true;
    }

    /** Whether {@code className} is a hidden class's name, {@code [^/]+/0x[0-9a-fA-F]+}: {@code com.acme.Foo/0x0800c01234}. */
    private static boolean isHiddenClassName(String className) {
        int slash = className.indexOf('/');
        if (slash <= 0 || !className.startsWith("0x", slash + 1) || className.length() <= slash + 3) {
            return false;
        }
        for (int i = slash + 3; i < className.length(); i++) {
            char c = className.charAt(i);
            if (!(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F')) {
                return false;
            }
        }
        return true;
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
     * @param replacement a {@code public static} method, not {@code native}: for an instance target its parameters are
     *                    the receiver followed by the target's parameters
     */
    public record Replacement(String className, String methodName, String descriptor, Method replacement) {

        public Replacement {
            Objects.requireNonNull(className, "className");
            Objects.requireNonNull(methodName, "methodName");
            Objects.requireNonNull(descriptor, "descriptor");
            Objects.requireNonNull(replacement, "replacement");
            if (className.isBlank() || (className.contains("/") && !isHiddenClassName(className))) {
                throw new IllegalArgumentException("target class '" + Text.clean(className)
                        + "' is not a binary class name: write it as com.acme.Greeter");
            }
            if (methodName.isBlank()) {
                throw new IllegalArgumentException("target method of " + Text.clean(className) + " has an empty name");
            }
            if (!Descriptors.isMethodDescriptor(descriptor)) {
                throw new IllegalArgumentException("'" + Text.clean(descriptor) + "' for "
                        + Text.clean(className + "." + methodName)
                        + " is not a JVM method descriptor: write it as (Ljava/lang/String;I)V");
            }
            int mod = replacement.getModifiers();
            if (!Modifier.isPublic(mod) || !Modifier.isStatic(mod)) {
                throw new IllegalArgumentException("replacement " + replacementName(replacement) + " for "
                        + Text.clean(className + "." + methodName + descriptor) + " is not public static: declare it"
                        + " 'public static', with the receiver as first parameter for an instance method");
            }
            if (Modifier.isNative(mod)) {
                // Linked lazily by the JVM: registered, it would throw UnsatisfiedLinkError at every call.
                throw new IllegalArgumentException("replacement " + replacementName(replacement) + " for "
                        + Text.clean(className + "." + methodName + descriptor) + " is declared native: every call"
                        + " would throw UnsatisfiedLinkError; give it a body in Java");
            }
        }

        /** {@code com.acme.Greeter.greet(Ljava/lang/String;)Ljava/lang/String;} */
        public String target() {
            return className + "." + methodName + descriptor;
        }

        private static String replacementName(Method replacement) {
            return Text.clean(replacement.getDeclaringClass().getName() + "." + replacement.getName());
        }
    }

    /**
     * A method the patch does not replace but counts as its own for the consistency model: while it
     * is on a thread's stack, the thread keeps its patch state, so that everything it calls from
     * there (say {@code e = encode(x); d = decode(e)}) runs in one version. It gets no hook.
     *
     * @param className  binary name of the class that declares it, e.g. {@code com.acme.Worker}
     * @param methodName the method's name (not a constructor or class initializer)
     * @param descriptor the method's JVM descriptor, e.g. {@code (Ljava/lang/String;)V}
     */
    public record Hold(String className, String methodName, String descriptor) {

        public Hold {
            Objects.requireNonNull(className, "className");
            Objects.requireNonNull(methodName, "methodName");
            Objects.requireNonNull(descriptor, "descriptor");
            if (className.isBlank() || className.contains("/") || className.startsWith(".")
                    || className.endsWith(".") || className.contains("..") || hasWhitespace(className)) {
                throw new IllegalArgumentException("held class '" + Text.clean(className)
                        + "' is not a binary class name: write it as com.acme.Worker");
            }
            if (methodName.equals("<init>") || methodName.equals("<clinit>")) {
                throw new IllegalArgumentException("cannot hold " + Text.clean(className) + "." + methodName
                        + ": constructors and class initializers cannot be held; hold the method that calls them");
            }
            if (methodName.isEmpty() || methodName.chars().anyMatch(c -> ".;[/<>(".indexOf(c) >= 0)
                    || hasWhitespace(methodName)) {
                throw new IllegalArgumentException("held method '" + Text.clean(methodName) + "' of "
                        + Text.clean(className) + " is not a method name");
            }
            if (!Descriptors.isMethodDescriptor(descriptor)) {
                throw new IllegalArgumentException("'" + Text.clean(descriptor) + "' for held method "
                        + Text.clean(className + "." + methodName)
                        + " is not a JVM method descriptor: write it as (Ljava/lang/String;I)V");
            }
        }

        /**
         * Parses {@link #target()}'s form, the form of the manifest's {@code Livepatch-Hold}:
         * {@code com.acme.Worker.process(Ljava/lang/String;)V}.
         *
         * @throws IllegalArgumentException when {@code text} is not of that form
         */
        public static Hold parse(String text) {
            Objects.requireNonNull(text, "text");
            int paren = descriptorStart(text);
            int dot = paren < 0 ? -1 : text.lastIndexOf('.', paren);
            if (paren < 0 || dot <= 0 || dot + 1 == paren) {
                throw new IllegalArgumentException("'" + Text.clean(text) + "' does not name a method to hold:"
                        + " write it as class.method(descriptor), e.g. com.acme.Worker.process(Ljava/lang/String;)V");
            }
            return new Hold(text.substring(0, dot), text.substring(dot + 1, paren), text.substring(paren));
        }

        /**
         * Where {@code text}'s descriptor starts: the first '(' after which a whole method descriptor
         * follows. A binary name may hold '(' (p.C(1), legal in the JVM), so may a class name inside the
         * descriptor ({@code m(Lp/C(1);)V}): neither the first nor the last '(' is right for both. When no
         * '(' is followed by a descriptor, the last, so that the refusal quotes what is not one.
         */
        private static int descriptorStart(String text) {
            for (int i = text.indexOf('('); i >= 0; i = text.indexOf('(', i + 1)) {
                if (Descriptors.isMethodDescriptor(text.substring(i))) {
                    return i;
                }
            }
            return text.lastIndexOf('(');
        }

        /** {@code com.acme.Worker.process(Ljava/lang/String;)V} */
        public String target() {
            return className + "." + methodName + descriptor;
        }

        private static boolean hasWhitespace(String s) {
            return s.chars().anyMatch(c -> Character.isWhitespace(c) || Character.isISOControl(c));
        }
    }

    /** Fluent, single-use builder; {@link #build()} validates the description. */
    public static final class Builder {
        private final String name;
        private String description = "";
        private final List<Replacement> replacements = new ArrayList<>();
        private final List<Hold> holds = new ArrayList<>();
        private final Map<String, Callbacks> callbacks = new LinkedHashMap<>();
        private final List<State> states = new ArrayList<>();
        private boolean replace;

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

        /**
         * Holds {@code className.methodName descriptor}, a method this patch does not replace: while
         * it is on a thread's stack, the thread keeps its patch state during a transition, so that
         * the patched methods it calls from there all run in one version. A loaded class of that
         * name must declare the method ({@code TARGET_NOT_FOUND} at register otherwise).
         */
        public Builder hold(String className, String methodName, String descriptor) {
            holds.add(new Hold(className, methodName, descriptor));
            return this;
        }

        /** Holds {@code method}, a method of a class at hand. */
        public Builder hold(Method method) {
            Objects.requireNonNull(method, "method");
            return hold(method.getDeclaringClass().getName(), method.getName(), Descriptors.of(method));
        }

        /**
         * Runs {@code callbacks} around this patch's transitions, once per class loader that defines
         * {@code className} (see {@link Callbacks}).
         *
         * @throws IllegalArgumentException when {@code className} has callbacks already
         */
        public Builder callbacks(String className, Callbacks callbacks) {
            Objects.requireNonNull(className, "className");
            Objects.requireNonNull(callbacks, "callbacks");
            if (this.callbacks.putIfAbsent(className, callbacks) != null) {
                throw new IllegalArgumentException("patch '" + Text.clean(name) + "' has callbacks for "
                        + Text.clean(className) + " already: give one Callbacks per class");
            }
            return this;
        }

        /**
         * Makes this a cumulative patch (the kernel's atomic replace): its enable moves every function
         * of every enabled patch to this patch's version, or back to the original where it has none,
         * in one transition; then every other patch is disabled and unregistered.
         */
        public Builder replaceAll() {
            this.replace = true;
            return this;
        }

        /**
         * Declares that this patch sets up or takes over system state {@code id} at {@code version}
         * (the kernel's {@code klp_state}); see {@link Livepatch#stateVersion}.
         *
         * @throws IllegalArgumentException for a negative id, a version below 1, or an id given twice
         */
        public Builder state(long id, int version) {
            State st = new State(id, version);
            for (State s : states) {
                if (s.id() == id) {
                    // the builder's name is checked at build(): it may be any text here
                    throw new IllegalArgumentException("patch '" + Text.clean(name) + "' declares state " + id
                            + " twice: give each state id one version");
                }
            }
            states.add(st);
            return this;
        }

        public Patch build() {
            return new Patch(name, description, replacements, holds, callbacks, replace, states);
        }
    }
}
