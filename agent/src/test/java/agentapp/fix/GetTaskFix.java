package agentapp.fix;

import io.jlivepatch.Replaces;

import java.util.concurrent.ThreadPoolExecutor;

/** A patch of the JDK method a thread pool's idle workers sit in, which no JVM lets jlivepatch hook. */
public final class GetTaskFix {

    private GetTaskFix() {
    }

    @Replaces(target = "java.util.concurrent.ThreadPoolExecutor", method = "getTask", descriptor = "()Ljava/lang/Runnable;")
    public static Runnable getTask(ThreadPoolExecutor self) {
        throw new IllegalStateException("never loaded: java.util.concurrent is not patchable");
    }
}
