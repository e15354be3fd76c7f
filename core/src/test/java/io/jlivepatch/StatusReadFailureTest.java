package io.jlivepatch;

import faultapp.StatusRead;
import faultapp.StatusUnread;
import io.jlivepatch.control.ObjectNames;
import io.jlivepatch.internal.patch.ReplacementSource;
import io.jlivepatch.json.JsonReader;
import io.jlivepatch.json.SchemaCheck;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

import static io.jlivepatch.TestSupport.method;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A status read that meets an error of one patch's method handles (an {@code InternalError} of the
 * JDK's, injected where status asks the patch's source for its replacement, the seam of
 * RelinkFailureTest) says so for that function and reports everything else as usual. Before, the
 * whole read failed (the command's INTERNAL_ERROR): the operator saw no patch at all.
 */
class StatusReadFailureTest {

    private final AtomicBoolean failing = new AtomicBoolean();

    public static int two(StatusUnread self) {
        return 2;
    }

    public static int three(StatusRead self) {
        return 3;
    }

    @AfterEach
    void cleanUp() throws PatchException {
        failing.set(false);
        TestSupport.removeAllPatches();
    }

    /** Whether the source is asked by a link rather than by status. */
    private static boolean linking() {
        return StackWalker.getInstance().walk(s -> s.anyMatch(f -> f.getClassName().endsWith(".ReplacementLinker")));
    }

    @Test
    void aPatchWhoseStatusCannotBeReadIsSaidSoAndTheOthersAreReportedAsUsual() throws Exception {
        MethodHandle two = MethodHandles.lookup().unreflect(method(StatusReadFailureTest.class, "two", StatusUnread.class));
        ReplacementSource source = loader -> {
            if (failing.get() && !linking()) {
                throw new InternalError("injected: a failure of the JDK's method handles");
            }
            return two;
        };
        PatchHandle read = TestSupport.livepatch().register(Patch.builder("status-read").replace(
                method(StatusRead.class, "value"), method(StatusReadFailureTest.class, "three", StatusRead.class)).build());
        read.enable();
        assertTrue(read.awaitTransition(Duration.ofSeconds(30)));
        PatchHandle unread = RegistryAccess.get().register(Patch.builder("status-unread").replace(
                method(StatusUnread.class, "value"), method(StatusReadFailureTest.class, "two", StatusUnread.class))
                .build(), List.of(source));
        unread.enable();
        assertTrue(unread.awaitTransition(Duration.ofSeconds(30)));
        StatusUnread target = new StatusUnread();
        assertEquals(2, target.value());
        assertEquals(3, new StatusRead().value());

        failing.set(true);
        String text = Mbeans.statusText();
        String json = (String) Mbeans.invoke(Mbeans.livepatch(), "statusJson", null, null);
        String[] jmxFunctions = (String[]) ManagementFactory.getPlatformMBeanServer()
                .getAttribute(ObjectNames.patch("status-unread"), "Functions");
        List<FunctionStatus> functions = unread.functions();
        int runs = target.value();

        assertEquals(2, runs, "reading status changes nothing that runs");
        String unreadable = "status could not be read: java.lang.InternalError: injected: a failure of the JDK's"
                + " method handles";
        assertTrue(text.contains("status-unread [enabled]") && text.contains("status-read [enabled]"), text);
        assertTrue(text.lines().anyMatch(l -> l.trim().startsWith("faultapp.StatusUnread.value()I [")
                && l.contains("]: failed (" + unreadable)), text);
        assertTrue(text.lines().anyMatch(l -> l.trim().startsWith("faultapp.StatusRead.value()I [")
                && l.endsWith("]: patched")), text);
        assertEquals(1, jmxFunctions.length, List.of(jmxFunctions).toString());
        assertTrue(jmxFunctions[0].contains(unreadable), jmxFunctions[0]);
        assertEquals(FunctionStatus.State.FAILED, functions.get(0).state(), functions.toString());
        assertTrue(functions.get(0).loaders().get(0).detail().startsWith(unreadable), functions.toString());

        @SuppressWarnings("unchecked")
        Map<String, Object> status = (Map<String, Object>) JsonReader.parse(json);
        assertEquals(List.of(), SchemaCheck.problems(StatusReportTest.schema(), status));
        assertTrue(json.contains("\"detail\":\"" + unreadable), json);
        assertTrue(json.contains("\"name\":\"status-read\""), json);

        unread.disable(); // still unreadable: the registry is usable, the next change works
        assertTrue(unread.awaitTransition(Duration.ofSeconds(30)));
        assertEquals(1, target.value());
        assertEquals(FunctionStatus.State.NOT_PATCHED, unread.functions().get(0).state(), unread.functions().toString());
        failing.set(false);
        unread.enable();
        assertTrue(unread.awaitTransition(Duration.ofSeconds(30)));
        assertEquals(FunctionStatus.State.PATCHED, unread.functions().get(0).state(), "readable again");
    }
}
