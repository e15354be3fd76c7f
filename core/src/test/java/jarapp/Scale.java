package jarapp;

/** A target of the patch JAR tests with an overloaded method: a @Replaces without a descriptor is ambiguous. */
public class Scale {

    public static int weigh(int grams) {
        return grams;
    }

    public static int weigh(String grams) {
        return Integer.parseInt(grams);
    }
}
