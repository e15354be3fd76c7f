package io.jlivepatch;

import io.jlivepatch.internal.build.Builder;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * {@code jlivepatch build} from Java: compares two builds of an application (JARs, class
 * directories, Maven projects, Spring Boot fat JARs or WARs with their nested libraries), method by
 * method on bytecode, and writes a patch JAR that runs
 * exactly the new bytecode of every changed method, as kpatch-build does for the kernel.
 *
 * <pre>{@code
 * BuildReport r = PatchBuild.compare(Path.of("app-1.0.jar"), Path.of("app-1.0-fixed.jar"))
 *         .name("fix-traversal").description("resolve() stays in its directory")
 *         .include("com.acme.*")
 *         .hold("com.acme.Worker.process(Ljava/lang/String;)V")   // optional: see Patch.Builder.hold
 *         .replaceAll().state(1, 2)                                // optional: a cumulative patch, its states
 *         .writeTo(Path.of("fix-traversal.jar"));   // or report() for a dry run
 *
 * // the new build compiled from the changed classes' sources, against the old build
 * PatchBuild.compile(Path.of("app-1.0.jar"), List.of(Path.of("src/com/acme/files/FileStore.java")))
 *         .name("fix-traversal").writeTo(Path.of("fix-traversal.jar"));
 * }</pre>
 */
public final class PatchBuild {

    private final Path oldBuild;
    private final Path newBuild;
    private final List<Path> sources;
    private final List<Path> classpath = new ArrayList<>();
    private String name;
    private String description = "";
    private final List<String> includes = new ArrayList<>();
    private final List<Patch.Hold> holds = new ArrayList<>();
    private boolean replace;
    private final List<Patch.State> states = new ArrayList<>();

    private PatchBuild(Path oldBuild, Path newBuild, List<Path> sources) {
        this.oldBuild = Objects.requireNonNull(oldBuild, "oldBuild");
        this.newBuild = newBuild;
        this.sources = sources;
    }

    /**
     * Compares {@code oldBuild} with {@code newBuild}: each a JAR, a class directory, a Maven project,
     * a Spring Boot fat JAR ({@code BOOT-INF/classes} and {@code BOOT-INF/lib/*.jar}) or a WAR
     * ({@code WEB-INF/classes} and {@code WEB-INF/lib/*.jar}), or a directory extracted from one.
     */
    public static PatchBuild compare(Path oldBuild, Path newBuild) {
        return new PatchBuild(oldBuild, Objects.requireNonNull(newBuild, "newBuild"), null);
    }

    /**
     * Compares {@code oldBuild} with itself after the changed classes' {@code sources} ({@code .java}
     * files, or directories of them) are compiled against it, with the JDK's compiler at the old
     * classes' bytecode level and without annotation processing. {@code oldBuild} must be the exact
     * binary that runs: a patch loads only onto the class files it was built against.
     *
     * @throws IllegalArgumentException when no source is given
     */
    public static PatchBuild compile(Path oldBuild, List<Path> sources) {
        if (sources.isEmpty()) {
            throw new IllegalArgumentException("no source given: name the changed classes' .java files");
        }
        return new PatchBuild(oldBuild, null, List.copyOf(sources));
    }

    /** A JAR or class directory the {@linkplain #compile sources} need besides the old build. */
    public PatchBuild classpath(Path entry) {
        if (sources == null) {
            throw new IllegalStateException("classpath() is for compile(...): compare(...) compiles nothing");
        }
        classpath.add(Objects.requireNonNull(entry, "entry"));
        return this;
    }

    /** The patch's name, {@code [A-Za-z0-9_.-]{1,64}}; required to write a JAR. */
    public PatchBuild name(String name) {
        this.name = Objects.requireNonNull(name, "name");
        return this;
    }

    public PatchBuild description(String description) {
        this.description = Objects.requireNonNull(description, "description");
        return this;
    }

    /** Narrows the comparison to classes whose binary name matches, {@code *} matching anything. */
    public PatchBuild include(String pattern) {
        includes.add(Objects.requireNonNull(pattern, "pattern"));
        return this;
    }

    /**
     * Holds a method in the patch ({@code Livepatch-Hold}, see {@link Patch.Builder#hold}), written
     * {@code com.acme.Worker.process(Ljava/lang/String;)V}.
     *
     * @throws IllegalArgumentException when {@code method} is not of that form
     */
    public PatchBuild hold(String method) {
        holds.add(Patch.Hold.parse(method));
        return this;
    }

    /**
     * Makes the patch cumulative ({@code Livepatch-Replace: true}): loaded, it replaces every patch
     * before it (see {@link Patch.Builder#replaceAll}).
     */
    public PatchBuild replaceAll() {
        this.replace = true;
        return this;
    }

    /**
     * Declares a system state the patch sets up or takes over ({@code Livepatch-States}; see
     * {@link Patch.Builder#state}).
     *
     * @throws IllegalArgumentException for a negative id, a version below 1, or an id given twice
     */
    public PatchBuild state(long id, int version) {
        Patch.State st = new Patch.State(id, version);
        if (states.stream().anyMatch(s -> s.id() == id)) {
            throw new IllegalArgumentException("state " + id + " is given twice: give each state id one version");
        }
        states.add(st);
        return this;
    }

    /**
     * Compares only (the dry run).
     *
     * @throws IOException              when a build cannot be read or has no class files, or the sources
     *                                  do not compile (the message quotes javac's errors)
     * @throws IllegalArgumentException when an include pattern matches no class
     */
    public BuildReport report() throws IOException {
        return Builder.report(request());
    }

    /**
     * Everything {@link #writeTo} does but writing: the same report and the same refusals
     * ({@code jlivepatch build --dry-run}). The name is checked if one is given.
     *
     * @throws IOException              as {@link #report()}
     * @throws IllegalArgumentException as {@link #writeTo}
     */
    public BuildReport dryRun() throws IOException {
        if (name != null) {
            checkName();
        }
        return Builder.write(request(), name, description, null);
    }

    /**
     * Compares and, unless the report refuses the change, writes the patch JAR to {@code out}.
     * A refused change writes nothing.
     *
     * @throws IOException              as {@link #report()}, or when {@code out} cannot be written
     * @throws IllegalArgumentException for an invalid name, an include pattern that matches no class,
     *                                  or when no method changed
     */
    public BuildReport writeTo(Path out) throws IOException {
        checkName();
        return Builder.write(request(), name, description, Objects.requireNonNull(out, "out"));
    }

    private void checkName() {
        if (!Patch.isValidName(name)) {
            throw new IllegalArgumentException("patch name '" + name + "' is not valid: use 1 to 64 characters from"
                    + " [A-Za-z0-9_.-]");
        }
    }

    private Builder.Request request() {
        Builder.NewBuild next = sources == null ? new Builder.NewBuild.Classes(newBuild)
                : new Builder.NewBuild.Sources(sources, classpath);
        return new Builder.Request(oldBuild, next, includes, holds, replace, states);
    }
}
