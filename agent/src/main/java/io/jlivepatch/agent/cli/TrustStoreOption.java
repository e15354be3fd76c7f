package io.jlivepatch.agent.cli;

import io.jlivepatch.PatchException;
import io.jlivepatch.internal.Text;
import io.jlivepatch.internal.jar.PatchJarBytes;
import io.jlivepatch.internal.trust.Signature;
import io.jlivepatch.internal.trust.StoreOptions;
import io.jlivepatch.internal.trust.TrustPolicy;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * {@code --truststore <file> [--storepass-env VAR | --storepass-file F]}: checks a patch JAR
 * offline exactly as an agent started with {@code truststore=<file>} would. The password is never
 * an argument of its own: a command line is visible to every user of the machine ({@code ps}).
 */
final class TrustStoreOption {

    /** The password's options, as a trust store's problems name them when none was given. */
    private static final String PASSWORD_OPTIONS = "--storepass-env <VAR> or --storepass-file <file>";

    @Spec(Spec.Target.MIXEE)
    CommandSpec spec;

    @Option(names = "--truststore", paramLabel = "<file>",
            description = "check the JAR's signature against this trust store (PKCS12 or JKS of certificates),"
                    + " as the agent's truststore=<file> does")
    Path store;

    @ArgGroup(exclusive = true)
    Password password;

    static final class Password {
        @Option(names = "--storepass-env", paramLabel = "<VAR>",
                description = "the trust store's password is in this environment variable")
        String env;

        @Option(names = "--storepass-file", paramLabel = "<file>",
                description = "the trust store's password is the first line of this file")
        Path file;
    }

    boolean given() {
        if (store == null && password != null) {
            throw new ParameterException(spec.commandLine(), "--storepass-env and --storepass-file go with"
                    + " --truststore <file>: name the trust store the password is for");
        }
        return store != null;
    }

    /**
     * Verifies {@code jar} against the trust store.
     *
     * @return who signed it
     * @throws PatchException {@code UNTRUSTED} with the reason, as the agent would refuse it
     * @throws Refused        when the password cannot be read
     */
    Signature verify(PatchJarBytes jar) throws PatchException, Refused {
        // the command's own policy: its refusals name the command, as no JVM is involved
        return TrustPolicy.forCommand(store, password(), spec.commandLine().getCommandName() + " --truststore",
                options())
                .verify(jar);
    }

    /**
     * This option's names, as a trust store's problems name them ("check the path given as --truststore"):
     * a wrong password by the option and the variable or file it was given with.
     */
    private StoreOptions options() {
        GivenPassword given = password == null ? null
                : GivenPassword.of("--storepass-env", password.env, "--storepass-file", password.file);
        return StoreOptions.command("--truststore", PASSWORD_OPTIONS, given == null ? null : given.where());
    }

    private String password() throws Refused {
        if (password == null) {
            return null;
        }
        if (password.env != null) {
            String value = System.getenv(password.env);
            if (value == null) {
                throw new Refused("--storepass-env: the environment variable " + Text.clean(password.env)
                        + " is not set: export it with the trust store's password, or use --storepass-file");
            }
            return value;
        }
        try {
            String text = Files.readString(password.file, StandardCharsets.UTF_8);
            int end = text.indexOf('\n');
            String line = end < 0 ? text : text.substring(0, end);
            return line.endsWith("\r") ? line.substring(0, line.length() - 1) : line;
        } catch (IOException | RuntimeException e) {
            // RuntimeException: UncheckedIOException for bytes that are not UTF-8
            throw new Refused("--storepass-file " + Text.clean(password.file.toString()) + " cannot be read ("
                    + Text.clean(String.valueOf(e.getMessage())) + "): give a file whose first line is the trust"
                    + " store's password", e);
        }
    }
}
