package io.jlivepatch.agent.cli;

import io.jlivepatch.internal.Text;

import java.nio.file.Path;

/**
 * Where the operator gave a password: the option, and the environment variable or file it names. A
 * refusal of a password that does not open a store or key names this, the one the operator gave (not
 * every option that could have), and never the password itself.
 *
 * @param option the option as typed: {@code --storepass-env}, {@code --keypass-file}
 * @param source the variable's name or the file's path, as given
 * @param file   whether {@code source} is a file (its first line the password), else a variable
 */
record GivenPassword(String option, String source, boolean file) {

    /** The password of {@code envOption}'s variable {@code env} or {@code fileOption}'s {@code path}; {@code null} if neither is given. */
    static GivenPassword of(String envOption, String env, String fileOption, Path path) {
        if (env != null) {
            return new GivenPassword(envOption, env, false);
        }
        return path == null ? null : new GivenPassword(fileOption, path.toString(), true);
    }

    /** Where the password is: {@code in environment variable PATCH_STOREPASS (--storepass-env)}, {@code on the first line of /etc/pw (--storepass-file)}. */
    String where() {
        return (file ? "on the first line of " : "in environment variable ") + Text.clean(source) + " (" + option + ")";
    }
}
