package io.jlivepatch.jar;

import io.jlivepatch.control.LocalChannel;
import io.jlivepatch.internal.control.Wire;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.util.Arrays;

/**
 * {@link NoJdkNetTest}'s JVM, started without {@code jdk.net} (as an application started with {@code -m}
 * that does not require it): a refused change over the control socket is audited saying why the user
 * is unknown and what to do.
 */
public final class NoJdkNetDriver {

    private NoJdkNetDriver() {
    }

    public static void main(String[] args) throws Exception {
        if (ModuleLayer.boot().findModule("jdk.net").isPresent()) {
            throw new AssertionError("jdk.net is in this runtime: the test runs nothing");
        }
        Jars.lp();
        String path = null;
        for (int i = 0; i < 3000 && (path = System.getProperty(LocalChannel.PROPERTY)) == null; i++) {
            Thread.sleep(10); // the socket opens from a thread of jlivepatch's own
        }
        if (path == null) {
            throw new AssertionError("no control socket in " + LocalChannel.PROPERTY);
        }
        try (SocketChannel s = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            s.connect(UnixDomainSocketAddress.of(path));
            DataInputStream in = new DataInputStream(Channels.newInputStream(s));
            DataOutputStream out = new DataOutputStream(Channels.newOutputStream(s));
            out.writeInt(Wire.MAGIC);
            out.writeLong(1);
            out.flush();
            if (in.readInt() != Wire.MAGIC || Wire.readString(in).isEmpty()) {
                throw new AssertionError("not greeted");
            }
            out.writeByte(Wire.CALL);
            Wire.writeString(out, "no-such-patch");
            Wire.writeString(out, "setEnabled");
            out.writeInt(1);
            Wire.writeValue(out, boolean.class, false);
            out.flush();
            if (in.readByte() != Wire.REFUSED) {
                throw new AssertionError("not refused");
            }
            Wire.readString(in);
        }
        String[] log = Jars.auditLog();
        String last = log[log.length - 1];
        String expected = " disable no-such-patch by pid 1 user unknown (this JVM lacks module jdk.net, which reads"
                + " it; start it with --add-modules jdk.net): refused ILLEGAL_STATE";
        if (!last.contains(expected)) {
            throw new AssertionError("'" + expected + "' not in " + Arrays.toString(log));
        }
        System.out.println("RESULT ok");
    }
}
