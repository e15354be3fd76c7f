package jarapp;

/** An abstract class that inherits Measure's default method (OwnLoaderAccessTest). */
public abstract class AbstractMeasured implements Measure {
}
