package otelapp.fix;

import io.jlivepatch.Replaces;

/** Replaces an application method on the traced path: the query each request runs. */
public final class SqlFix {

    private SqlFix() {
    }

    @Replaces(target = "otelapp.Repository", method = "sql")
    public static String sql(int request) {
        return "SELECT UPPER(NAME) AS REQ" + request + " FROM ITEMS WHERE ID = 1";
    }
}
