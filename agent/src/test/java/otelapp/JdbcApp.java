package otelapp;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;

/**
 * A long-running application whose every request is one JDBC query on an in-memory H2 database,
 * the kind of call the OpenTelemetry Java agent traces: each "call" line on stdin runs request n
 * and answers {@code result=<name>|<fetch size>|REQ<n>}; it ends at "quit" or end of input.
 * The query of request n names its column {@code REQ<n>}, an identifier the agent's statement
 * sanitizer keeps, so each span says which request it belongs to.
 */
public final class JdbcApp {

    public static void main(String[] args) throws Exception {
        try (Connection connection = DriverManager.getConnection("jdbc:h2:mem:otel;DB_CLOSE_DELAY=-1");
             Statement statement = connection.createStatement()) {
            statement.execute("CREATE TABLE ITEMS(ID INT PRIMARY KEY, NAME VARCHAR(20))");
            statement.execute("INSERT INTO ITEMS VALUES (1, 'original')");
            System.out.println("ready");
            System.out.flush();
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
            int request = 0;
            String line;
            while ((line = in.readLine()) != null && !line.equals("quit")) {
                if (line.equals("call")) {
                    request++;
                    String name = Repository.find(statement, request);
                    System.out.println("result=" + name + "|" + statement.getFetchSize() + "|REQ" + request);
                    System.out.flush();
                }
            }
        }
    }
}
