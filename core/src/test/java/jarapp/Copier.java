package jarapp;

/** A {@link Duplicable} whose clone() is "copy" (OwnLoaderAccessTest). */
public class Copier implements Duplicable {

    @Override
    public Object clone() {
        return "copy";
    }

    public static Duplicable make() {
        return new Copier();
    }
}
