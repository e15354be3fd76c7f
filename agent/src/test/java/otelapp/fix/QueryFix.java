package otelapp.fix;

import io.jlivepatch.Replaces;
import java.sql.ResultSet;
import java.sql.Types;
import org.h2.jdbc.JdbcStatement;
import org.h2.tools.SimpleResultSet;

/**
 * Replaces the very method OpenTelemetry's JDBC instrumentation advises. It answers without
 * running the query and without calling any other JDBC method the agent advises, so a span for
 * the request can only come from the advice around this method itself.
 */
public final class QueryFix {

    private QueryFix() {
    }

    @Replaces(target = "org.h2.jdbc.JdbcStatement", method = "executeQuery",
            descriptor = "(Ljava/lang/String;)Ljava/sql/ResultSet;")
    public static ResultSet executeQuery(JdbcStatement self, String sql) {
        SimpleResultSet rs = new SimpleResultSet();
        rs.addColumn("NAME", Types.VARCHAR, 20, 0);
        rs.addRow("patched");
        return rs;
    }
}
