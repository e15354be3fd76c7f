package io.jlivepatch.jar;

import io.jlivepatch.PatchException;
import io.jlivepatch.internal.jar.PatchJar;
import io.jlivepatch.internal.jar.ReplacesScanner;
import org.junit.jupiter.api.AfterEach;
import org.objectweb.asm.Opcodes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A replacement that calls the method it replaces runs itself again at every call (a
 * StackOverflowError), where its author meant the original, which @Next gives: a warning, never a
 * refusal (a recursive method's replacement may mean it). Read in ReplacesScanner's pass over the
 * patch class ({@code ReplacesScanner.Entry.callsItsTarget}).
 */
class SelfCallsTest {

    private static final String SELF_CALLING = "nextapp.fix.SelfCallFix";

    @TempDir
    Path dir;

    @AfterEach
    void cleanUp() throws PatchException {
        Jars.removeAll();
    }

    private Path jar(String name, String patchClass) throws Exception {
        return Jars.write(dir.resolve(name + ".jar"), Jars.manifest(name, patchClass), Jars.classes(patchClass));
    }

    private static List<String> warnings(Path jar) throws PatchException {
        PatchJar read = PatchJar.read(jar);
        return ReplacesScanner.selfCallWarnings(read, ReplacesScanner.scan(read));
    }

    @Test
    void aReplacementThatCallsItsTargetIsWarnedOfWithNext() throws Exception {
        List<String> warnings = warnings(jar("self-call", SELF_CALLING));
        assertEquals(List.of("nextapp.fix.SelfCallFix.plain calls nextapp.Shop.plain, the method it replaces: that"
                        + " call runs the replacement again, not the original (a StackOverflowError, unless it"
                        + " recurses on purpose); to call the original, give it a last parameter '@Next MethodHandle"
                        + " next' and invoke that",
                "nextapp.fix.SelfCallFix.twice calls nextapp.Shop.twice(I)I, the method it replaces: that call runs"
                        + " the replacement again, not the original (a StackOverflowError, unless it recurses on"
                        + " purpose); to call the original, give it a last parameter '@Next MethodHandle next' and"
                        + " invoke that"), warnings, "label calls plain, another method: not warned of");
    }

    /**
     * A JAR of jlivepatch build: its replacement's call of its target is the new build's own recursion
     * (each level runs the new version, as after a restart), which the build warned of in its words.
     */
    @Test
    void aJarOfJlivepatchBuildIsNotWarnedOfItsRecursion() throws Exception {
        java.util.Map<String, String> manifest = Jars.manifest("built", SELF_CALLING);
        manifest.put(PatchJar.NEW_BUILD, "6d2a4e2f02ce97683cbb8cc578bdbf730ef38d17b037a1062f374ce204f7e231");
        Path built = Jars.write(dir.resolve("built.jar"), manifest, Jars.classes(SELF_CALLING));
        assertEquals(List.of(), warnings(built));
    }

    @Test
    void aReplacementThatCallsTheOriginalThroughNextIsNotWarnedOf() throws Exception {
        assertEquals(List.of(), warnings(jar("next", "nextapp.fix.ShopFix")));
    }

    @Test
    void loadingTheJarLogsTheWarningAndRegistersThePatch() throws Exception {
        List<String> logged = new ArrayList<>();
        Logger logger = Logger.getLogger("io.jlivepatch");
        Handler handler = new Handler() {
            @Override
            public void publish(LogRecord r) {
                logged.add(r.getLevel() + " " + java.text.MessageFormat.format(r.getMessage(),
                        r.getParameters() == null ? new Object[0] : r.getParameters()));
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        logger.addHandler(handler);
        try {
            Path jar = jar("self-call", SELF_CALLING);
            assertFalse(Jars.lp().load(jar).isEnabled(), "registered, not refused");
            assertTrue(logged.stream().anyMatch(l -> l.startsWith("WARNING patch JAR " + jar + ": nextapp.fix"
                    + ".SelfCallFix.plain calls nextapp.Shop.plain, the method it replaces") && l.contains("@Next")),
                    logged.toString());
            Jars.removeAll();
            logged.clear();
            Jars.lp().load(jar("next", "nextapp.fix.ShopFix"));
            assertTrue(logged.stream().noneMatch(l -> l.contains("the method it replaces")), logged.toString());
        } finally {
            logger.removeHandler(handler);
        }
    }
    /**
     * Code ASM cannot read, in a class whose annotations it can: the functions are read as before the
     * code was (the load's checks refuse the class, ClassFileCheck.parseAll), and no call is said to be
     * made.
     */
    @Test
    void unreadableCodeLeavesTheFunctionsAsReadWithoutItAndWarnsOfNothing() throws Exception {
        byte[] sound = selfCallingNext();
        Path readable = Jars.write(dir.resolve("readable.jar"), Jars.manifest("readable", "jarapp.fix.Loops"),
                Map.of("jarapp/fix/Loops.class", sound));
        assertEquals(1, warnings(readable).size(), "the call of Counter.next from its replacement is seen");

        byte[] broken = sound.clone();
        int at = indexOf(broken, new byte[] {Opcodes.SIPUSH, 0x7A, 0x7A, Opcodes.POP});
        broken[at] = (byte) 0xFF; // impdep2: no opcode of a class file, ASM cannot read past it
        Path jar = Jars.write(dir.resolve("broken.jar"), Jars.manifest("broken", "jarapp.fix.Loops"),
                Map.of("jarapp/fix/Loops.class", broken));
        PatchJar read = PatchJar.read(jar);
        List<ReplacesScanner.Entry> entries = ReplacesScanner.scan(read);
        assertEquals(1, entries.size());
        assertEquals("jarapp.Counter.next", entries.get(0).target() + "." + entries.get(0).method());
        assertFalse(entries.get(0).callsItsTarget());
        assertEquals(List.of(), ReplacesScanner.selfCallWarnings(read, entries));
        PatchException refused = assertThrows(PatchException.class, () -> ReplacesScanner.scanChecked(read));
        assertTrue(refused.getMessage().contains("class file 'jarapp/fix/Loops.class' cannot be parsed"),
                refused.getMessage());
    }

    /** next(Counter) that calls counter.next() and then pushes 0x7A7A, a mark to find in the class file. */
    private static byte[] selfCallingNext() {
        return Jars.patchClass("jarapp.fix.Loops", mv -> {
            mv.visitVarInsn(Opcodes.ALOAD, 0);
            mv.visitMethodInsn(Opcodes.INVOKEVIRTUAL, "jarapp/Counter", "next", "()I", false);
            mv.visitInsn(Opcodes.POP);
            mv.visitIntInsn(Opcodes.SIPUSH, 0x7A7A);
            mv.visitInsn(Opcodes.POP);
            Jars.returnsMinusOne(mv);
        });
    }

    private static int indexOf(byte[] bytes, byte[] part) {
        for (int i = 0; i + part.length <= bytes.length; i++) {
            if (Arrays.equals(bytes, i, i + part.length, part, 0, part.length)) {
                return i;
            }
        }
        throw new AssertionError("not in the class file: " + Arrays.toString(part));
    }
}
