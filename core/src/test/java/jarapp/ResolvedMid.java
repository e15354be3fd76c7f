package jarapp;

/**
 * The superclass of {@link Resolved}: a package-private field of the name and type of a public one
 * of its interface.
 */
public class ResolvedMid extends ResolvedBase {
    static int heft = 4;
}
