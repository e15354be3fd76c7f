package jarapp;

/** A type that Measure's method names and no test loads (OwnLoaderAccessTest). */
public class Wrapping {
}
