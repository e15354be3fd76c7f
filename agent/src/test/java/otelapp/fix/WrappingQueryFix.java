package otelapp.fix;

import io.jlivepatch.Next;
import io.jlivepatch.Replaces;
import java.lang.invoke.MethodHandle;
import java.sql.ResultSet;
import java.sql.Types;
import org.h2.jdbc.JdbcStatement;
import org.h2.tools.SimpleResultSet;

/**
 * Wraps the very method OpenTelemetry's JDBC instrumentation advises: runs it through {@code @Next}
 * and adjusts its answer. The version below is the method's code as the JVM has it, OpenTelemetry's
 * advice included when that agent transformed the class before jlivepatch's hook.
 */
public final class WrappingQueryFix {

    private WrappingQueryFix() {
    }

    @Replaces(target = "org.h2.jdbc.JdbcStatement", method = "executeQuery",
            descriptor = "(Ljava/lang/String;)Ljava/sql/ResultSet;")
    public static ResultSet executeQuery(JdbcStatement self, String sql, @Next MethodHandle next) throws Throwable {
        String name;
        try (ResultSet original = (ResultSet) next.invokeExact(self, sql)) {
            original.next();
            name = original.getString(1);
        }
        SimpleResultSet rs = new SimpleResultSet();
        rs.addColumn("NAME", Types.VARCHAR, 40, 0);
        rs.addRow("wrapped " + name);
        return rs;
    }
}
