package insideapp;

import io.jlivepatch.Next;

import java.lang.invoke.MethodHandle;

/** A replacement of NextTarget.value that runs the original code through {@code @Next}, and adds 10. */
public final class NextPatch {

    private NextPatch() {
    }

    public static int value(@Next MethodHandle next) throws Throwable {
        return (int) next.invokeExact() + 10;
    }
}
