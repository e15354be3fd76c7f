package io.jlivepatch.trust;

import io.jlivepatch.Livepatch;
import io.jlivepatch.PatchException;
import io.jlivepatch.PatchHandle;
import io.jlivepatch.internal.Sha256;
import io.jlivepatch.internal.trust.TrustPolicy;
import net.bytebuddy.agent.ByteBuddyAgent;

import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * CarriedAcrossLoadersTest's JVM. Before the raise, unsigned patches carry webapp.Tool into webapp A's
 * loader (a patch of its webapp.Other) and webapp.PTool into a parent loader (a patch of its webapp.Base).
 * After it: signed patches of webapp.Page, loaded in sibling webapp B only (with a webapp.Tool of its
 * own), enable (one registered before the raise) or load and run there; one of A's webapp.Other
 * registered before the raise is refused at its enable; once A defines webapp.Page too, A's copy keeps its own code and a like patch
 * is refused at load; a signed patch of A's webapp.Other, and one of the parent's child's webapp.Leaf, are
 * refused. Arguments: the directory of the JARs and the webapps' class directories, the trust store, its
 * password.
 */
public final class CarriedAcrossLoadersDriver {

    /** The application's loaders, kept for the JVM's life. */
    private static URLClassLoader webA;
    private static URLClassLoader webB;
    private static URLClassLoader parent;
    private static URLClassLoader child;
    private static Path dir;
    private static Livepatch lp;

    private CarriedAcrossLoadersDriver() {
    }

    public static void main(String[] args) throws Exception {
        dir = Path.of(args[0]);
        lp = Livepatch.install(ByteBuddyAgent.install());
        ClassLoader app = ClassLoader.getSystemClassLoader();
        webA = new URLClassLoader("webapp-a", new URL[] {url("web-a")}, app);
        webB = new URLClassLoader("webapp-b", new URL[] {url("web-b")}, app);
        parent = new URLClassLoader("parent", new URL[] {url("parent")}, app);
        child = new URLClassLoader("child", new URL[] {url("child")}, parent);
        Class.forName("webapp.Other", true, webA);
        Class.forName("webapp.Base", true, parent);

        // No policy: nothing checks. Each carries its class into the one loader that has its target.
        lp.load(jar("carry-a")).unregister();
        lp.load(jar("carry-p")).unregister();
        check(Class.forName("webapp.Tool", false, webA).getClassLoader() == webA, "webapp.Tool carried into A");
        Class<?> pageB = Class.forName("webapp.Page", true, webB);
        PatchHandle prePage = lp.load(jar("pre-page")); // signed, but nothing checks it yet
        PatchHandle preOther = lp.load(jar("pre-other"));
        check(TrustPolicy.install(TrustPolicy.fromStore(Path.of(args[1]), args[2])), "the policy installed");

        // B's code resolves webapp.Tool through B (its own) and its ancestors, never through sibling A:
        // at the enable of a patch registered before the raise, and at the load of one after it.
        try {
            prePage.enable();
        } catch (PatchException e) {
            throw new AssertionError("pre-page's enable refused, though webapp.Tool was carried into webapp A's"
                    + " loader only: " + e.getMessage(), e);
        }
        check(prePage.awaitTransition(Duration.ofSeconds(30)) && prePage.isEnabled(), "pre-page enabled");
        check(quote(pageB) == 10, "pre-page runs in B");
        try {
            preOther.enable();
            throw new AssertionError("not refused: pre-other's code would resolve A's webapp.Tool");
        } catch (PatchException e) {
            String m = e.getMessage();
            check(m.contains("patch 'pre-other' was registered before this JVM's trust policy was raised (")
                    && m.contains("and its code uses class webapp.Tool, which patch 'carry-a' (JAR SHA-256 "
                    + Sha256.hex(Files.readAllBytes(jar("carry-a"))) + ") carried") && !m.contains("\n"),
                    "refusal: " + m);
            check(e.reason() == PatchException.Reason.UNTRUSTED, "UNTRUSTED: " + e.reason());
        }
        check(!preOther.isEnabled(), "pre-other not enabled");
        preOther.unregister(); // the enables below need none disabled below them
        PatchHandle usesPage;
        try {
            usesPage = lp.load(jar("uses-page"));
        } catch (PatchException e) {
            throw new AssertionError("uses-page refused, though webapp.Tool was carried into webapp A's loader only"
                    + " and B's code cannot resolve it: " + e.getMessage(), e);
        }
        usesPage.enable();
        check(usesPage.awaitTransition(Duration.ofSeconds(30)) && usesPage.isEnabled(), "uses-page enabled");
        check(quote(pageB) == 10, "uses-page runs in B");

        // A defines webapp.Page after the load: its code there would resolve A's unchecked webapp.Tool.
        Class<?> pageA = Class.forName("webapp.Page", true, webA);
        check(quote(pageA) == 2, "A's copy keeps its own code");
        // status says so of A's copy, with why, and B's copy patched still
        for (PatchHandle h : new PatchHandle[] {prePage, usesPage}) {
            for (io.jlivepatch.FunctionStatus.LoaderStatus l : h.functions().get(0).loaders()) {
                boolean inA = l.classLoader().contains("webapp-a");
                check(inA ? l.state() == io.jlivepatch.FunctionStatus.State.FAILED && l.detail().contains(
                        "UNTRUSTED: its code there uses class webapp.Tool")
                        : l.state() == io.jlivepatch.FunctionStatus.State.PATCHED,
                        h.name() + "'s status in " + l.classLoader() + ": " + l.state() + " " + l.detail());
            }
            check(h.functions().get(0).loaders().size() == 2, h.name() + " has a copy in each webapp");
        }
        check(quote(pageB) == 10, "B's copy stays patched");
        refusedLoad("uses-page-late", "webapp.Tool", "carry-a");
        // A patch of A's class: refused as before.
        refusedLoad("uses-other", "webapp.Tool", "carry-a");
        // A child's code resolves through its parent, where webapp.PTool was carried unchecked.
        Class.forName("webapp.Leaf", true, child);
        refusedLoad("uses-leaf", "webapp.PTool", "carry-p");
        System.out.println("RESULT ok");
    }

    private static int quote(Class<?> page) throws Exception {
        Object o = page.getConstructor().newInstance();
        return (int) page.getMethod("quote", int.class).invoke(o, 1);
    }

    private static void refusedLoad(String name, String cls, String carrier) throws Exception {
        try {
            PatchHandle h = lp.load(jar(name));
            throw new AssertionError("not refused: " + name + " would link to " + cls + ": " + h);
        } catch (PatchException e) {
            String m = e.getMessage();
            String expected = "patch JAR '" + jar(name) + "' refused: its code uses class " + cls + ", which patch '"
                    + carrier + "' (JAR SHA-256 " + Sha256.hex(Files.readAllBytes(jar(carrier))) + ") carried into"
                    + " the application's class loader unchecked";
            check(m.contains(expected) && m.contains("nothing was changed") && !m.contains("\n"), "refusal: " + m);
            check(e.reason() == PatchException.Reason.UNTRUSTED, "UNTRUSTED: " + e.reason());
            check(lp.find(name).isEmpty(), name + " is not registered");
        }
    }

    private static URL url(String root) throws Exception {
        return dir.resolve(root).toUri().toURL();
    }

    private static Path jar(String name) {
        return dir.resolve(name + ".jar");
    }

    private static void check(boolean condition, String what) {
        if (!condition) {
            throw new AssertionError(what);
        }
    }
}
