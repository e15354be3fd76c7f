package com.acme.soak.fix;

import io.jlivepatch.Replaces;

/** The soak test's patch class, put in a patch JAR by the driver. */
public final class CodecFix {

    private CodecFix() {
    }

    @Replaces(target = "com.acme.soak.Codec", method = "encode")
    public static String encode(String s) {
        return "v2:" + s;
    }
}
