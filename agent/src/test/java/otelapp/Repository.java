package otelapp;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/** The application's data access: request n reads item 1's name through Statement.executeQuery. */
public final class Repository {

    private Repository() {
    }

    public static String find(Statement statement, int request) throws SQLException {
        try (ResultSet rs = statement.executeQuery(sql(request))) {
            return rs.next() ? rs.getString(1) : "none";
        }
    }

    /** The query of one request; its column alias REQ<n> marks that request's span. */
    public static String sql(int request) {
        return "SELECT NAME AS REQ" + request + " FROM ITEMS WHERE ID = 1";
    }
}
