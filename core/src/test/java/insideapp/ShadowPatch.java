package insideapp;

import io.jlivepatch.Shadow;

/** A replacement whose shadow variable's ctor waits at {@link Hold#SHADOW_CTOR}. */
public final class ShadowPatch {

    private static final Object OWNER = new Object();
    private static final long ID = 0x6a6c_7209_0000_0001L;

    private ShadowPatch() {
    }

    public static int value() {
        return Shadow.getOrAttach(OWNER, ID, Integer.class, () -> {
            Hold.SHADOW_CTOR.here();
            return 2;
        });
    }
}
