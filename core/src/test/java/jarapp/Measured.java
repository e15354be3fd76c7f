package jarapp;

/** A class that inherits Measure's default method through AbstractMeasured (OwnLoaderAccessTest). */
public class Measured extends AbstractMeasured {
}
