package testapp.inflight;

/** A target whose definitions the in-flight tests hold: each test defines it in a loader of its own. */
public class Split {

    public String one() {
        return "own one";
    }

    public String two() {
        return "own two";
    }
}
