package latelog;

/**
 * An application's own {@code java.util.logging} manager that only its own class loader can load, as
 * a Spring Boot fat JAR's or WildFly's: outside the application classes of the agent's tests
 * ({@code LoggingManagerIT} puts it where {@code agentapp.LateLoggingApp} loads it).
 */
public class LateLogManager extends java.util.logging.LogManager {
}
