package io.jlivepatch.internal.control;

/**
 * The command's calls on its own connection to the control socket, of no MBean (JMX has none of them): how a
 * command held in its change's call by that change's closing callback proves, over a second connection, that the
 * callback is its own. Status's {@code closingBy} names the requester as the command states it ({@code pid N}:
 * only the user comes from the kernel), which another local process of the same user can state too; a session's
 * token is known only to that session's client and the agent. Both names read as reads ({@link Operations#reads}):
 * neither end audits them, and an agent before them refuses them as unsupported, with nothing on record.
 */
public interface SessionCalls {

    /**
     * This connection's token (128 random bits, made at the first ask): the changes this connection asks for carry
     * it to their closing ({@code PatchRegistry.closing}). Answered only to this connection; status, the audit log
     * and the agent's log never show it.
     */
    String getSessionToken();

    /**
     * The closing callback of {@code patch} running now ({@code postPatch of ...}, as status's closingCallback), when
     * the operation whose end runs it came from the connection whose token is {@code token}; else {@code null} (no
     * such patch, no callback running, another's closing, a wrong token).
     */
    String statusOfOwnClosing(String patch, String token);
}
