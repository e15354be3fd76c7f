package jarapp;

/**
 * Named by a patch of MemberReferencesTest and loaded by nothing: an application class extending a JDK
 * class whose members name JDK classes nothing loads (javax.accessibility.*), checked from class files.
 */
public class UnloadedPanel extends java.awt.Container {

    private static final long serialVersionUID = 1L;

    public int rows() {
        return 1;
    }
}
