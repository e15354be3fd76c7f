package io.jlivepatch.build;

import io.jlivepatch.BuildReport;
import io.jlivepatch.PatchBuild;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.Opcodes;
import org.objectweb.asm.tree.AnnotationNode;
import org.objectweb.asm.tree.ClassNode;
import org.objectweb.asm.tree.MethodNode;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What {@code jlivepatch build} reports for each supported pair of the corpus, in kpatch-build's
 * words, and what it writes: one carrier class per patched class, whose methods take the receiver
 * first and are annotated with the function they replace.
 */
class BuildReportTest {

    /** The exact report of each supported case, but for lambda (whose synthetic names javac chooses). */
    private static final Map<String, List<String>> REPORTS = new LinkedHashMap<>();
    private static final String FIELD_NOTE = "the new fields are shadow variables: reflection, MethodHandles and"
            + " VarHandles do not see them, and objects made before the patch start with their initial values";

    static {
        REPORTS.put("addedmethod", List.of(
                "changed function: com.acme.addedmethod.Greeter.greet(Ljava/lang/String;)Ljava/lang/String;",
                "new function: com.acme.addedmethod.Greeter.capitalize(Ljava/lang/String;)Ljava/lang/String;",
                "new function: com.acme.addedmethod.Greeter.decorate(Ljava/lang/String;)Ljava/lang/String;",
                "1 changed, 2 new function(s), 0 new class(es)"));
        REPORTS.put("fieldadded", List.of(
                "changed function: com.acme.fieldadded.Account.deposit(J)J",
                "new field: " + BuildShadowFieldTest.line("com.acme.fieldadded.Account", "limit", "J", ""),
                "note: " + FIELD_NOTE,
                "1 changed, 0 new function(s), 0 new class(es), 1 new field(s)"));
        REPORTS.put("fieldcontention", List.of(
                "changed function: com.acme.fieldcontention.Counter.hit(I)V",
                "changed function: com.acme.fieldcontention.Counter.report()Ljava/lang/String;",
                "new function: com.acme.fieldcontention.Counter.addWeight(I)V",
                "new field: " + BuildShadowFieldTest.line("com.acme.fieldcontention.Counter", "hits", "I", ""),
                "new field: " + BuildShadowFieldTest.line("com.acme.fieldcontention.Counter", "weight", "J", ""),
                "new field: " + BuildShadowFieldTest.line("com.acme.fieldcontention.Counter", "allHits", "static J", ""),
                "note: " + FIELD_NOTE,
                "2 changed, 1 new function(s), 0 new class(es), 3 new field(s)"));
        String account = "com.acme.fieldinit.Account";
        REPORTS.put("fieldinit", List.of(
                "changed function: com.acme.fieldinit.Account.deposit(I)V",
                "changed function: com.acme.fieldinit.Account.summary()Ljava/lang/String;",
                "new class: com.acme.fieldinit.AuditLog",
                "new field: " + BuildShadowFieldTest.line(account, "MAX_AUDITS", "static I", ", starting as 3"),
                "new field: " + BuildShadowFieldTest.line(account, "currency", "static Ljava/lang/String;",
                        ", starting as \"EUR\""),
                "new field: " + BuildShadowFieldTest.line(account, "limit", "I", ", starting as 250"),
                "new field: " + BuildShadowFieldTest.line(account, "open", "Z", ", starting as true"),
                "new field: " + BuildShadowFieldTest.line(account, "rate", "D", ", starting as 1.5"),
                "new field: " + BuildShadowFieldTest.line(account, "audits", "Ljava/util/List;",
                        ", starting as new java.util.ArrayList()"),
                "new field: " + BuildShadowFieldTest.line(account, "log", "Ljava/lang/StringBuilder;",
                        ", starting as new java.lang.StringBuilder()"),
                "note: " + FIELD_NOTE,
                "2 changed, 0 new function(s), 1 new class(es), 7 new field(s)"));
        String tally = "com.acme.fieldtypes.Tally";
        List<String> fieldTypes = new ArrayList<>(List.of(
                "changed function: com.acme.fieldtypes.Tally.add(Ljava/lang/String;)Ljava/lang/String;",
                "changed function: com.acme.fieldtypes.Tally.totals()Ljava/lang/String;",
                "new function: com.acme.fieldtypes.Tally.updateStatics(Ljava/lang/String;I)V",
                "new function: com.acme.fieldtypes.Tally.describe(Lcom/acme/fieldtypes/Tally;)Ljava/lang/String;",
                "new function: com.acme.fieldtypes.Tally.lambda$add$0()I"));
        String[][] typed = {{"seen", "Z"}, {"small", "B"}, {"last", "C"}, {"shorts", "S"}, {"chars", "I"}, {"longs", "J"},
                {"ratio", "F"}, {"mean", "D"}, {"joined", "Ljava/lang/String;"}, {"stamp", "J"},
                {"anySeen", "static Z"}, {"sByte", "static B"}, {"sLast", "static C"}, {"sShort", "static S"},
                {"sChars", "static I"}, {"sLong", "static J"}, {"sFloat", "static F"}, {"sDouble", "static D"},
                {"sJoined", "static Ljava/lang/String;"}, {"sVolatile", "static I"}};
        for (String[] f : typed) {
            fieldTypes.add("new field: " + BuildShadowFieldTest.line(tally, f[0], f[1], ""));
        }
        fieldTypes.add("note: " + FIELD_NOTE);
        fieldTypes.add("2 changed, 3 new function(s), 0 new class(es), 20 new field(s)");
        REPORTS.put("fieldtypes", fieldTypes);
        // Recursive functions: a warning each (a hand-written replacement that calls its target means the
        // original by mistake), none for label, which calls another function; BuildDifferentialTest runs them.
        String countdown = "com.acme.selfcall.Countdown";
        REPORTS.put("selfcall", List.of(
                "changed function: " + countdown + ".count(I)Ljava/lang/String;",
                "changed function: " + countdown + ".sum(I)I",
                "changed function: " + countdown + ".label(I)Ljava/lang/String;",
                "warning: " + countdown + ".count(I)Ljava/lang/String; calls itself: its replacement (" + countdown
                        + "$$Livepatch.count) runs again at each such call, as the new build's recursion does, never the"
                        + " old code; to call the old code there instead, write the replacement by hand with a last"
                        + " parameter '@Next MethodHandle next'",
                "warning: " + countdown + ".sum(I)I calls itself: its replacement (" + countdown + "$$Livepatch.sum)"
                        + " runs again at each such call, as the new build's recursion does, never the old code; to call"
                        + " the old code there instead, write the replacement by hand with a last parameter '@Next"
                        + " MethodHandle next'",
                "3 changed, 0 new function(s), 0 new class(es)"));
        REPORTS.put("body", List.of(
                "changed function: com.acme.body.Pricing.price(I)I",
                "1 changed, 0 new function(s), 0 new class(es)"));
        REPORTS.put("interfacedefault", List.of(
                "changed function: com.acme.interfacedefault.Shape.describe()Ljava/lang/String;",
                "changed function: com.acme.interfacedefault.Shape.unit()Ljava/lang/String;",
                "new function: com.acme.interfacedefault.Shape.rounded(D)J",
                "new function: com.acme.interfacedefault.Shape.lambda$describe$0(D)Ljava/lang/String;",
                "2 changed, 2 new function(s), 0 new class(es)"));
        REPORTS.put("innerclass", List.of(
                "changed function: com.acme.innerclass.Library$1.get()Ljava/lang/String;",
                "changed function: com.acme.innerclass.Library$Shelf.add(I)Ljava/lang/String;",
                "2 changed, 0 new function(s), 0 new class(es)"));
        REPORTS.put("privatetarget", List.of(
                "changed function: com.acme.privatetarget.Mailer.normalize(Ljava/lang/String;)Ljava/lang/String;",
                "changed function: com.acme.privatetarget.Mailer.domain(Ljava/lang/String;)Ljava/lang/String;",
                "2 changed, 0 new function(s), 0 new class(es)"));
        REPORTS.put("protectedinherited", List.of(
                "changed function: com.acme.protectedinherited.Handler.handle(Ljava/lang/String;)Ljava/lang/String;",
                "1 changed, 0 new function(s), 0 new class(es)"));
        REPORTS.put("newclass", List.of(
                "changed function: com.acme.newclass.Report.render(Ljava/util/List;)Ljava/lang/String;",
                "new class: com.acme.newclass.Cell",
                "new class: com.acme.newclass.TableFormatter",
                "1 changed, 0 new function(s), 2 new class(es)"));
        REPORTS.put("overloads", List.of(
                "changed function: com.acme.overloads.Printer.format(J)Ljava/lang/String;",
                "1 changed, 0 new function(s), 0 new class(es)"));
        REPORTS.put("privatefield", List.of(
                "changed function: com.acme.privatefield.Account.deposit(J)J",
                "changed function: com.acme.privatefield.Account.transfer(Lcom/acme/privatefield/Account;J)Z",
                "2 changed, 0 new function(s), 0 new class(es)"));
        REPORTS.put("privatemethod", List.of(
                "changed function: com.acme.privatemethod.Tokenizer.split(Ljava/lang/String;)Ljava/util/List;",
                "1 changed, 0 new function(s), 0 new class(es)"));
        REPORTS.put("staticmethod", List.of(
                "changed function: com.acme.staticmethod.MathUtil.gcd(II)I",
                "1 changed, 0 new function(s), 0 new class(es)"));
        REPORTS.put("stringswitch", List.of(
                "changed function: com.acme.stringswitch.Commands.dispatch(Ljava/lang/String;)Ljava/lang/String;",
                "1 changed, 0 new function(s), 0 new class(es)"));
        REPORTS.put("supercall", List.of(
                "changed function: com.acme.supercall.Item.describe(Ljava/lang/String;)Ljava/lang/String;",
                "changed function: com.acme.supercall.Item.label(Ljava/lang/String;)Ljava/lang/String;",
                "2 changed, 0 new function(s), 0 new class(es)"));
        REPORTS.put("synchronizedblock", List.of(
                "changed function: com.acme.synchronizedblock.Counter.increment(I)Ljava/lang/String;",
                "changed function: com.acme.synchronizedblock.Counter.snapshot()Ljava/lang/String;",
                "2 changed, 0 new function(s), 0 new class(es)"));
        REPORTS.put("trycatch", List.of(
                "changed function: com.acme.trycatch.Parser.parse(Ljava/lang/String;)Ljava/lang/String;",
                "1 changed, 0 new function(s), 0 new class(es)"));
    }

    @TempDir
    Path dir;

    static List<String> supportedCases() {
        return Corpus.cases("supported");
    }

    private static BuildReport report(String name) throws Exception {
        return PatchBuild.compare(Corpus.build("supported", name, "old"), Corpus.build("supported", name, "new")).report();
    }

    @Test
    void everySupportedCaseHasAnExpectedReport() {
        List<String> cases = new ArrayList<>(supportedCases());
        cases.remove("lambda");
        assertEquals(cases, REPORTS.keySet().stream().sorted().toList());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("supportedCases")
    void theReportNamesEveryChangedAndNewFunction(String name) throws Exception {
        BuildReport r = report(name);
        assertFalse(r.refused(), String.join("\n", r.lines()));
        if (name.equals("lambda")) {
            // javac names lambda bodies (lambda$method$n) differently from one release to another:
            // JDK 17's javac numbers them per class, so sortKey's lambda is renamed and sortKey changes;
            // later ones per method, so only the body lambda$sortKey$0 changes.
            String pipeline = "com.acme.lambda.Pipeline.";
            List<String> methods = r.changedFunctions().stream().filter(f -> !f.startsWith(pipeline + "lambda$")).toList();
            assertTrue(methods.equals(List.of(pipeline + "count(Ljava/lang/String;)J",
                    pipeline + "process(Ljava/lang/String;)Ljava/lang/String;", pipeline + "sortKey()Ljava/util/Comparator;"))
                    || methods.equals(List.of(pipeline + "count(Ljava/lang/String;)J",
                    pipeline + "process(Ljava/lang/String;)Ljava/lang/String;")), r.lines().toString());
            List<String> lambdas = new ArrayList<>(r.changedFunctions());
            lambdas.removeAll(methods);
            lambdas.addAll(r.newFunctions());
            assertTrue(lambdas.stream().allMatch(f -> f.startsWith(pipeline + "lambda$")), lambdas.toString());
            // six lambda bodies of process, the one of sortKey
            assertEquals(6, lambdas.stream().filter(f -> f.startsWith(pipeline + "lambda$process$")).count(), lambdas.toString());
            assertEquals(1, lambdas.stream().filter(f -> f.matches(
                    "com\\.acme\\.lambda\\.Pipeline\\.lambda\\$sortKey\\$\\d+\\(Ljava/lang/String;Ljava/lang/String;\\)I")).count(),
                    lambdas.toString());
            assertEquals(List.of(), r.problems());
            return;
        }
        assertEquals(String.join("\n", REPORTS.get(name)), String.join("\n", r.lines()));
        assertEquals(List.of(), r.problems());
    }

    @Test
    void theCarrierHoldsOnePublicStaticMethodPerFunctionWithTheReceiverFirst() throws Exception {
        Path jar = dir.resolve("fix.jar");
        PatchBuild.compare(Corpus.build("supported", "addedmethod", "old"), Corpus.build("supported", "addedmethod", "new"))
                .name("fix-greet").writeTo(jar);
        ClassNode carrier = classIn(jar, "com/acme/addedmethod/Greeter$$Livepatch");
        Map<String, MethodNode> methods = new TreeMap<>();
        carrier.methods.forEach(m -> methods.put(m.name + m.desc, m));
        assertEquals(List.of("capitalize(Ljava/lang/String;)Ljava/lang/String;",
                "decorate(Lcom/acme/addedmethod/Greeter;Ljava/lang/String;)Ljava/lang/String;",
                "greet(Lcom/acme/addedmethod/Greeter;Ljava/lang/String;)Ljava/lang/String;"),
                new ArrayList<>(methods.keySet()));
        for (MethodNode m : methods.values()) {
            assertEquals(Opcodes.ACC_PUBLIC | Opcodes.ACC_STATIC, m.access & (Opcodes.ACC_PUBLIC | Opcodes.ACC_STATIC),
                    m.name + " is public static");
        }
        MethodNode greet = methods.get("greet(Lcom/acme/addedmethod/Greeter;Ljava/lang/String;)Ljava/lang/String;");
        assertEquals(Map.of("target", "com.acme.addedmethod.Greeter", "method", "greet",
                "descriptor", "(Ljava/lang/String;)Ljava/lang/String;"), replaces(greet));
        // the new functions are carried, but replace nothing
        assertNull(replaces(methods.get("capitalize(Ljava/lang/String;)Ljava/lang/String;")));
        assertNull(replaces(methods.get("decorate(Lcom/acme/addedmethod/Greeter;Ljava/lang/String;)Ljava/lang/String;")));
    }

    @Test
    void aStaticOrInterfaceMethodKeepsItsParametersOrTakesTheInterfaceAsReceiver() throws Exception {
        Path gcd = dir.resolve("gcd.jar");
        PatchBuild.compare(Corpus.build("supported", "staticmethod", "old"), Corpus.build("supported", "staticmethod", "new"))
                .name("fix-gcd").writeTo(gcd);
        ClassNode math = classIn(gcd, "com/acme/staticmethod/MathUtil$$Livepatch");
        assertEquals(List.of("gcd(II)I"), math.methods.stream().map(m -> m.name + m.desc).toList());

        Path shape = dir.resolve("shape.jar");
        PatchBuild.compare(Corpus.build("supported", "interfacedefault", "old"),
                Corpus.build("supported", "interfacedefault", "new")).name("fix-shape").writeTo(shape);
        ClassNode s = classIn(shape, "com/acme/interfacedefault/Shape$$Livepatch");
        assertEquals(List.of("describe(Lcom/acme/interfacedefault/Shape;)Ljava/lang/String;",
                "lambda$describe$0(Lcom/acme/interfacedefault/Shape;D)Ljava/lang/String;", "rounded(D)J",
                "unit()Ljava/lang/String;"),
                s.methods.stream().map(m -> m.name + m.desc).sorted().toList());
    }

    @Test
    void theManifestNamesTheCarriersTheirHostsAndTheNewClasses() throws Exception {
        Path jar = dir.resolve("fix.jar");
        PatchBuild.compare(Corpus.build("supported", "newclass", "old"), Corpus.build("supported", "newclass", "new"))
                .name("fix-report").description("render() draws a table").writeTo(jar);
        try (JarFile f = new JarFile(jar.toFile())) {
            Attributes a = f.getManifest().getMainAttributes();
            assertEquals("fix-report", a.getValue("Livepatch-Name"));
            assertEquals("render() draws a table", a.getValue("Livepatch-Description"));
            assertEquals("com.acme.newclass.Report$$Livepatch", a.getValue("Livepatch-Class"));
            assertEquals("com.acme.newclass.Report$$Livepatch=com.acme.newclass.Report", a.getValue("Livepatch-Nestmates"));
            assertEquals("com.acme.newclass.Cell com.acme.newclass.TableFormatter", a.getValue("Livepatch-New-Classes"));
            List<String> entries = f.stream().map(JarEntry::getName).filter(n -> !n.startsWith("META-INF/")).sorted().toList();
            assertEquals(List.of("com/acme/newclass/Cell.class", "com/acme/newclass/Report$$Livepatch.class",
                    "com/acme/newclass/TableFormatter.class"), entries, "the carrier and the new classes, nothing else");
            assertTrue(f.getEntry("META-INF/jlivepatch/old-classes.properties") != null);
        }
    }

    static ClassNode classIn(Path jar, String internalName) throws Exception {
        try (JarFile f = new JarFile(jar.toFile())) {
            JarEntry e = f.getJarEntry(internalName + ".class");
            assertTrue(e != null, internalName + " is not in " + jar + ": " + Arrays.toString(f.stream().toArray()));
            ClassNode n = new ClassNode();
            new ClassReader(f.getInputStream(e).readAllBytes()).accept(n, ClassReader.SKIP_CODE);
            return n;
        }
    }

    private static Map<String, Object> replaces(MethodNode m) {
        if (m.visibleAnnotations == null) {
            return null;
        }
        for (AnnotationNode a : m.visibleAnnotations) {
            if (a.desc.equals("Lio/jlivepatch/Replaces;")) {
                Map<String, Object> values = new TreeMap<>();
                for (int i = 0; i < a.values.size(); i += 2) {
                    values.put((String) a.values.get(i), a.values.get(i + 1));
                }
                return values;
            }
        }
        return null;
    }
}
