package testapp.late;

/** Never loaded by the application loader; defined in a fresh loader between register and enable. */
public class ChangedLater {
    public static int value() {
        return 1;
    }
}
