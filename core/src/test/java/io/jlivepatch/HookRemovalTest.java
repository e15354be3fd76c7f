package io.jlivepatch;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import testapp.Calc;

import java.util.List;
import java.util.Map;

import static io.jlivepatch.TestSupport.livepatch;
import static io.jlivepatch.TestSupport.method;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A method carries a hook exactly while at least one enabled patch replaces it; once the last one
 * is disabled the class is back to its own bytecode.
 */
class HookRemovalTest {

    private static final String ADD = "add(II)I";
    private static final String SQUARE = "square(I)I";

    public static int add(Calc c, int a, int b) {
        return a * b;
    }

    public static int addAgain(Calc c, int a, int b) {
        return a - b;
    }

    public static int square(int a) {
        return -a;
    }

    @AfterEach
    void cleanUp() throws PatchException {
        TestSupport.removeAllPatches();
    }

    private static PatchHandle register(String name, String replacement) throws PatchException {
        return livepatch().register(Patch.builder(name).replace(method(Calc.class, "add", int.class, int.class),
                method(HookRemovalTest.class, replacement, Calc.class, int.class, int.class)).build());
    }

    @Test
    void theProbeSeesTheClassesOwnBytecodeWhenNothingIsPatched() {
        new Calc();
        Map<String, String> own = BytecodeProbe.methods(TestSupport.classFile(Calc.class.getName()));
        assertEquals(own, BytecodeProbe.methods(Calc.class));
        assertEquals(List.of(), BytecodeProbe.hookedMethods(Calc.class));
    }

    @Test
    void aHookIsPresentWhileEnabledAndRemovedAfterTheLastDisable() throws Exception {
        Calc c = new Calc();
        Map<String, String> before = BytecodeProbe.methods(Calc.class);
        PatchHandle h = register("hooks-single", "add");
        assertEquals(before, BytecodeProbe.methods(Calc.class), "registering alone adds no hook");

        h.enable();
        Map<String, String> hooked = BytecodeProbe.methods(Calc.class);
        assertEquals(List.of(ADD), BytecodeProbe.hookedMethods(Calc.class));
        assertNotEquals(before.get(ADD), hooked.get(ADD));
        assertTrue(hooked.get(ADD).trim().startsWith("INVOKEDYNAMIC guard()Z"), hooked.get(ADD));
        String prologueEnd = "    IRETURN\n";
        String rest = hooked.get(ADD).substring(hooked.get(ADD).indexOf(prologueEnd) + prologueEnd.length());
        assertTrue(hooked.get(ADD).substring(0, hooked.get(ADD).indexOf(prologueEnd))
                .contains("INVOKEDYNAMIC call(Ltestapp/Calc;II)I"), hooked.get(ADD));
        assertEquals(before.get(ADD), rest.replace("   FRAME SAME\n", ""),
                "after the prologue and its frame, the original code follows untouched");
        assertEquals(before.get(SQUARE), hooked.get(SQUARE), "other methods keep their code");
        assertEquals(2, c.add(1, 2));

        h.disable();
        assertEquals(before, BytecodeProbe.methods(Calc.class));
        assertEquals(BytecodeProbe.methods(TestSupport.classFile(Calc.class.getName())),
                BytecodeProbe.methods(Calc.class), "back to the class file's own bytecode");
        assertEquals(3, c.add(1, 2));
    }

    @Test
    void aHookStaysWhileAnyPatchOnTheMethodIsEnabled() throws Exception {
        Calc c = new Calc();
        Map<String, String> before = BytecodeProbe.methods(Calc.class);
        PatchHandle lower = register("hooks-lower", "add");
        PatchHandle upper = register("hooks-upper", "addAgain");
        lower.enable();
        upper.enable();
        assertEquals(-1, c.add(1, 2));
        upper.disable();
        assertEquals(List.of(ADD), BytecodeProbe.hookedMethods(Calc.class));
        assertEquals(2, c.add(1, 2));
        lower.disable();
        assertEquals(before, BytecodeProbe.methods(Calc.class));
        assertEquals(3, c.add(1, 2));
    }

    @Test
    void eachMethodLosesItsHookWhenItsOwnLastPatchGoes() throws Exception {
        Map<String, String> before = BytecodeProbe.methods(Calc.class);
        PatchHandle both = livepatch().register(Patch.builder("hooks-both")
                .replace(method(Calc.class, "square", int.class), method(HookRemovalTest.class, "square", int.class))
                .build());
        PatchHandle addOnly = register("hooks-add-only", "add");
        both.enable();
        assertEquals(List.of(SQUARE), BytecodeProbe.hookedMethods(Calc.class));
        addOnly.enable();
        assertEquals(List.of(ADD, SQUARE), BytecodeProbe.hookedMethods(Calc.class).stream().sorted().toList());
        addOnly.disable();
        assertEquals(List.of(SQUARE), BytecodeProbe.hookedMethods(Calc.class));
        assertEquals(before.get(ADD), BytecodeProbe.methods(Calc.class).get(ADD));
        assertEquals(-3, Calc.square(3));
        both.disable();
        assertEquals(before, BytecodeProbe.methods(Calc.class));
        assertEquals(9, Calc.square(3));
    }
}
