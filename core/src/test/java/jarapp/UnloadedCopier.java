package jarapp;

/** An {@link UnloadedDuplicable} whose clone() is "copied" (OwnLoaderAccessTest). */
public class UnloadedCopier implements UnloadedDuplicable {

    @Override
    public Object clone() {
        return "copied";
    }
}
