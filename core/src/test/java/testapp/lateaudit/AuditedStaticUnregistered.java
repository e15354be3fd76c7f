package testapp.lateaudit;

/**
 * AuditedStatic's twin for the test that unregisters its patch while copies of it stay loaded: each
 * test's copies in its own class, since a loaded copy refuses a later enable of the same function.
 */
public class AuditedStaticUnregistered {
    public static int value() {
        return 1;
    }
}
