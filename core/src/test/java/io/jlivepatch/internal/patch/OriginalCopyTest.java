package io.jlivepatch.internal.patch;

import copyapp.Copyable;
import copyapp.Refused;
import org.junit.jupiter.api.Test;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.ConstantDynamic;
import org.objectweb.asm.Handle;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;

import java.io.IOException;
import java.io.InputStream;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.ArrayList;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The copies {@code @Next} runs as the original code: what they run, and what is refused. */
class OriginalCopyTest {

    private static byte[] classFile(Class<?> c) throws IOException {
        if (c.getName().equals("copyapp.Generated")) {
            return GENERATED;
        }
        try (InputStream in = c.getResourceAsStream("/" + c.getName().replace('.', '/') + ".class")) {
            return in.readAllBytes();
        }
    }

    /**
     * The copy of {@code c}'s method {@code name} of type {@code own}, defined as a hidden nestmate of
     * {@code c} as OriginalCopies does: typed {@code own}, receiver first for an instance method.
     */
    private static MethodHandle copy(Class<?> c, String name, MethodType own) throws Exception {
        OriginalCopy.Result r = OriginalCopy.write(classFile(c), c, name, own.toMethodDescriptorString());
        boolean isStatic = java.lang.reflect.Modifier.isStatic(c.getDeclaredMethod(name, own.parameterArray())
                .getModifiers());
        MethodType type = isStatic ? own : own.insertParameterTypes(0, c);
        assertNull(r.refusal(), () -> name + " was refused: " + r.refusal());
        MethodHandles.Lookup copy = MethodHandles.privateLookupIn(c, MethodHandles.lookup())
                .defineHiddenClass(r.bytes(), true, MethodHandles.Lookup.ClassOption.NESTMATE);
        assertTrue(copy.lookupClass().isHidden());
        return copy.findStatic(copy.lookupClass(), OriginalCopy.METHOD, type);
    }

    private static String refusal(Class<?> c, String name, MethodType type) throws IOException {
        OriginalCopy.Result r = OriginalCopy.write(classFile(c), c, name, type.toMethodDescriptorString());
        assertNull(r.bytes());
        assertNotNull(r.refusal(), name + " was copied");
        return r.refusal();
    }

    @Test
    void theCopyReachesTheNestsPrivateMembersAndRunsLambdas() throws Throwable {
        MethodHandle describe = copy(Copyable.class, "describe", MethodType.methodType(String.class, String.class));
        Copyable c = new Copyable(4);
        assertEquals(c.describe("a"), (String) describe.invokeExact(c, "a"));
        assertEquals("<a>10", (String) describe.invokeExact(c, "a"));
    }

    @Test
    void theCopyKeepsTwoSlotParametersFramesAndTheReceiversState() throws Throwable {
        MethodHandle sum = copy(Copyable.class, "sum", MethodType.methodType(long.class, long.class, double.class,
                int.class));
        Copyable viaCopy = new Copyable(0);
        Copyable itself = new Copyable(0);
        for (int round = 0; round < 3; round++) {
            assertEquals(itself.sum(7L, 1.5, 4), (long) sum.invokeExact(viaCopy, 7L, 1.5, 4));
        }
    }

    @Test
    void theCopyKeepsTryCatchConstructorsAndArrayClone() throws Throwable {
        MethodHandle parse = copy(Copyable.class, "parse", MethodType.methodType(int.class, String.class));
        assertEquals(12, (int) parse.invokeExact("12"));
        assertEquals(-1, (int) parse.invokeExact("x"));
        MethodHandle twice = copy(Copyable.class, "twice", MethodType.methodType(int[].class, int[].class));
        assertArrayEquals(new int[] {2, 4}, (int[]) twice.invokeExact(new int[] {1, 2}));
    }

    @Test
    void aSynchronizedMethodsCopyHoldsItsMonitorAndReleasesItWhateverHappens() throws Throwable {
        MethodHandle locked = copy(Copyable.class, "locked", MethodType.methodType(boolean.class, boolean.class));
        Copyable c = new Copyable(0);
        assertTrue((boolean) locked.invokeExact(c, false));
        assertTrue(!Thread.holdsLock(c));
        assertThrows(IllegalStateException.class, () -> {
            boolean ignored = (boolean) locked.invokeExact(c, true);
        });
        assertTrue(!Thread.holdsLock(c), "the monitor is released when the code throws");
        MethodHandle lockedStatic = copy(Copyable.class, "lockedStatic", MethodType.methodType(boolean.class));
        assertTrue((boolean) lockedStatic.invokeExact());
        assertTrue(!Thread.holdsLock(Copyable.class));
    }

    @Test
    void enumsAndRecordsAreCopied() throws Throwable {
        MethodHandle next = copy(Copyable.Size.class, "next", MethodType.methodType(Copyable.Size.class));
        assertEquals(Copyable.Size.LARGE, (Copyable.Size) next.invokeExact(Copyable.Size.SMALL));
        MethodHandle area = copy(Copyable.Box.class, "area", MethodType.methodType(int.class));
        assertEquals(6, (int) area.invokeExact(new Copyable.Box(2, 3)));
    }

    @Test
    void aNullReceiverFailsBeforeAnyOfTheCodeRuns() throws Throwable {
        MethodHandle name = copy(Copyable.class, "name", MethodType.methodType(String.class));
        new Copyable(1).describe("before");
        assertThrows(NullPointerException.class, () -> {
            String ignored = (String) name.invokeExact((Copyable) null);
        });
        assertEquals("<before>", Copyable.lastTag()); // the method's first write did not happen
    }

    @Test
    void codeThatBehavesDifferentlyInAnotherClassIsRefused() throws IOException {
        MethodType obj = MethodType.methodType(Object.class);
        assertEquals("it calls a superclass's method (super.toString)",
                refusal(Refused.class, "superCall", MethodType.methodType(String.class)));
        assertEquals("it asks for its caller class (java.lang.invoke.MethodHandles.lookup)",
                refusal(Refused.class, "lookup", MethodType.methodType(Class.class)));
        assertTrue(refusal(Refused.class, "walker", MethodType.methodType(Class.class))
                .startsWith("it asks for its caller class (java.lang.StackWalker."));
        assertEquals("it calls clone(), which may be Object's protected method",
                refusal(Refused.class, "cloned", MethodType.methodType(Object.class, ArrayList.class)));
        assertEquals("it uses invokedynamic with java/lang/invoke/LambdaMetafactory.altMetafactory",
                refusal(Refused.class, "serializableLambda", MethodType.methodType(Runnable.class)));
        assertEquals("it uses invokedynamic with java/lang/runtime/ObjectMethods.bootstrap",
                refusal(Refused.Point.class, "toString", MethodType.methodType(String.class)));
        assertEquals("a method of an interface",
                refusal(Refused.Shape.class, "corners", MethodType.methodType(int.class)));
        assertEquals("the class extends java.util.AbstractList of another runtime package, whose protected members"
                + " a copy could not reach",
                refusal(Refused.Names.class, "get", MethodType.methodType(String.class, int.class)));
        assertEquals("the class file has no code for the method", refusal(Refused.class, "absent", obj));
        assertEquals("the class file is of copyapp/Refused, not of copyapp.Copyable",
                OriginalCopy.write(classFile(Refused.class), Copyable.class, "name", "()Ljava/lang/String;").refusal());
    }

    @Test
    void aJdkClassIsNotCopied() throws Exception {
        java.lang.reflect.Method target = String.class.getMethod("trim");
        String key = "trim()Ljava/lang/String;";
        OriginalCopies.received(null, "java.lang.String", classFile(String.class), true, null);
        try {
            assertNull(OriginalCopies.handle(String.class, target, key, null));
            assertEquals("a class of the JDK", OriginalCopies.state(String.class, key));
        } finally {
            OriginalCopies.received(null, "java.lang.String", classFile(String.class), false, null);
        }
    }

    @Test
    void aClassWhoseFileWasNotKeptIsNotCopied() throws Exception {
        java.lang.reflect.Method target = Copyable.class.getMethod("name");
        assertNull(OriginalCopies.handle(Copyable.class, target, "name()Ljava/lang/String;", null));
        assertNull(OriginalCopies.state(Copyable.class, "name()Ljava/lang/String;"));
    }

    @Test
    void handlesOfKindInvokespecialAndDynamicConstantsAreRefused() throws Exception {
        Class<?> c = generated();
        assertEquals("it takes a method handle of kind invokespecial (toString)",
                refusal(c, "special", MethodType.methodType(Object.class)));
        assertEquals("it loads a dynamic constant", refusal(c, "dynamic", MethodType.methodType(Object.class)));
        assertEquals("it uses invokedynamic with java/lang/runtime/ObjectMethods.bootstrap",
                refusal(c, "indy", MethodType.methodType(Object.class)));
        assertEquals("the method is synchronized and stores into its receiver's local",
                refusal(c, "storing", MethodType.methodType(Object.class)));
    }

    /**
     * copyapp.Generated: four methods javac would not write (an invokespecial handle, a dynamic
     * constant, a record bootstrap outside a record, a synchronized method storing into its receiver's local).
     */
    private static Class<?> generated() throws IllegalAccessException {
        ClassWriter cw = new ClassWriter(ClassWriter.COMPUTE_MAXS);
        cw.visit(Opcodes.V17, Opcodes.ACC_PUBLIC | Opcodes.ACC_SUPER, "copyapp/Generated", null, "java/lang/Object",
                null);
        MethodVisitor special = cw.visitMethod(Opcodes.ACC_PUBLIC, "special", "()Ljava/lang/Object;", null, null);
        special.visitCode();
        special.visitLdcInsn(new Handle(Opcodes.H_INVOKESPECIAL, "java/lang/Object", "toString",
                "()Ljava/lang/String;", false));
        special.visitInsn(Opcodes.ARETURN);
        special.visitMaxs(0, 0);
        special.visitEnd();
        MethodVisitor dynamic = cw.visitMethod(Opcodes.ACC_PUBLIC, "dynamic", "()Ljava/lang/Object;", null, null);
        dynamic.visitCode();
        dynamic.visitLdcInsn(new ConstantDynamic("c", "Ljava/lang/Object;", new Handle(Opcodes.H_INVOKESTATIC,
                "java/lang/invoke/ConstantBootstraps", "nullConstant",
                "(Ljava/lang/invoke/MethodHandles$Lookup;Ljava/lang/String;Ljava/lang/Class;)Ljava/lang/Object;",
                false)));
        dynamic.visitInsn(Opcodes.ARETURN);
        dynamic.visitMaxs(0, 0);
        dynamic.visitEnd();
        MethodVisitor indy = cw.visitMethod(Opcodes.ACC_PUBLIC, "indy", "()Ljava/lang/Object;", null, null);
        indy.visitCode();
        indy.visitInvokeDynamicInsn("x", "()Ljava/lang/Object;", new Handle(Opcodes.H_INVOKESTATIC,
                "java/lang/runtime/ObjectMethods", "bootstrap", "(Ljava/lang/invoke/MethodHandles$Lookup;"
                + "Ljava/lang/String;Ljava/lang/invoke/TypeDescriptor;Ljava/lang/Class;Ljava/lang/String;"
                + "[Ljava/lang/invoke/MethodHandle;)Ljava/lang/Object;", false));
        indy.visitInsn(Opcodes.ARETURN);
        indy.visitMaxs(0, 0);
        indy.visitEnd();
        MethodVisitor storing = cw.visitMethod(Opcodes.ACC_PUBLIC | Opcodes.ACC_SYNCHRONIZED, "storing",
                "()Ljava/lang/Object;", null, null);
        storing.visitCode();
        storing.visitInsn(Opcodes.ACONST_NULL);
        storing.visitVarInsn(Opcodes.ASTORE, 0);
        storing.visitInsn(Opcodes.ACONST_NULL);
        storing.visitInsn(Opcodes.ARETURN);
        storing.visitMaxs(0, 0);
        storing.visitEnd();
        cw.visitEnd();
        byte[] bytes = cw.toByteArray();
        GENERATED = bytes;
        return MethodHandles.privateLookupIn(Copyable.class, MethodHandles.lookup()).defineClass(bytes);
    }

    /** The generated class's file, which no loader holds: classFile() reads it from here. */
    private static byte[] GENERATED;
}
