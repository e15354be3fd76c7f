package io.jlivepatch.internal.control;

/**
 * The operator's words for the calls of the published MBean interfaces, shared by the command's end
 * of the channel (what it says it did, or may have done) and the agent's (what it audits when it
 * refuses a call itself), so that both name an operation alike.
 */
public final class Operations {

    private Operations() {
    }

    /** Whether {@code method} only reads: an attribute's getter, or a status. Reads are no operation. */
    public static boolean reads(String method) {
        return method.startsWith("get") || method.startsWith("is") || method.startsWith("status");
    }

    /**
     * The operation a changing call is: {@code enable}, {@code disable}, {@code load},
     * {@code unregister}, {@code force} or {@code watch}; {@code null} for any other method name
     * (the caller decides what to call it: never the client's own text in a record).
     */
    public static String of(String method, Object[] args) {
        switch (method) {
            case "setEnabled":
                if (args.length == 1 && args[0] instanceof Boolean) {
                    return (Boolean) args[0] ? "enable" : "disable";
                }
                return null;
            case "load":
            case "loadContent":
                return "load";
            case "unregister":
            case "force":
            case "watch":
                return method;
            default:
                return null;
        }
    }
}
