package io.jlivepatch.internal.transition;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * What {@link PatchedMethods#inside} names from the frames inside a held method (innermost first; the
 * held method's frame is the last), and what it must never name: another patch than the one whose
 * code the frame is, or a replacement when the thread runs the application's original code. The
 * target's side (status, JSON, MBean) is WaitingInsidePatchCodeTest's.
 */
class PatchedMethodsInsideTest {

    /** The class name jlivepatch build gives every patch's class for com.acme.Files. */
    private static final String FIX = "com.acme.Files$$Livepatch";
    private static final StackTraceElement HELD = frame("app", "com.acme.Files", "read");
    private static final StackTraceElement PARK = frame(null, "jdk.internal.misc.Unsafe", "park");

    private static StackTraceElement frame(String loader, String cls, String method) {
        return new StackTraceElement(loader, null, null, cls, method, null, -1);
    }

    /** Two stacked patches, each with a replacement com.acme.Files$$Livepatch.read (upper first, as registered). */
    private static PatchedMethods stacked() {
        PatchedMethods m = PatchedMethods.of(List.<String[]>of(new String[] {"com.acme.Files", "read", "()I"}));
        m.addCode(FIX, "read", "fix-2");
        m.addCode(FIX, "read", "fix-1");
        return m;
    }

    private static String inside(PatchedMethods m, StackTraceElement... inner) {
        StackTraceElement[] stack = new StackTraceElement[inner.length + 1];
        System.arraycopy(inner, 0, stack, 0, inner.length);
        stack[inner.length] = HELD;
        return m.inside(stack, null, inner.length);
    }

    private static String insideDumped(PatchedMethods m, String... inner) {
        List<String[]> frames = new ArrayList<>();
        for (String f : inner) {
            int dot = f.lastIndexOf('.');
            frames.add(new String[] {f.substring(0, dot), f.substring(dot + 1)});
        }
        frames.add(new String[] {"com.acme.Files", "read"});
        return m.inside(null, frames, inner.length);
    }

    /** The thread dump's frames as VirtualThreadStacks.frames reads them, the loader's name included. */
    private static String insideDumpedLines(PatchedMethods m, String... inner) {
        List<String> lines = new ArrayList<>(List.of(inner));
        lines.add("app//com.acme.Files.read(Files.java:12)");
        return m.inside(null, VirtualThreadStacks.frames(lines), inner.length);
    }

    /** One patch, fix-1, whose JAR's class com.acme.Files$$Livepatch replaces com.acme.Files.read. */
    private static PatchedMethods onePatch() {
        PatchedMethods m = PatchedMethods.of(List.<String[]>of(new String[] {"com.acme.Files", "read", "()I"}));
        m.addCode(FIX, "read", "fix-1");
        return m;
    }

    /**
     * A class of the patch JAR that is no replacement class (a helper the replacement calls), and the
     * hidden classes its loader defines (a lambda's): the JAR's loader (jlivepatch:fix-1) says they are the
     * patch's code. Before, the replacement further out was named, or nothing, when the thread was inside
     * the helper's static initializer or in a replacement class's own other method.
     */
    @Test
    void aClassThePatchsOwnLoaderDefinedIsThePatchsCodeThoughNoReplacementNamesIt() {
        StackTraceElement replacement = frame("jlivepatch:fix-1", FIX, "read");
        assertEquals("com.acme.Helper.block (patch 'fix-1')",
                inside(onePatch(), PARK, frame("jlivepatch:fix-1", "com.acme.Helper", "block"), replacement));
        assertEquals("the static initializer of com.acme.Helper (patch 'fix-1')",
                inside(onePatch(), PARK, frame("jlivepatch:fix-1", "com.acme.Helper", "<clinit>"), replacement));
        assertEquals("com.acme.Helper$$Lambda/0x0000000800c0aaaa.run (patch 'fix-1')", inside(onePatch(), PARK,
                frame("jlivepatch:fix-1", "com.acme.Helper$$Lambda/0x0000000800c0aaaa", "run"), replacement));
        assertEquals(FIX + ".check (patch 'fix-1')",
                inside(onePatch(), PARK, frame("jlivepatch:fix-1", FIX, "check"), replacement));
        // the thread dump writes the loader's name: its frames tell the same
        assertEquals("com.acme.Helper.block (patch 'fix-1')", insideDumpedLines(onePatch(),
                "java.base/jdk.internal.misc.Unsafe.park(Native Method)",
                "jlivepatch:fix-1//com.acme.Helper.block(Helper.java:7)",
                "jlivepatch:fix-1//" + FIX + ".read(Fix.java:3)"));
        // with nothing to tell by (the API's patches: their classes are the application's), nothing is guessed
        assertEquals("the replacement " + FIX + ".read (patch 'fix-1')",
                inside(onePatch(), PARK, frame("app", "com.acme.Helper", "block"), frame("app", FIX, "read")));
    }

    /**
     * A loader's name is only a name: an application's loader named jlivepatch:fix-1 (any may be) does not
     * make its class patch fix-1's code, nor its class of a replacement's name that replacement; the patch's
     * own loader is asked whether it defined the class (a lambda's hidden class: the class before its $$).
     * Before, the name alone named fix-1 for the application's com.acme.Forged.spin, and an operator
     * disabled or forced fix-1 for the application's own code.
     */
    @Test
    void aLoaderNamedAsAPatchsLoaderIsNotThePatchsUnlessItsLoaderDefinedTheClass() {
        java.util.Set<String> defined = java.util.Set.of(FIX, "com.acme.Helper");
        PatchedMethods m = onePatch().withOwnClasses(java.util.Map.of("fix-1", defined::contains));
        StackTraceElement replacement = frame("jlivepatch:fix-1", FIX, "read");
        assertEquals("the replacement " + FIX + ".read (patch 'fix-1')",
                inside(m, PARK, frame("jlivepatch:fix-1", "com.acme.Forged", "spin"), replacement));
        assertEquals("", inside(m, PARK, frame("jlivepatch:fix-1", "com.acme.Forged", "spin")));
        assertEquals("", inside(m, PARK, frame("jlivepatch:fix-1", "com.acme.Forged", "<clinit>")));
        assertEquals("", inside(m, PARK, frame("jlivepatch:fix-1", "com.acme.Forged$$Lambda/0x0000000800c0aaaa", "run")));
        assertEquals("", insideDumpedLines(m, "java.base/jdk.internal.misc.Unsafe.park(Native Method)",
                "jlivepatch:fix-1//com.acme.Forged.spin(Forged.java:7)"));
        // what the patch's loader defined is named as before
        assertEquals("com.acme.Helper.block (patch 'fix-1')",
                inside(m, PARK, frame("jlivepatch:fix-1", "com.acme.Helper", "block"), replacement));
        assertEquals("com.acme.Helper$$Lambda$14/0x0000000800c0aaaa.run (patch 'fix-1')", inside(m, PARK,
                frame("jlivepatch:fix-1", "com.acme.Helper$$Lambda$14/0x0000000800c0aaaa", "run"), replacement));
        // a patch with no loader of its own (built in code): no frame is its JAR's by a loader's name
        PatchedMethods api = onePatch().withOwnClasses(java.util.Map.of());
        assertEquals("", inside(api, PARK, frame("jlivepatch:fix-1", "com.acme.Helper", "block")));
        assertEquals("", inside(api, PARK, frame("jlivepatch:fix-1", FIX, "read")));
        // a replacement's class of the same name that a forged loader defined is not the replacement
        PatchedMethods none = onePatch().withOwnClasses(java.util.Map.of("fix-1", name -> false));
        assertEquals("", inside(none, PARK, frame("jlivepatch:fix-1", FIX, "read")));
    }

    /** Another patch's loader (one the transition was not given) is not taken for one of these. */
    @Test
    void aClassOfAnotherPatchsLoaderIsNotNamed() {
        assertEquals("the replacement " + FIX + ".read (patch 'fix-1')", inside(onePatch(), PARK,
                frame("jlivepatch:fix-0", "com.acme.Helper", "block"), frame("jlivepatch:fix-1", FIX, "read")));
        assertEquals("", inside(onePatch(), PARK, frame("jlivepatch:fix-0", "com.acme.Helper", "block")));
    }

    /** A method of a Livepatch-Nestmates copy that replaces nothing is the JAR's code too, in any loader's copy. */
    @Test
    void anotherMethodOfAHiddenNestmateReplacementClassIsThePatchsCode() {
        PatchedMethods m = PatchedMethods.of(List.<String[]>of(new String[] {"com.acme.Files", "read", "()I"}));
        m.addCode(FIX + "/0x0000000800c01234", "read", "fix-1");
        assertEquals(FIX + "/0x0000000800c05678.check (patch 'fix-1')",
                inside(m, PARK, frame("webapp-2", FIX + "/0x0000000800c05678", "check")));
    }

    /**
     * An application class's static initializer that a replacement's call started: the application's code
     * holds the thread, and the patch's code started it. Before, 'the replacement ...' alone, as if the
     * replacement's own code held it.
     */
    @Test
    void anApplicationClassesStaticInitializerIsNamedWithThePatchCodeThatCalledIt() {
        StackTraceElement init = frame("app", "com.acme.Config", "<clinit>");
        assertEquals("the static initializer of com.acme.Config, called from the replacement " + FIX
                + ".read (patch 'fix-1')", inside(onePatch(), PARK, init, frame("jlivepatch:fix-1", FIX, "read")));
        assertEquals("the static initializer of com.acme.Config, called from the ctor of a shadow variable"
                + " (Shadow.getOrAttach or attach), from the replacement " + FIX + ".read (patch 'fix-1')",
                inside(onePatch(), PARK, init, frame(null, "io.jlivepatch.internal.bootstrap.ShadowStore", "construct"),
                        frame("jlivepatch:fix-1", FIX, "read")));
        assertEquals("the static initializer of com.acme.Config, called from com.acme.Helper.block (patch 'fix-1')",
                inside(onePatch(), PARK, init, frame("app", "com.acme.Config", "load"),
                        frame("jlivepatch:fix-1", "com.acme.Helper", "block"), frame("jlivepatch:fix-1", FIX, "read")));
        // the application's own initializer, no patch's code around it: nothing of a patch's to name
        assertEquals("", inside(onePatch(), PARK, init));
        // run by @Next's copy of the original: the application's code all the way
        assertEquals("", inside(onePatch(), PARK, init,
                frame("app", "com.acme.Files$$JlpOriginal/0x0000000800c09abc", "original"),
                frame("jlivepatch:fix-1", FIX, "read")));
    }

    /**
     * The lower patch's replacement, in its JAR's loader (jlivepatch:fix-1), while the upper one's
     * transition runs: before, the upper one was named, whose code the thread had never run.
     */
    @Test
    void ofTwoPatchesWhoseClassesShareTheNameTheLoaderTellsWhich() {
        assertEquals("the replacement " + FIX + ".read (patch 'fix-1')",
                inside(stacked(), PARK, frame("jlivepatch:fix-1", FIX, "read")));
        assertEquals("the replacement " + FIX + ".read (patch 'fix-2')",
                inside(stacked(), PARK, frame("jlivepatch:fix-2", FIX, "read")));
        assertEquals("the static initializer of " + FIX + " (patch 'fix-1')",
                inside(stacked(), PARK, frame("jlivepatch:fix-1", FIX, "<clinit>"), frame("jlivepatch:fix-2", FIX,
                        "read")));
    }

    /** Nothing tells which (a thread dump's frame, a hidden nestmate, the API's patches): both are named. */
    @Test
    void ofTwoPatchesWithNothingToTellWhichBothAreNamed() {
        assertEquals("the replacement " + FIX + ".read (patch 'fix-2' or 'fix-1')",
                insideDumped(stacked(), "jdk.internal.misc.Unsafe.park", FIX + ".read"));
        assertEquals("the replacement " + FIX + ".read (patch 'fix-2' or 'fix-1')",
                inside(stacked(), PARK, frame("app", FIX, "read")));
    }

    /** That class in a patch the transition was not given (unloaded, its code still running after a force). */
    @Test
    void anotherPatchsClassOfTheSameNameIsNotNamedAsOneOfThese() {
        PatchedMethods m = PatchedMethods.of(List.<String[]>of(new String[] {"com.acme.Files", "read", "()I"}));
        m.addCode(FIX, "read", "fix-2");
        assertEquals("", inside(m, PARK, frame("jlivepatch:fix-1", FIX, "read")));
        assertEquals("the replacement " + FIX + ".read (patch 'fix-2')",
                inside(m, PARK, frame("jlivepatch:fix-1", FIX, "read"), frame("jlivepatch:fix-2", FIX, "read")));
    }

    /**
     * A Livepatch-Nestmates class is hidden, one per target loader: the registry gives the primary
     * loader's copy's name, a frame may be another's. Before, neither matched (the key kept its /0x...).
     */
    @Test
    void aHiddenNestmateReplacementIsFoundInEveryLoadersCopy() {
        PatchedMethods m = PatchedMethods.of(List.<String[]>of(new String[] {"com.acme.Files", "read", "()I"}));
        m.addCode(FIX + "/0x0000000800c01234", "read", "fix-1");
        assertEquals("the replacement " + FIX + "/0x0000000800c05678.read (patch 'fix-1')",
                inside(m, PARK, frame("webapp-2", FIX + "/0x0000000800c05678", "read")));
        assertEquals("the replacement " + FIX + "/0x0000000800c01234.read (patch 'fix-1')",
                insideDumped(m, "jdk.internal.misc.Unsafe.park", FIX + "/0x0000000800c01234.read"));
    }

    /**
     * Two stacked Livepatch-Nestmates patches: the hidden copy the registry named is one patch's alone;
     * another loader's copy (another suffix) could be either's.
     */
    @Test
    void ofTwoHiddenNestmatesTheCopyTheRegistryNamedTellsWhich() {
        PatchedMethods m = PatchedMethods.of(List.<String[]>of(new String[] {"com.acme.Files", "read", "()I"}));
        m.addCode(FIX + "/0x0000000800c02222", "read", "fix-2");
        m.addCode(FIX + "/0x0000000800c01111", "read", "fix-1");
        assertEquals("the replacement " + FIX + "/0x0000000800c01111.read (patch 'fix-1')",
                inside(m, PARK, frame("app", FIX + "/0x0000000800c01111", "read")));
        assertEquals("the replacement " + FIX + "/0x0000000800c03333.read (patch 'fix-2' or 'fix-1')",
                inside(m, PARK, frame("webapp-2", FIX + "/0x0000000800c03333", "read")));
    }

    /**
     * {@code @Next} runs the original code in a hidden copy, {@code com.acme.Files$$JlpOriginal/0x....original}:
     * a thread blocked there runs the application's code, as when @Next passes through the hooked method
     * itself (then the held frame is the inner one and nothing is named). Before, 'inside the replacement'.
     */
    @Test
    void insideNextsCopyOfTheOriginalTheReplacementIsNotNamed() {
        PatchedMethods m = PatchedMethods.of(List.<String[]>of(new String[] {"com.acme.Files", "read", "()I"}));
        m.addCode(FIX, "read", "fix-1");
        StackTraceElement original = frame("app", "com.acme.Files$$JlpOriginal/0x0000000800c09abc", "original");
        assertEquals("", inside(m, PARK, original, frame("jlivepatch:fix-1", FIX, "read")));
        assertEquals("", insideDumped(m, "jdk.internal.misc.Unsafe.park",
                "com.acme.Files$$JlpOriginal/0x0000000800c09abc.original", FIX + ".read"));
        // a replacement the original calls in turn is named: the innermost patch code
        assertEquals("the replacement " + FIX + ".read (patch 'fix-1')",
                inside(m, PARK, frame("jlivepatch:fix-1", FIX, "read"), original,
                        frame("jlivepatch:fix-1", FIX, "read")));
    }
}
