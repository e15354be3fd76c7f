package com.acme.newclasstwice;

/**
 * Two successive fixes of the same release, each carrying its own version of a class the old
 * build lacks (Escaper): new/ and new2/. The second patch is loaded after the first is unloaded.
 */
public final class Driver {
    public static String[] inputs() {
        return new String[] {"<b>", "a&b"};
    }

    public static String run(String input) {
        return new Page().render(input);
    }
}
