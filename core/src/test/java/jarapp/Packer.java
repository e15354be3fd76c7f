package jarapp;

/**
 * A target of the access tests, loaded by them, whose methods take a {@link Parcel}, which no test
 * loads: its loading and linking load none (nothing here needs Parcel's class to run or verify).
 */
public class Packer {

    public static int pack(Parcel parcel) {
        return parcel == null ? 5 : 6;
    }

    static int packaged(Parcel parcel) {
        return 6;
    }

    private static int hidden(Parcel parcel) {
        return 7;
    }
}
