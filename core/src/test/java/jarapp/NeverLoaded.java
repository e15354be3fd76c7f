package jarapp;

/** Named by a patch of MemberReferencesTest and loaded by nothing: a check of a load must not load it. */
public class NeverLoaded {

    public static int value() {
        return 1;
    }
}
