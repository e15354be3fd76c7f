package jarapp;

/**
 * A superclass of {@link Resolved}: a public method of the name and descriptor of a private one of
 * its interface.
 */
public class ResolvedBase {

    public int weight() {
        return 3;
    }
}
