package jarapp;

/**
 * A target of the access tests: an application class that inherits protected members of a JDK class
 * outside java.* (javax.naming.InitialContext.myProps), loaded by them, never made.
 */
public class Naming extends javax.naming.InitialContext {

    public Naming() throws javax.naming.NamingException {
        super(true);
    }
}
