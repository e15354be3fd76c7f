package coexist.fix;

import io.jlivepatch.Replaces;

/** Patch class of the coexistence tests' fix-price JAR: a price no original computation gives. */
public final class PriceFix {

    private PriceFix() {
    }

    @Replaces(target = "coexist.app.Pricing", method = "price", descriptor = "(I)I")
    public static int price(int quantity) {
        return quantity * 100 + 1;
    }
}
