import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;

/**
 * A tiny LDAP listener for README's Log4Shell example: accepts on 127.0.0.1:1389, prints each
 * connection's time (milliseconds since the epoch) and closes it, so that the service's lookup
 * fails at once instead of waiting for an LDAP answer.
 */
public class Listener {
    public static void main(String[] args) throws Exception {
        try (ServerSocket server = new ServerSocket(1389, 50, InetAddress.getLoopbackAddress())) {
            System.out.println("listening on 127.0.0.1:1389");
            while (true) {
                try (Socket s = server.accept()) {
                    System.out.println(System.currentTimeMillis() + " connection from " + s.getRemoteSocketAddress());
                }
            }
        }
    }
}
