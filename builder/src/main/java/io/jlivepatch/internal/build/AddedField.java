package io.jlivepatch.internal.build;

import io.jlivepatch.internal.Sha256;
import org.objectweb.asm.Type;

import java.nio.charset.StandardCharsets;

/**
 * A field the new build adds to a class both builds have, carried as a shadow variable: the patch
 * cannot add it to the running class, so every access of it in the code the patch carries goes to
 * a holder ({@link ShadowBoxWriter}) attached with {@code io.jlivepatch.Shadow} to the object (or,
 * for a static field, to the class's {@code Class} object).
 *
 * @param owner      internal name of the class that declares it
 * @param name       the field's name
 * @param desc       its descriptor
 * @param isStatic   whether it is static
 * @param isVolatile whether it is volatile: the holder's field is then volatile too
 * @param initial    the value every object's field starts as, or null for the type's default
 */
record AddedField(String owner, String name, String desc, boolean isStatic, boolean isVolatile, Initial initial) {

    /** What separates the owner from the field's name in the holder's name: {@code acme/Account$$Shadow$audits}. */
    static final String BOX_INFIX = "$$Shadow$";

    /**
     * A field's initial value as the new build's constructors (or static initializer) set it.
     *
     * @param constant a constant as ASM gives it ({@code Integer}, {@code Long}, {@code Float},
     *                 {@code Double}, {@code String}, {@code Type}), or null
     * @param newType  the internal name of a class made with its no-argument constructor, or null
     */
    record Initial(Object constant, String newType) {

        static Initial ofConstant(Object constant) {
            return new Initial(constant, null);
        }

        static Initial ofNew(String type) {
            return new Initial(null, type);
        }

        /** As Java source would write it, for the report. */
        String describe(String desc) {
            if (newType != null) {
                return "new " + BuildDiff.dotted(newType) + "()";
            }
            if (constant == null) {
                return "null";
            }
            if (constant instanceof String) {
                return "\"" + constant + "\"";
            }
            if (constant instanceof Type) {
                return ((Type) constant).getClassName() + ".class";
            }
            if (desc.equals("Z")) {
                return ((Integer) constant) != 0 ? "true" : "false";
            }
            if (desc.equals("C")) {
                return "(char) " + constant;
            }
            return constant.toString();
        }
    }

    /**
     * The shadow variable's id: the first 8 bytes of SHA-256 of
     * {@code "jlivepatch-field:" + owner + "." + name + ":" + desc} (owner as a binary name,
     * {@code acme.Account}), big-endian. It depends on nothing else, so the next build of the same
     * fix (a cumulative patch replacing this one) finds the values this one attached.
     */
    long id() {
        return idOf(owner, name, desc);
    }

    static long idOf(String owner, String name, String desc) {
        String key = "jlivepatch-field:" + BuildDiff.dotted(owner) + "." + name + ":" + desc;
        String hex = Sha256.hex(key.getBytes(StandardCharsets.UTF_8));
        return Long.parseUnsignedLong(hex.substring(0, 16), 16);
    }

    /** The holder class carried in the patch, in the owner's package (so defined in its loader). */
    String boxName() {
        return owner + BOX_INFIX + name;
    }

    /** {@code acme.Account.audits (I) -> shadow variable 0x...}, with the initial value if any. */
    String reportLine() {
        return BuildDiff.dotted(owner) + "." + name + " (" + (isStatic ? "static " : "") + desc + ") -> shadow variable 0x"
                + String.format("%016x", id()) + (initial == null ? "" : ", starting as " + initial.describe(desc));
    }
}
