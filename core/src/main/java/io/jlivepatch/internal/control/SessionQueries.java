package io.jlivepatch.internal.control;

import io.jlivepatch.PatchHandle;
import io.jlivepatch.internal.core.PatchRegistry;
import io.jlivepatch.internal.core.Requester;

import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Optional;

/** {@link SessionCalls} of one connection, on its session's thread only. */
final class SessionQueries implements SessionCalls {

    private static final SecureRandom RANDOM = new SecureRandom();

    private final PatchRegistry registry;
    /** Made at the first ask; the session's thread only, which also marks its calls with it (Requester). */
    private String token;

    SessionQueries(PatchRegistry registry) {
        this.registry = registry;
    }

    @Override
    public String getSessionToken() {
        if (token == null) {
            byte[] bytes = new byte[16];
            RANDOM.nextBytes(bytes);
            token = HexFormat.of().formatHex(bytes);
            // the session's calls from here on run on this thread: their closing records it (PatchRegistry.finish0);
            // cleared when the session ends (ControlSession.run's finally)
            Requester.markSession(token);
        }
        return token;
    }

    @Override
    public String statusOfOwnClosing(String patch, String token) {
        if (patch == null || token == null) {
            return null;
        }
        Optional<PatchHandle> p = registry.find(patch);
        if (p.isEmpty()) {
            return null;
        }
        PatchRegistry.Closing closing = registry.closing(p.get());
        return closing.askedWith(token) ? closing.callback() : null;
    }
}
