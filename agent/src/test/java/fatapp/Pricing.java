package fatapp;

/** A class of the application that only the launcher's class loader can load. */
public class Pricing {

    public int quote(int n) {
        return n;
    }
}
