package io.jlivepatch.internal.transition;

import org.junit.jupiter.api.Test;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;

import java.io.IOException;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Reading the JDK's JSON thread dump: the threads, their names and frames, wherever they are nested. */
class VirtualThreadStacksTest {

    /** The shape JDK 25 writes (HotSpotDiagnosticMXBean.dumpThreads, JSON), cut down. */
    private static final String DUMP = """
            {
              "threadDump": {
                "processId": "4242",
                "time": "2026-12-02T22:53:24.473Z",
                "runtimeVersion": "25.0.3+9-LTS",
                "threadContainers": [
                  {
                    "container": "<root>",
                    "parent": null,
                    "owner": null,
                    "threads": [
                      {
                        "tid": "1",
                        "name": "main",
                        "stack": [
                          "java.base\\/java.lang.Thread.sleep(Thread.java:509)",
                          "app\\/\\/com.acme.Main.main(Main.java:12)"
                        ]
                      },
                      {
                        "tid": "23",
                        "time": "2026-12-02T22:53:24.473139895Z",
                        "virtual": true,
                        "name": "worker \\"7\\" \\u00e9",
                        "state": "WAITING",
                        "stack": [
                          "java.base\\/java.lang.VirtualThread.park(VirtualThread.java:742)",
                          "com.foo.loader\\/foo@9.0\\/com.foo.Codec.encode(Codec.java:101)",
                          "com.acme.Fix$$Lambda\\/0x0000000801001234.run(Unknown Source)",
                          "app\\/\\/com.acme.Files$$JlpOriginal\\/0x0000000801005678.original(Files.java:12)",
                          "java.base\\/java.lang.VirtualThread.run(VirtualThread.java:460)"
                        ]
                      }
                    ],
                    "threadCount": "2"
                  },
                  {
                    "container": "java.util.concurrent.ThreadPoolExecutor@9597028",
                    "parent": "<root>",
                    "owner": null,
                    "threads": [
                      {"tid": "31", "virtual": true, "name": "", "stack": []},
                      {"tid": "32", "virtual": false, "name": "a platform thread", "stack": []}
                    ],
                    "threadCount": "1"
                  }
                ]
              }
            }
            """;

    @Test
    void theThreadsOfEveryContainerWithTheirFramesAsClassAndMethod() throws IOException {
        List<VirtualThreadStacks.Dumped> threads = VirtualThreadStacks.parse(DUMP, Set.of());
        assertEquals(3, threads.size());
        VirtualThreadStacks.Dumped worker = threads.get(1);
        assertEquals(23, worker.tid());
        assertEquals("worker \"7\" \u00e9", worker.name());
        assertEquals(List.of("java.lang.VirtualThread.park", "com.foo.Codec.encode",
                // a hidden class's name whole, as StackTraceElement.getClassName gives it (before: 0x0000000801001234)
                "com.acme.Fix$$Lambda/0x0000000801001234.run",
                "com.acme.Files$$JlpOriginal/0x0000000801005678.original",
                "java.lang.VirtualThread.run"), worker.frames().stream().map(f -> f[0] + "." + f[1]).toList());
        assertEquals(List.of("java.lang.Thread.sleep", "com.acme.Main.main"),
                threads.get(0).frames().stream().map(f -> f[0] + "." + f[1]).toList());
        assertEquals(31, threads.get(2).tid());
        assertTrue(threads.get(2).frames().isEmpty());
    }

    private static List<String> read(String... lines) {
        return VirtualThreadStacks.frames(List.of(lines)).stream().map(f -> String.join(" | ", f)).toList();
    }

    /**
     * A binary name may hold '(' (a generated class, p.C(1)), and so may a method's name: the frame is read
     * from its right end. Before, from the first '(': class p, method C.
     */
    @Test
    void aFrameIsReadFromItsRightEndSoThatClassAndMethodNamesMayHoldParentheses() {
        assertEquals(List.of("p.C(1) | m | test-loader", "p.C(1) | m(2)", "p.C(1)/0x0000000801001234 | run(x) | app",
                "a.b.C(x) | m", "p.C) ( | m | jlivepatch:fix-1"), read(
                "test-loader//p.C(1).m(Unknown Source)",
                "java.base/p.C(1).m(2)(C.java:4)",
                "app//p.C(1)/0x0000000801001234.run(x)(Unknown Source)",
                "a.b.C(x).m(File.java:12)",
                "jlivepatch:fix-1/mod@1.0/p.C) (.m(Native Method)"));
    }

    /** The loader's name, where the line has one: what tells a patch JAR's class (jlivepatch:<patch>). */
    /**
     * The parser runs on the transition worker over whatever the JDK's dump holds: random and truncated
     * lines (and what is no string) are read without an exception, each frame read has a class and a method
     * with no dot, and a loader only when the line has one before its class. Seeded: the same lines each run.
     */
    @Test
    void anyLineIsReadWithoutAnExceptionAndEveryFrameReadHasAClassAndAMethod() {
        String[] valid = {"java.base/jdk.internal.misc.Unsafe.park(Native Method)",
                "app//com.acme.Files.read(Files.java:12)", "jlivepatch:fix-1//p.C(1).m(2)(Unknown Source)",
                "com.foo.loader/foo@9.0/com.foo.Codec.encode(Codec.java:101)",
                "app//com.acme.Fix$$Lambda$14/0x0000000801001234.run(Unknown Source)", "a.b(c)", ".(", "/."};
        String alphabet = "./()@$:0x1aZ /\\";
        java.util.Random random = new java.util.Random(224);
        List<Object> lines = new java.util.ArrayList<>();
        for (String v : valid) {
            for (int end = 0; end <= v.length(); end++) {
                lines.add(v.substring(0, end));
                lines.add(v.substring(end));
            }
        }
        for (int i = 0; i < 20_000; i++) {
            StringBuilder sb = new StringBuilder();
            for (int n = random.nextInt(24); n > 0; n--) {
                sb.append(random.nextInt(4) == 0 ? valid[random.nextInt(valid.length)]
                        : String.valueOf(alphabet.charAt(random.nextInt(alphabet.length()))));
            }
            lines.add(sb.toString());
        }
        lines.add(null);
        lines.add(42);
        for (String[] f : VirtualThreadStacks.frames(lines)) {
            assertTrue(f.length == 2 || f.length == 3 && !f[2].isEmpty(), String.join(" | ", f));
            assertTrue(!f[0].isEmpty() && !f[1].isEmpty() && f[1].indexOf('.') < 0, String.join(" | ", f));
        }
    }

    @Test
    void aFramesLoaderIsReadAndAModuleAloneIsNoLoader() {
        assertEquals(List.of("com.acme.Main | main | app", "java.lang.Thread | sleep", "com.foo.Codec | encode |"
                        + " com.foo.loader", "com.acme.Fix$$Lambda/0x0000000801001234 | run", "com.acme.Fix | run"),
                read("app//com.acme.Main.main(Main.java:12)", "java.base/java.lang.Thread.sleep(Thread.java:509)",
                        "com.foo.loader/foo@9.0/com.foo.Codec.encode(Codec.java:101)",
                        "com.acme.Fix$$Lambda/0x0000000801001234.run(Unknown Source)", "com.acme.Fix.run"));
    }

    /**
     * A thread inside a method of a class named {@code p.C(1)}, defined by a loader of the test's: the JDK's
     * real dump names it so, and it is read whole.
     */
    @Test
    void aRealDumpOfAThreadInAClassWhoseNameHoldsParenthesesNamesThatClass() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(Runtime.version().feature() >= 21, "the JSON dump is JDK 21+");
        Class<?> c = new ClassLoader("parens-loader", VirtualThreadStacksTest.class.getClassLoader()) {
            Class<?> define() {
                byte[] b = parenthesizedClass();
                return defineClass("p.C(1)", b, 0, b.length);
            }
        }.define();
        CountDownLatch release = new CountDownLatch(1);
        java.lang.reflect.Method m = c.getMethod("m(2)", CountDownLatch.class);
        Thread t = new Thread(() -> {
            try {
                m.invoke(null, release);
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(e);
            }
        }, "in-parens");
        t.start();
        try {
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!inMethod(t)) { // it waits on the latch in p.C(1).m(2): looked for, 30 s at most
                assertTrue(System.nanoTime() < until, "never waited in p.C(1): " + t.getState());
                LockSupport.parkNanos(1_000_000L);
            }
            VirtualThreadStacks.Dumped d = VirtualThreadStacks.dump(Set.of()).stream()
                    .filter(x -> x.tid() == t.getId()).findFirst().orElseThrow();
            assertTrue(d.frames().stream().anyMatch(f -> f.length == 3 && f[0].equals("p.C(1)") && f[1].equals("m(2)")
                    && f[2].equals("parens-loader")), () -> d.frames().stream().map(f -> String.join(" | ", f)).toList()
                    .toString());
        } finally {
            release.countDown();
            t.join(30_000);
        }
    }

    private static boolean inMethod(Thread t) {
        for (StackTraceElement e : t.getStackTrace()) {
            if (e.getClassName().equals("p.C(1)")) {
                return t.getState() == Thread.State.WAITING;
            }
        }
        return false;
    }

    /** {@code public class p.C(1) { public static void m(2)(CountDownLatch l) { l.await(); } }}, throws omitted. */
    private static byte[] parenthesizedClass() {
        ClassWriter w = new ClassWriter(ClassWriter.COMPUTE_FRAMES | ClassWriter.COMPUTE_MAXS);
        w.visit(Opcodes.V11, Opcodes.ACC_PUBLIC | Opcodes.ACC_SUPER, "p/C(1)", null, "java/lang/Object", null);
        MethodVisitor mv = w.visitMethod(Opcodes.ACC_PUBLIC | Opcodes.ACC_STATIC, "m(2)",
                "(Ljava/util/concurrent/CountDownLatch;)V", null, null);
        mv.visitCode();
        mv.visitVarInsn(Opcodes.ALOAD, 0);
        mv.visitMethodInsn(Opcodes.INVOKEVIRTUAL, "java/util/concurrent/CountDownLatch", "await", "()V", false);
        mv.visitInsn(Opcodes.RETURN);
        mv.visitMaxs(0, 0);
        mv.visitEnd();
        w.visitEnd();
        return w.toByteArray();
    }

    @Test
    void threadsTheDumpCallsPlatformThreadsAreLeftOut() throws IOException {
        assertTrue(VirtualThreadStacks.parse(DUMP, Set.of()).stream().noneMatch(d -> d.tid() == 32));
    }

    @Test
    void threadsToSkipAreLeftOut() throws IOException {
        List<VirtualThreadStacks.Dumped> threads = VirtualThreadStacks.parse(DUMP, Set.of(1L, 31L));
        assertEquals(List.of(23L), threads.stream().map(VirtualThreadStacks.Dumped::tid).toList());
    }

    @Test
    void aDumpThatIsNotJsonIsAnIoExceptionNamingWhere() {
        IOException e = assertThrows(IOException.class, () -> VirtualThreadStacks.parse("{\"tid\": \"1\", ", Set.of()));
        assertTrue(e.getMessage().startsWith("the thread dump"), e.getMessage());
        e = assertThrows(IOException.class, () -> VirtualThreadStacks.parse("{\"a\": \"x\\u12\"}", Set.of()));
        assertTrue(e.getMessage().startsWith("the thread dump"), e.getMessage());
        e = assertThrows(IOException.class, () -> VirtualThreadStacks.parse("[1 2]", Set.of()));
        assertTrue(e.getMessage().startsWith("the thread dump"), e.getMessage());
    }

    @Test
    void aRealDumpOfThisJvmHasTheCallingThread() throws IOException {
        org.junit.jupiter.api.Assumptions.assumeTrue(Runtime.version().feature() >= 21, "the JSON dump is JDK 21+");
        long me = Thread.currentThread().getId();
        List<VirtualThreadStacks.Dumped> threads = VirtualThreadStacks.dump(Set.of());
        VirtualThreadStacks.Dumped self = threads.stream().filter(d -> d.tid() == me).findFirst().orElseThrow();
        assertTrue(self.frames().stream().anyMatch(f -> f[0].equals(VirtualThreadStacksTest.class.getName())
                && f[1].equals("aRealDumpOfThisJvmHasTheCallingThread")), () -> self.frames().stream()
                .map(f -> f[0] + "." + f[1]).toList().toString());
    }

    @Test
    void onJdk17ThereIsNoDumpAndTheMessageSaysWhy() {
        org.junit.jupiter.api.Assumptions.assumeTrue(Runtime.version().feature() < 21, "JDK 21+ has the dump");
        IOException e = assertThrows(IOException.class, () -> VirtualThreadStacks.dump(Set.of()));
        assertTrue(e.getMessage().startsWith("this JDK has no JSON thread dump"), e.getMessage());
    }
}
