package edgeapp;

/** The target of FirstOperationStackEdgeDriver's patch: application code, outside jlivepatch's packages. */
public final class Greeting {

    public String get() {
        return "original";
    }
}
