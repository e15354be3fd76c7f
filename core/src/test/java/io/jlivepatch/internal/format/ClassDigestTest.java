package io.jlivepatch.internal.format;

import org.junit.jupiter.api.Test;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.ConstantDynamic;
import org.objectweb.asm.Handle;
import org.objectweb.asm.Label;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;
import org.objectweb.asm.Type;

import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/**
 * {@link ClassDigest#of} tells apart classes whose text rendering ran together before (a string
 * or name holding a line break could read as instructions), and stays what it was for the classes
 * patch JARs were built against so far: JARs record it, and must go on matching.
 */
class ClassDigestTest {

    /**
     * The digest of {@link #ordinary()} as computed before escaping was added: a JAR built before
     * records digests like it. Regex and quote strings, a javac concatenation recipe (its \u0001),
     * handles, a dynamic constant: none holds what is now escaped, so nothing of it may change.
     */
    private static final String ORDINARY_DIGEST = "ae989c22dc9329c06cc9c42cd4ad8a967eee5b49d11b24cf5d47e1e202d263a6";

    @Test
    void anOrdinaryClassKeepsTheDigestJarsBuiltEarlierRecord() {
        assertEquals(ORDINARY_DIGEST, ClassDigest.of(ordinary()));
    }

    @Test
    void aStringThatSpellsInstructionsIsNotThoseInstructions() {
        // "a" + newline + "184 com/acme/Util.evil()V" + ... rendered unescaped as an ldc of "a", a call
        // to Util.evil and an ldc of "b": the very text of the second class's code
        byte[] forged = method(mv -> {
            mv.visitLdcInsn("a\"\n184 com/acme/Util.evil()V\n18 S:\"b");
            mv.visitInsn(Opcodes.POP);
            mv.visitInsn(Opcodes.RETURN);
        });
        byte[] real = method(mv -> {
            mv.visitLdcInsn("a");
            mv.visitMethodInsn(Opcodes.INVOKESTATIC, "com/acme/Util", "evil", "()V", false);
            mv.visitLdcInsn("b");
            mv.visitInsn(Opcodes.POP);
            mv.visitInsn(Opcodes.RETURN);
        });
        assertNotEquals(ClassDigest.of(real), ClassDigest.of(forged));
    }

    @Test
    void aNameThatSpellsInstructionsIsNotThoseInstructions() {
        // a method name holding a line break (the JVM allows it) rendered as a call and a second line
        byte[] forged = method(mv -> {
            mv.visitMethodInsn(Opcodes.INVOKESTATIC, "com/acme/Util", "evil()V\n184 com/acme/Util.good", "()V",
                    false);
            mv.visitInsn(Opcodes.RETURN);
        });
        byte[] real = method(mv -> {
            mv.visitMethodInsn(Opcodes.INVOKESTATIC, "com/acme/Util", "evil", "()V", false);
            mv.visitMethodInsn(Opcodes.INVOKESTATIC, "com/acme/Util", "good", "()V", false);
            mv.visitInsn(Opcodes.RETURN);
        });
        assertNotEquals(ClassDigest.of(real), ClassDigest.of(forged));
    }

    @Test
    void aStringWithTheEscapeCharacterIsNotItsEscapedForm() {
        // the escape character itself is escaped, so no string reads as another's escaped form
        byte[] newline = method(mv -> {
            mv.visitLdcInsn("a\nb");
            mv.visitInsn(Opcodes.POP);
            mv.visitInsn(Opcodes.RETURN);
        });
        byte[] spelled = method(mv -> {
            mv.visitLdcInsn("a" + Normalized.ESCAPE + "000ab");
            mv.visitInsn(Opcodes.POP);
            mv.visitInsn(Opcodes.RETURN);
        });
        assertNotEquals(ClassDigest.of(newline), ClassDigest.of(spelled));
    }

    @Test
    void aStringWithALoneSurrogateIsNotAQuestionMark() {
        // UTF-8 encoding turns a lone surrogate into '?': the rendering escapes it first
        byte[] lone = method(mv -> {
            mv.visitLdcInsn("a\ud800");
            mv.visitInsn(Opcodes.POP);
            mv.visitInsn(Opcodes.RETURN);
        });
        byte[] question = method(mv -> {
            mv.visitLdcInsn("a?");
            mv.visitInsn(Opcodes.POP);
            mv.visitInsn(Opcodes.RETURN);
        });
        assertNotEquals(ClassDigest.of(question), ClassDigest.of(lone));
    }

    /** A class {@code com/acme/Digested} with one static method {@code m()V} whose code {@code body} writes. */
    private static byte[] method(Consumer<MethodVisitor> body) {
        ClassWriter cw = new ClassWriter(ClassWriter.COMPUTE_MAXS);
        cw.visit(Opcodes.V11, Opcodes.ACC_PUBLIC | Opcodes.ACC_SUPER, "com/acme/Digested", null,
                "java/lang/Object", null);
        MethodVisitor mv = cw.visitMethod(Opcodes.ACC_PUBLIC | Opcodes.ACC_STATIC, "m", "()V", null, null);
        mv.visitCode();
        body.accept(mv);
        mv.visitMaxs(0, 0);
        mv.visitEnd();
        cw.visitEnd();
        return cw.toByteArray();
    }

    /** A class using every kind of operand the rendering writes, with the strings ordinary code has. */
    static byte[] ordinary() {
        ClassWriter cw = new ClassWriter(ClassWriter.COMPUTE_MAXS);
        cw.visit(Opcodes.V11, Opcodes.ACC_PUBLIC | Opcodes.ACC_SUPER, "com/acme/Ordinary", null, "java/lang/Object",
                new String[] {"java/lang/Runnable", "java/io/Serializable"});
        cw.visitField(Opcodes.ACC_STATIC | Opcodes.ACC_FINAL, "PATTERN", "Ljava/lang/String;", null, "\\d+ \"x\"")
                .visitEnd();
        cw.visitField(Opcodes.ACC_STATIC | Opcodes.ACC_FINAL, "LIMIT", "J", null, 1L << 40).visitEnd();
        cw.visitField(Opcodes.ACC_PRIVATE, "count", "I", null, null).visitEnd();

        MethodVisitor init = cw.visitMethod(Opcodes.ACC_PUBLIC, "<init>", "()V", null, null);
        init.visitCode();
        init.visitVarInsn(Opcodes.ALOAD, 0);
        init.visitMethodInsn(Opcodes.INVOKESPECIAL, "java/lang/Object", "<init>", "()V", false);
        init.visitInsn(Opcodes.RETURN);
        init.visitMaxs(0, 0);
        init.visitEnd();

        MethodVisitor mv = cw.visitMethod(Opcodes.ACC_PUBLIC, "run", "()V", null, null);
        mv.visitCode();
        Label start = new Label();
        Label end = new Label();
        Label handler = new Label();
        Label done = new Label();
        Label a = new Label();
        Label b = new Label();
        mv.visitTryCatchBlock(start, end, handler, "java/lang/IllegalStateException");
        mv.visitLabel(start);
        mv.visitLdcInsn("C:\\temp\\\"quoted\" text, with; punctuation [and] S:\"x\"");
        mv.visitLdcInsn(Type.getType("Ljava/util/List;"));
        mv.visitInsn(Opcodes.POP2);
        mv.visitLdcInsn(3.5d);
        mv.visitInsn(Opcodes.POP2);
        mv.visitLdcInsn(7L);
        mv.visitInsn(Opcodes.POP2);
        mv.visitLdcInsn(2.5f);
        mv.visitInsn(Opcodes.POP);
        mv.visitLdcInsn(100000);
        mv.visitInsn(Opcodes.POP);
        mv.visitIntInsn(Opcodes.BIPUSH, 42);
        mv.visitInsn(Opcodes.POP);
        mv.visitVarInsn(Opcodes.ALOAD, 0);
        mv.visitFieldInsn(Opcodes.GETFIELD, "com/acme/Ordinary", "count", "I");
        mv.visitVarInsn(Opcodes.ISTORE, 1);
        mv.visitIincInsn(1, 2);
        mv.visitVarInsn(Opcodes.ILOAD, 1);
        mv.visitTableSwitchInsn(0, 1, done, a, b);
        mv.visitLabel(a);
        mv.visitVarInsn(Opcodes.ILOAD, 1);
        mv.visitLookupSwitchInsn(done, new int[] {5, 9}, new Label[] {b, done});
        mv.visitLabel(b);
        mv.visitTypeInsn(Opcodes.NEW, "java/lang/StringBuilder");
        mv.visitInsn(Opcodes.POP);
        mv.visitInsn(Opcodes.ICONST_2);
        mv.visitInsn(Opcodes.ICONST_3);
        mv.visitMultiANewArrayInsn("[[I", 2);
        mv.visitTypeInsn(Opcodes.CHECKCAST, "[[I");
        mv.visitInsn(Opcodes.POP);
        mv.visitVarInsn(Opcodes.ILOAD, 1);
        mv.visitLdcInsn("x=\"");
        mv.visitInvokeDynamicInsn("makeConcatWithConstants", "(ILjava/lang/String;)Ljava/lang/String;",
                new Handle(Opcodes.H_INVOKESTATIC, "java/lang/invoke/StringConcatFactory", "makeConcatWithConstants",
                        "(Ljava/lang/invoke/MethodHandles$Lookup;Ljava/lang/String;Ljava/lang/invoke/MethodType;"
                                + "Ljava/lang/String;[Ljava/lang/Object;)Ljava/lang/invoke/CallSite;", false),
                "\u0001 and \u0001\"\\n");
        mv.visitInsn(Opcodes.POP);
        mv.visitLdcInsn(new ConstantDynamic("limit", "J", new Handle(Opcodes.H_INVOKESTATIC,
                "java/lang/invoke/ConstantBootstraps", "getStaticFinal",
                "(Ljava/lang/invoke/MethodHandles$Lookup;Ljava/lang/String;Ljava/lang/Class;Ljava/lang/Class;)"
                        + "Ljava/lang/Object;", false), Type.getType("Lcom/acme/Ordinary;"), "a \"b\""));
        mv.visitInsn(Opcodes.POP2);
        mv.visitLdcInsn(new Handle(Opcodes.H_GETSTATIC, "java/lang/System", "out", "Ljava/io/PrintStream;", false));
        mv.visitInsn(Opcodes.POP);
        mv.visitLabel(end);
        mv.visitJumpInsn(Opcodes.GOTO, done);
        mv.visitLabel(handler);
        mv.visitInsn(Opcodes.POP);
        mv.visitLabel(done);
        mv.visitMethodInsn(Opcodes.INVOKESTATIC, "java/lang/Thread", "yield", "()V", false);
        mv.visitInsn(Opcodes.RETURN);
        mv.visitMaxs(0, 0);
        mv.visitEnd();
        cw.visitEnd();
        return cw.toByteArray();
    }
}
