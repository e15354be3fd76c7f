package io.jlivepatch.internal.build;

import io.jlivepatch.internal.format.Normalized;
import org.objectweb.asm.Handle;
import org.objectweb.asm.Opcodes;
import org.objectweb.asm.tree.AbstractInsnNode;
import org.objectweb.asm.tree.ClassNode;
import org.objectweb.asm.tree.FieldNode;
import org.objectweb.asm.tree.InvokeDynamicInsnNode;
import org.objectweb.asm.tree.LdcInsnNode;
import org.objectweb.asm.tree.MethodInsnNode;
import org.objectweb.asm.tree.MethodNode;
import org.objectweb.asm.tree.RecordComponentNode;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * Compares two builds class by class and method by method, like kpatch-build compares objects:
 * what changed, what is new, and every change a method patch cannot carry.
 */
final class BuildDiff {

    /** A class of both builds whose methods changed or were added. */
    record ClassChange(String name, int version, boolean isInterface, List<MethodNode> changed, List<MethodNode> added) {
    }

    /**
     * @param changes    classes with changed or added methods
     * @param newClasses classes only in the new build (internal names), carried in the patch
     * @param problems   one line per change a method patch cannot carry
     * @param notes      what was seen and left alone
     * @param fields     fields added to classes of both builds, carried as shadow variables
     */
    record Result(List<ClassChange> changes, List<String> newClasses, List<String> problems, List<String> notes,
                  List<AddedField> fields) {
    }

    private static final int CLASS_FLAGS = ~(Opcodes.ACC_SUPER | Opcodes.ACC_SYNTHETIC);
    private static final String SHADOW_HINT = "; keep new state in a shadow variable instead (io.jlivepatch.Shadow:"
            + " see \"Shadow variables\" in the README)";

    private BuildDiff() {
    }

    static Predicate<String> includes(List<String> patterns) {
        if (patterns.isEmpty()) {
            return name -> true;
        }
        List<Pattern> compiled = new ArrayList<>();
        for (String p : patterns) {
            compiled.add(Pattern.compile(Pattern.quote(p).replace("*", "\\E.*\\Q")));
        }
        // A class named comes with its nested classes, its source file's (Outer$Inner, Outer$1): a change
        // there belongs to the same fix, and was left out without a word.
        return name -> compiled.stream().anyMatch(p -> p.matcher(name).matches() || p.matcher(topLevel(name)).matches());
    }

    /** {@code a.b.Outer} for {@code a.b.Outer$Inner$1}: the binary name up to its first {@code $} after the package. */
    private static String topLevel(String name) {
        int dollar = name.indexOf('$', name.lastIndexOf('.') + 1);
        return dollar <= name.lastIndexOf('.') + 1 ? name : name.substring(0, dollar);
    }

    static Result compare(ClassSet oldBuild, ClassSet newBuild, Predicate<String> include) {
        List<ClassChange> changes = new ArrayList<>();
        List<String> newClasses = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        List<AddedField> fields = new ArrayList<>();
        for (Map.Entry<String, byte[]> e : newBuild.classes().entrySet()) {
            String name = e.getKey();
            if (!include.test(name.replace('/', '.'))) {
                continue;
            }
            byte[] before = oldBuild.classes().get(name);
            if (before == null) {
                newClasses.add(name);
                continue;
            }
            if (java.util.Arrays.equals(before, e.getValue())) {
                continue;
            }
            ClassNode o = Normalized.parse(before);
            ClassNode n = Normalized.parse(e.getValue());
            Annotations.compare(name.replace('/', '.'), o, n, notes);
            ClassChange c = compareClass(o, n, newBuild, fields, problems);
            if (c != null) {
                changes.add(c);
            }
        }
        for (String name : oldBuild.classes().keySet()) {
            if (include.test(name.replace('/', '.')) && !newBuild.classes().containsKey(name)) {
                notes.add("removed class: " + name.replace('/', '.') + " (left alone: the running code keeps it)");
            }
        }
        crossChecks(changes, newClasses, newBuild, problems);
        problems.addAll(Overrides.overridden(newBuild, changes));
        fieldChecks(changes, fields, problems);
        nestChecks(newBuild, oldBuild, changes, newClasses, fields, problems);
        if (!fields.isEmpty()) {
            notes.add("the new fields are shadow variables: reflection, MethodHandles and VarHandles do not see them,"
                    + " and objects made before the patch start with their initial values");
        }
        return new Result(changes, newClasses, problems, notes, fields);
    }

    private static ClassChange compareClass(ClassNode o, ClassNode n, ClassSet newBuild, List<AddedField> fields,
                                            List<String> problems) {
        String cls = n.name.replace('/', '.');
        if (!Objects.equals(o.superName, n.superName)) {
            problems.add(cls + ": superclass changed from " + dotted(o.superName) + " to " + dotted(n.superName)
                    + ": a method patch cannot change the class hierarchy");
        }
        if (!new HashSet<>(o.interfaces).equals(new HashSet<>(n.interfaces))) {
            problems.add(cls + ": implemented interfaces changed from " + dotted(o.interfaces) + " to "
                    + dotted(n.interfaces) + ": a method patch cannot change the class hierarchy");
        }
        if ((o.access & CLASS_FLAGS) != (n.access & CLASS_FLAGS)) {
            problems.add(cls + ": class modifiers changed: a method patch cannot change them");
        }
        if (o.permittedSubclasses != null && (n.permittedSubclasses == null
                || !new HashSet<>(o.permittedSubclasses).containsAll(n.permittedSubclasses))) {
            // The running sealed class permits its own list: a subclass the new build adds to it can
            // never be defined beside it (the JVM refuses it at load, whose advice to build again against
            // the running application would not help).
            problems.add(cls + ": permitted subclasses of a sealed class changed from " + dotted(o.permittedSubclasses)
                    + " to " + (n.permittedSubclasses == null ? "any (no longer sealed)" : dotted(n.permittedSubclasses))
                    + ": the running class permits only its own, and a method patch cannot change the class hierarchy;"
                    + " deploy the change with a restart");
        }
        compareFields(cls, o, n, newBuild, fields, problems);
        compareRecord(cls, o, n, problems);
        Map<String, MethodNode> before = new LinkedHashMap<>();
        o.methods.forEach(m -> before.put(m.name + m.desc, m));
        Set<String> newKeys = new HashSet<>();
        n.methods.forEach(m -> newKeys.add(m.name + m.desc));
        // Names of methods the new build no longer has with their old descriptor.
        Set<String> goneNames = new HashSet<>();
        for (MethodNode m : o.methods) {
            if (!newKeys.contains(m.name + m.desc) && !isSynthetic(m)) {
                goneNames.add(m.name);
            }
        }
        List<MethodNode> changed = new ArrayList<>();
        List<MethodNode> added = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (MethodNode m : n.methods) {
            String key = m.name + m.desc;
            seen.add(key);
            MethodNode old = before.get(key);
            String where = cls + "." + key;
            if (old == null) {
                String overridden = Overrides.inherited(newBuild, n, m);
                if (m.name.equals("<init>")) {
                    problems.add(where + ": constructor added: a method patch cannot change constructors;"
                            + " create objects through the existing ones");
                } else if (m.name.equals("<clinit>") && Normalized.code(m).equals(Opcodes.RETURN + "\n")) {
                    continue; // it only set added static fields, now carried as their initial values
                } else if (m.name.equals("<clinit>")) {
                    problems.add(where + ": static initializer added: a method patch cannot run class"
                            + " initialization again" + SHADOW_HINT);
                } else if (!isSynthetic(m) && goneNames.contains(m.name)) {
                    problems.add(where + ": signature changed (the old build has " + m.name
                            + " with another descriptor): a method patch cannot change signatures; keep the old"
                            + " signature and add an overload");
                } else if ((m.access & Opcodes.ACC_ABSTRACT) != 0) {
                    problems.add(where + ": abstract method added: a method patch cannot change what implementers"
                            + " must provide");
                } else if (overridden != null) {
                    problems.add(where + ": method added that overrides " + overridden + ": the running class has"
                            + " no such method, so calls through the inherited one would go on running it; a method"
                            + " patch cannot change which method a call dispatches to: change the inherited method"
                            + " instead, or deploy the change with a restart");
                } else {
                    added.add(m);
                }
                continue;
            }
            if (old.access != m.access) {
                problems.add(where + ": modifiers changed: a method patch cannot change them");
                continue;
            }
            if (Normalized.code(old).equals(Normalized.code(m))) {
                continue;
            }
            if (m.name.equals("<init>")) {
                problems.add(where + ": constructor changed: a method patch cannot change constructors; move the"
                        + " change into a method the constructor calls, or use a shadow variable (io.jlivepatch.Shadow: see"
                        + " \"Shadow variables\" in the README)");
            } else if (m.name.equals("<clinit>")) {
                problems.add(where + ": static initializer changed: it ran when the class loaded and will not"
                        + " run again" + SHADOW_HINT);
            } else {
                changed.add(m);
            }
        }
        for (MethodNode m : o.methods) {
            String key = m.name + m.desc;
            if (!seen.contains(key) && !isSynthetic(m) && !addedNameExists(n, newKeys, before, m.name)) {
                problems.add(cls + "." + key + ": method removed: a method patch cannot remove methods; keep it");
            }
        }
        if (changed.isEmpty() && added.isEmpty()) {
            return null;
        }
        return new ClassChange(n.name, n.version & 0xFFFF, (n.access & Opcodes.ACC_INTERFACE) != 0, changed, added);
    }

    private static void compareFields(String cls, ClassNode o, ClassNode n, ClassSet newBuild, List<AddedField> fields,
                                      List<String> problems) {
        Map<String, FieldNode> before = new LinkedHashMap<>();
        o.fields.forEach(f -> before.put(f.name, f));
        Set<String> seen = new HashSet<>();
        List<FieldNode> added = new ArrayList<>();
        for (FieldNode f : n.fields) {
            seen.add(f.name);
            FieldNode old = before.get(f.name);
            String where = cls + "." + f.name;
            boolean isEnum = (f.access & Opcodes.ACC_ENUM) != 0;
            if (old == null) {
                String refusedKind = isEnum ? null : unshadowableKind(n);
                if (isEnum) {
                    problems.add(where + ": enum constant added: a method patch cannot change an enum's constants");
                } else if (refusedKind != null) {
                    problems.add(where + ": field added to " + refusedKind + ": a method patch cannot change its"
                            + " layout, and jlivepatch build carries added fields of classes only" + SHADOW_HINT);
                } else {
                    added.add(f);
                }
            } else if (!old.desc.equals(f.desc)) {
                problems.add(where + ": field type changed from " + old.desc + " to " + f.desc
                        + ": a method patch cannot change an object's layout" + SHADOW_HINT);
            } else if ((old.access & Opcodes.ACC_STATIC) != (f.access & Opcodes.ACC_STATIC)) {
                boolean nowStatic = (f.access & Opcodes.ACC_STATIC) != 0;
                problems.add(where + ": field changed from " + (nowStatic ? "instance to static" : "static to instance")
                        + ": a method patch cannot change an object's layout; keep it as it was and add a field of"
                        + " another name");
            } else if (old.access != f.access) {
                problems.add(where + ": field modifiers changed: a method patch cannot change them");
            } else if (!Objects.equals(old.value, f.value)) {
                problems.add(where + ": constant value changed: code compiled against it keeps the"
                        + " old value inlined");
            }
        }
        for (FieldNode f : o.fields) {
            if (!seen.contains(f.name)) {
                boolean isEnum = (f.access & Opcodes.ACC_ENUM) != 0;
                problems.add(cls + "." + f.name + ": " + (isEnum ? "enum constant removed: a method patch cannot"
                        + " change an enum's constants" : "field removed: a method patch cannot change an object's layout"));
            }
        }
        if (added.isEmpty()) {
            return;
        }
        Map<String, AddedField.Initial> initial = FieldInitializers.strip(n, added, newBuild, problems);
        for (FieldNode f : added) {
            fields.add(new AddedField(n.name, f.name, f.desc, (f.access & Opcodes.ACC_STATIC) != 0,
                    (f.access & Opcodes.ACC_VOLATILE) != 0, initial.get(f.name)));
        }
    }

    /** "an enum", "a record" or "an interface" when the class is one (their fields are not carried), else null. */
    private static String unshadowableKind(ClassNode n) {
        if ((n.access & Opcodes.ACC_INTERFACE) != 0) {
            return "an interface";
        }
        if ((n.access & Opcodes.ACC_ENUM) != 0 || "java/lang/Enum".equals(n.superName)) {
            return "an enum";
        }
        if ((n.access & Opcodes.ACC_RECORD) != 0 || "java/lang/Record".equals(n.superName)) {
            return "a record";
        }
        return null;
    }

    /**
     * A shadow variable's holder is carried into its class's package, which the patch must patch
     * (its classes are defined when a patched class of that package is).
     */
    private static void fieldChecks(List<ClassChange> changes, List<AddedField> fields, List<String> problems) {
        Set<String> patchedPackages = new HashSet<>();
        changes.forEach(c -> patchedPackages.add(packageOf(c.name())));
        for (AddedField f : fields) {
            if (!patchedPackages.contains(packageOf(f.owner()))) {
                problems.add(dotted(f.owner()) + "." + f.name() + ": field added to a class of package "
                        + dotted(packageOf(f.owner())) + ", where no method changes: the patch carries a new field's"
                        + " shadow variable only into packages whose classes it patches");
            }
        }
    }

    private static void compareRecord(String cls, ClassNode o, ClassNode n, List<String> problems) {
        List<String> a = components(o.recordComponents);
        List<String> b = components(n.recordComponents);
        if (!a.equals(b)) {
            problems.add(cls + ": record components changed from " + a + " to " + b
                    + ": a method patch cannot change a record's components");
        }
    }

    private static List<String> components(List<RecordComponentNode> rc) {
        List<String> out = new ArrayList<>();
        if (rc != null) {
            rc.forEach(r -> out.add(r.name + " " + r.descriptor));
        }
        return out;
    }

    /**
     * Changed code may call methods added to its own class (carried in the patch) but not methods
     * added to another class, which the patch cannot name: the carried copies are hidden classes.
     */
    private static void crossChecks(List<ClassChange> changes, List<String> newClasses, ClassSet newBuild,
                                    List<String> problems) {
        Map<String, Set<String>> addedByClass = new LinkedHashMap<>();
        for (ClassChange c : changes) {
            Set<String> keys = new HashSet<>();
            c.added().forEach(m -> keys.add(m.name + m.desc));
            addedByClass.put(c.name(), keys);
        }
        Set<String> patchedPackages = new HashSet<>();
        changes.forEach(c -> patchedPackages.add(packageOf(c.name())));
        for (ClassChange c : changes) {
            List<MethodNode> all = new ArrayList<>(c.changed());
            all.addAll(c.added());
            for (MethodNode m : all) {
                for (AbstractInsnNode i = m.instructions.getFirst(); i != null; i = i.getNext()) {
                    for (Handle call : members(i)) {
                        Set<String> added = addedByClass.get(call.getOwner());
                        if (added != null && !call.getOwner().equals(c.name())
                                && added.contains(call.getName() + call.getDesc())) {
                            problems.add(dotted(c.name()) + "." + m.name + m.desc + " calls " + dotted(call.getOwner())
                                    + "." + call.getName() + call.getDesc() + ", which the new build adds to another"
                                    + " class: move it into " + dotted(c.name()) + " or a new class");
                        }
                    }
                }
            }
        }
        // a new class is carried as it is: its calls name the running class, which lacks what the build adds
        for (String nc : newClasses) {
            for (MethodNode m : Normalized.parse(newBuild.classes().get(nc)).methods) {
                for (AbstractInsnNode i = m.instructions.getFirst(); i != null; i = i.getNext()) {
                    for (Handle call : members(i)) {
                        Set<String> added = addedByClass.get(call.getOwner());
                        if (added != null && added.contains(call.getName() + call.getDesc())) {
                            problems.add(dotted(nc) + "." + m.name + m.desc + " calls " + dotted(call.getOwner())
                                    + "." + call.getName() + call.getDesc() + ", which the new build adds to that"
                                    + " class: a new class reaches the running class, which does not have it; move"
                                    + " it into " + dotted(nc) + " or another new class");
                        }
                    }
                }
            }
        }
        for (String nc : newClasses) {
            if (!patchedPackages.contains(packageOf(nc))) {
                problems.add(dotted(nc) + ": new class in package " + packageOf(nc).replace('/', '.') + ", where no"
                        + " class changes: the patch carries new classes only into packages whose classes it patches");
            }
        }
    }

    /**
     * The members an instruction uses, as handles (a field's tag is a field handle's): those it calls
     * or reaches, and those it makes a handle of (a method reference, a lambda's body).
     */
    private static List<Handle> members(AbstractInsnNode i) {
        List<Handle> out = new ArrayList<>();
        if (i instanceof MethodInsnNode) {
            MethodInsnNode call = (MethodInsnNode) i;
            out.add(new Handle(Opcodes.H_INVOKEVIRTUAL, call.owner, call.name, call.desc, call.itf));
        } else if (i instanceof org.objectweb.asm.tree.FieldInsnNode) {
            org.objectweb.asm.tree.FieldInsnNode f = (org.objectweb.asm.tree.FieldInsnNode) i;
            out.add(new Handle(Opcodes.H_GETFIELD, f.owner, f.name, f.desc, false));
        } else if (i instanceof InvokeDynamicInsnNode) {
            InvokeDynamicInsnNode d = (InvokeDynamicInsnNode) i;
            out.add(d.bsm);
            for (Object arg : d.bsmArgs) {
                if (arg instanceof Handle) {
                    out.add((Handle) arg);
                }
            }
        } else if (i instanceof LdcInsnNode && ((LdcInsnNode) i).cst instanceof Handle) {
            out.add((Handle) ((LdcInsnNode) i).cst);
        }
        return out;
    }

    /**
     * A new nested class of a running class is carried as a plain class: it cannot join the running
     * class's nest, so private access across that nest would fail at run time. Refuse exactly
     * that: code of the new class using private members of its nest, or patched code of the nest
     * using private members of the new class. (javac's enum switch maps and package-private nested
     * classes are fine.)
     */
    private static void nestChecks(ClassSet newBuild, ClassSet oldBuild, List<ClassChange> changes,
                                   List<String> newClasses, List<AddedField> fields, List<String> problems) {
        // an added field is reached through its public shadow holder, never as a private member
        Set<String> shadowed = new HashSet<>();
        fields.forEach(f -> shadowed.add(f.owner() + "." + f.name() + ":" + f.desc()));
        Map<String, ClassNode> parsed = new java.util.HashMap<>();
        java.util.function.Function<String, ClassNode> node = n -> parsed.computeIfAbsent(n,
                k -> newBuild.classes().containsKey(k) ? Normalized.parse(newBuild.classes().get(k)) : null);
        for (String nc : newClasses) {
            ClassNode c = node.apply(nc);
            String host = c.nestHostClass;
            if (host == null || !oldBuild.classes().containsKey(host)) {
                continue;
            }
            Set<String> nest = new HashSet<>();
            nest.add(host);
            ClassNode h = node.apply(host);
            if (h != null && h.nestMembers != null) {
                nest.addAll(h.nestMembers);
            }
            nest.remove(nc);
            for (MethodNode m : c.methods) {
                String used = privateUse(m, nest, node, shadowed);
                if (used != null) {
                    problems.add(dotted(nc) + ": new nested class of " + dotted(host) + " uses private " + used
                            + ", but it cannot join the running " + dotted(host) + "'s nest: make that member"
                            + " package-private, or the class top-level");
                    break;
                }
            }
            for (ClassChange change : changes) {
                if (!nest.contains(change.name())) {
                    continue;
                }
                List<MethodNode> all = new ArrayList<>(change.changed());
                all.addAll(change.added());
                for (MethodNode m : all) {
                    String used = privateUse(m, Set.of(nc), node, shadowed);
                    if (used != null) {
                        problems.add(dotted(change.name()) + "." + m.name + m.desc + " uses private " + used
                                + " of the new nested class " + dotted(nc) + ", which cannot join the running nest:"
                                + " make that member package-private");
                    }
                }
            }
        }
    }

    /** The first private member of a class in {@code owners} that {@code m} uses, or null. */
    private static String privateUse(MethodNode m, Set<String> owners,
                                     java.util.function.Function<String, ClassNode> node, Set<String> shadowed) {
        for (AbstractInsnNode i = m.instructions.getFirst(); i != null; i = i.getNext()) {
            // a method reference's handle is an access as much as a call (IllegalAccessError when the lambda is made)
            for (Handle h : members(i)) {
                String owner = h.getOwner();
                String name = h.getName();
                String desc = h.getDesc();
                boolean field = h.getTag() <= Opcodes.H_PUTSTATIC;
                if (!owners.contains(owner) || field && shadowed.contains(owner + "." + name + ":" + desc)) {
                    continue;
                }
                ClassNode o = node.apply(owner);
                if (o == null) {
                    continue;
                }
                boolean isPrivate = field
                        ? o.fields.stream().anyMatch(f -> f.name.equals(name) && f.desc.equals(desc)
                                && (f.access & Opcodes.ACC_PRIVATE) != 0)
                        : o.methods.stream().anyMatch(x -> x.name.equals(name) && x.desc.equals(desc)
                                && (x.access & Opcodes.ACC_PRIVATE) != 0);
                if (isPrivate) {
                    return dotted(owner) + "." + name + (field ? "" : desc);
                }
            }
        }
        return null;
    }

    static String packageOf(String internalName) {
        int slash = internalName.lastIndexOf('/');
        return slash < 0 ? "" : internalName.substring(0, slash);
    }

    private static boolean isSynthetic(MethodNode m) {
        return (m.access & Opcodes.ACC_SYNTHETIC) != 0;
    }

    /** Whether the new build adds a method of that name: the removal is then reported as a signature change. */
    private static boolean addedNameExists(ClassNode n, Set<String> newKeys, Map<String, MethodNode> before, String name) {
        return n.methods.stream().anyMatch(m -> m.name.equals(name) && !before.containsKey(m.name + m.desc)
                && (m.access & Opcodes.ACC_SYNTHETIC) == 0);
    }

    static String dotted(String internalName) {
        return internalName == null ? "none" : internalName.replace('/', '.');
    }

    static String dotted(List<String> internalNames) {
        return internalNames.stream().map(BuildDiff::dotted).toList().toString();
    }
}
