package jarapp;

/** An empty list of the application, a java.util.AbstractList (OwnLoaderAccessTest). */
public class ListedBase extends java.util.AbstractList<String> {

    @Override
    public String get(int index) {
        throw new IndexOutOfBoundsException(index);
    }

    @Override
    public int size() {
        return 0;
    }
}
