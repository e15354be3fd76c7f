package io.jlivepatch;

import io.jlivepatch.internal.build.Builder;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * {@code jlivepatch build} from Java: compares two builds of an application (JARs or class
 * directories), method by method on bytecode, and writes a patch JAR that runs exactly the new
 * bytecode of every changed method, as kpatch-build does for the kernel.
 *
 * <pre>{@code
 * BuildReport r = PatchBuild.compare(Path.of("app-1.0.jar"), Path.of("app-1.0-fixed.jar"))
 *         .name("fix-traversal").description("resolve() stays in its directory")
 *         .include("com.acme.*")
 *         .hold("com.acme.Worker.process(Ljava/lang/String;)V")   // optional: see Patch.Builder.hold
 *         .writeTo(Path.of("fix-traversal.jar"));   // or report() for a dry run
 * }</pre>
 */
public final class PatchBuild {

    private final Path oldBuild;
    private final Path newBuild;
    private String name;
    private String description = "";
    private final List<String> includes = new ArrayList<>();
    private final List<Patch.Hold> holds = new ArrayList<>();

    private PatchBuild(Path oldBuild, Path newBuild) {
        this.oldBuild = Objects.requireNonNull(oldBuild, "oldBuild");
        this.newBuild = Objects.requireNonNull(newBuild, "newBuild");
    }

    public static PatchBuild compare(Path oldBuild, Path newBuild) {
        return new PatchBuild(oldBuild, newBuild);
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

    /** Compares only (the dry run). */
    public BuildReport report() throws IOException {
        return Builder.report(oldBuild, newBuild, includes, holds);
    }

    /**
     * Compares and, unless the report refuses the change, writes the patch JAR to {@code out}.
     * A refused change writes nothing.
     */
    public BuildReport writeTo(Path out) throws IOException {
        if (!Patch.isValidName(name)) {
            throw new IllegalArgumentException("patch name '" + name + "' is not valid: use 1 to 64 characters from"
                    + " [A-Za-z0-9_.-]");
        }
        return Builder.write(oldBuild, newBuild, includes, name, description, holds, Objects.requireNonNull(out, "out"));
    }
}
