package io.jlivepatch.internal.jar;

import io.jlivepatch.jar.GeneratedClasses;

import java.lang.invoke.MethodHandles;
import java.lang.ref.WeakReference;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * CarriedRecordsTest.aCheckedCopyGoneLeavesItsUncheckedTwinCounted's JVM (a fresh one: CarriedClasses's records
 * are the JVM's, and what another test carried would hide the count). A class carried unchecked into a kept
 * loader, the same bytes carried checked into a dropped one: while that lives, they vouch; once it is
 * collected, an unchecked class is carried again, and the gate every trust check passes first (anyUnchecked)
 * must say so. Argument: a directory to write to.
 */
public final class VouchingCopyGoneDriver {

    private VouchingCopyGoneDriver() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        byte[] tool = CarriedRecordsTest.helper("vouch.Tool");
        URLClassLoader kept = webapp(dir, "kept");
        check(!CarriedClasses.anyUnchecked(), "nothing carried yet");
        check(carry(kept, tool, false), "carried unchecked into kept");
        check(CarriedClasses.anyUnchecked(), "an unchecked class is carried");

        WeakReference<ClassLoader> gone = checkedCopyInADroppedLoader(dir, tool);
        check(!CarriedClasses.anyUnchecked(), "a checked copy of the same bytes vouches for kept's");
        for (int i = 0; i < 500 && gone.get() != null; i++) {
            System.gc();
            Thread.sleep(20);
        }
        check(gone.get() == null, "the dropped loader was collected");
        check(CarriedClasses.anyUnchecked(), "with the checked copy gone, kept's class is unchecked again");
        CarriedClasses.Uses uses = new CarriedClasses.Uses(java.util.List.of("vouch.Tool"), java.util.Set.of());
        check(CarriedClasses.uncheckedUse(uses, ResolvingLoaders.forTarget(kept)) != null, "and a use of it counts");
        System.out.println("RESULT ok");
    }

    private static WeakReference<ClassLoader> checkedCopyInADroppedLoader(Path dir, byte[] tool) throws Exception {
        URLClassLoader dropped = webapp(dir, "dropped");
        check(carry(dropped, tool, true), "carried checked into dropped");
        return new WeakReference<>(dropped);
    }

    private static URLClassLoader webapp(Path dir, String root) throws Exception {
        Path file = dir.resolve(root).resolve("vouch/Host.class");
        Files.createDirectories(file.getParent());
        Files.write(file, GeneratedClasses.empty("vouch.Host"));
        return new URLClassLoader(root, new URL[] {dir.resolve(root).toUri().toURL()},
                ClassLoader.getSystemClassLoader());
    }

    private static boolean carry(ClassLoader loader, byte[] bytes, boolean checked) throws Exception {
        MethodHandles.Lookup lookup = MethodHandles.privateLookupIn(Class.forName("vouch.Host", false, loader),
                MethodHandles.lookup());
        return CarriedClasses.define(lookup, "vouch.Tool", bytes, "carry-test", "jar-sha", checked);
    }

    private static void check(boolean condition, String what) {
        if (!condition) {
            throw new AssertionError(what);
        }
    }
}
