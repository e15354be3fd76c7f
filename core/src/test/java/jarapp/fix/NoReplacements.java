package jarapp.fix;

/** Wrongly shaped: nothing is annotated. */
public final class NoReplacements {
    public static int next(Object self) {
        return 0;
    }
}
