package jarapp;

/** An interface declaring clone() public, which java.lang.Object has protected (OwnLoaderAccessTest). */
public interface Copyable {
    Object clone();
}
