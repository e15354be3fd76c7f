package io.jlivepatch.internal.control;

import io.jlivepatch.PatchHandle;
import io.jlivepatch.internal.core.PatchRegistry;
import io.jlivepatch.internal.core.Requester;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Optional;
import java.util.Set;

/** {@link SessionCalls} of one connection, on its session's thread only. */
final class SessionQueries implements SessionCalls {

    private final PatchRegistry registry;
    /** The server's sessions, to tell the one whose token a look presents that its command left ({@link #owns}). */
    private final Set<ControlSession> live;
    /**
     * Made at the first ask by the session's thread, which also marks its calls with it (Requester); volatile for
     * other sessions' {@link #owns}.
     */
    private volatile String token;

    SessionQueries(PatchRegistry registry, Set<ControlSession> live) {
        this.registry = registry;
        this.live = live;
    }

    /** Whether this session's token is {@code token}. */
    boolean owns(String token) {
        String own = this.token;
        return own != null && token != null && MessageDigest.isEqual(own.getBytes(StandardCharsets.UTF_8),
                token.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public String getSessionToken() {
        if (token == null) {
            byte[] bytes = new byte[16];
            TokenRandom.RANDOM.nextBytes(bytes);
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
        if (!closing.askedWith(token)) {
            return null;
        }
        // The command (ClosingLook) exits 3 on this answer and leaves its call's answer unread: its session says
        // so when the answer's write finds the connection gone, not a warning (ControlSession.run).
        for (ControlSession s : live) {
            if (s.ownsToken(token)) {
                s.commandLeft();
            }
        }
        return closing.callback();
    }

    /**
     * The tokens' generator, made at the first token asked for (class initialisation is the lazy, thread-safe
     * making): made with this class, it was seeded on the control socket's accept thread at a JVM's first
     * connection, whatever that connection asked ({@code status} never asks for a token).
     */
    private static final class TokenRandom {
        static final SecureRandom RANDOM = new SecureRandom();
    }
}
