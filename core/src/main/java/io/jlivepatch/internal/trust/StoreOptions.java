package io.jlivepatch.internal.trust;

import java.util.Objects;

/**
 * How a trust store's problems and a policy's refusals name what the user gave and what to do: the
 * agent's options ({@code truststore=}) and a JVM's restart, or a command's options ({@code
 * --truststore}) and no restart, as a command reads the store again at each run.
 *
 * @param store    the option that named the store: {@code "truststore="}, {@code "--truststore"}
 * @param password how to give the store's password: {@code "truststore-password="}, or a command's options
 * @param reader   who must be able to read the store: {@code "the user the JVM runs as"}
 * @param restart  what a corrected store takes besides, appended to advice: {@code " and restart the JVM"},
 *                 or {@code ""}
 * @param wrong    what to do when the password given does not open the store, naming where it was
 *                 given: {@code "give its password as truststore-password="}, {@code "put the trust
 *                 store's password in environment variable TRUST_PW (--storepass-env)"}
 */
public record StoreOptions(String store, String password, String reader, String restart, String wrong) {

    /** The agent's: {@code truststore=} and {@code truststore-password=}, read once at the JVM's start. */
    static final StoreOptions AGENT = new StoreOptions("truststore=", "truststore-password=",
            "the user the JVM runs as", " and restart the JVM", "give its password as truststore-password=");

    public StoreOptions {
        Objects.requireNonNull(store, "store");
        Objects.requireNonNull(password, "password");
        Objects.requireNonNull(reader, "reader");
        Objects.requireNonNull(restart, "restart");
        Objects.requireNonNull(wrong, "wrong");
    }

    /**
     * A command's, which reads the store at each run: its options as the operator writes them, given
     * no password.
     *
     * @param store    {@code "--truststore"}
     * @param password {@code "--storepass-env <VAR> or --storepass-file <file>"}
     */
    public static StoreOptions command(String store, String password) {
        return command(store, password, null);
    }

    /**
     * A command's, given the password {@code given}: a wrong one is refused naming where it was given,
     * the one option the operator used, not every option there is.
     *
     * @param given where the password was given: {@code "in environment variable TRUST_PW
     *              (--storepass-env)"}, {@code "on the first line of /etc/pw (--storepass-file)"}; {@code
     *              null} when none was
     */
    public static StoreOptions command(String store, String password, String given) {
        return new StoreOptions(store, password, "the user running the command", "", given == null
                ? "give its password as " + password : "put the trust store's password " + given);
    }
}
