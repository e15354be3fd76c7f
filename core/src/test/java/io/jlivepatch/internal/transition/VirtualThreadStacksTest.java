package io.jlivepatch.internal.transition;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.List;
import java.util.Set;

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
