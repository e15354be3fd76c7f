package jarapp;

/**
 * The interface of {@link Resolved}: a private method and a (public) field that ResolvedBase and
 * ResolvedMid have too.
 */
public interface Resolving {
    int heft = 6;

    private int weight() {
        return 5;
    }
}
