package com.acme.shadow.fix;

import io.jlivepatch.Replaces;
import io.jlivepatch.Shadow;

import java.util.BitSet;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A patch of a JDK method, loaded from a patch JAR into a class loader whose parent is the boot
 * loader: {@code BitSet.cardinality} counts its calls per BitSet in a shadow variable, and leaves
 * in two more what it sees: its own class and the {@code Shadow} class it linked.
 */
public final class BitSetFix {

    /** An AtomicLong: calls of cardinality on this BitSet. */
    public static final long CALLS = 0x5348_0002_0000_0001L;
    /** This class, as the patch's class loader defined it. */
    public static final long PATCH_CLASS = 0x5348_0002_0000_0002L;
    /** The class io.jlivepatch.Shadow as this class resolved it. */
    public static final long SHADOW_CLASS = 0x5348_0002_0000_0003L;

    private BitSetFix() {
    }

    @Replaces(target = "java.util.BitSet", method = "cardinality")
    public static int cardinality(BitSet self) {
        Shadow.getOrAttach(self, CALLS, AtomicLong.class, AtomicLong::new).incrementAndGet();
        Shadow.getOrAttach(self, PATCH_CLASS, () -> BitSetFix.class);
        Shadow.getOrAttach(self, SHADOW_CLASS, () -> Shadow.class);
        int n = 0;
        for (int i = self.nextSetBit(0); i >= 0; i = self.nextSetBit(i + 1)) {
            n++;
        }
        return n;
    }
}
