package com.acme.fieldtypes;

import java.util.function.IntSupplier;

public class Tally {
    private int words;
    boolean seen;
    byte small;
    char last;
    short shorts;
    int chars;
    long longs;
    float ratio;
    double mean;
    String joined;
    volatile long stamp;

    static boolean anySeen;
    static byte sByte;
    static char sLast;
    static short sShort;
    static int sChars;
    static long sLong;
    static float sFloat;
    static double sDouble;
    static String sJoined;
    static volatile int sVolatile;

    public String add(String word) {
        words++;
        seen |= !word.isEmpty();
        small += (byte) word.length();
        last = word.isEmpty() ? '-' : word.charAt(word.length() - 1);
        shorts += 2;
        chars += word.length();
        longs += 1L << (40 + word.length());
        ratio = (float) chars / words;
        mean += (word.length() - mean) / words;
        joined = joined == null ? word : joined + "+" + word;
        stamp = longs ^ 0x5555_5555_5555L;
        IntSupplier later = () -> chars * 10 + words;
        updateStatics(word, later.getAsInt());
        return describe(this);
    }

    private static void updateStatics(String word, int fromLambda) {
        anySeen = anySeen || !word.isEmpty();
        sByte++;
        sLast = word.isEmpty() ? '_' : word.charAt(0);
        sShort += (short) word.length();
        sChars += word.length();
        sLong += 3_000_000_000L;
        sFloat += 0.5f;
        sDouble = sDouble * 0.5 + fromLambda;
        sJoined = sJoined == null ? word : sJoined + word;
        sVolatile += fromLambda;
    }

    private static String describe(Tally t) {
        return "words=" + t.words + " seen=" + t.seen + " small=" + t.small + " last=" + t.last + " shorts=" + t.shorts
                + " chars=" + t.chars + " longs=" + t.longs + " ratio=" + t.ratio + " mean=" + t.mean + " joined="
                + t.joined + " stamp=" + t.stamp + " sub=" + (t instanceof SubTally ? ((SubTally) t).chars : -1);
    }

    public static String totals() {
        return "anySeen=" + anySeen + " sByte=" + sByte + " sLast=" + sLast + " sShort=" + sShort + " sChars=" + sChars
                + " sLong=" + sLong + " sFloat=" + sFloat + " sDouble=" + sDouble + " sJoined=" + sJoined
                + " sVolatile=" + sVolatile;
    }
}
