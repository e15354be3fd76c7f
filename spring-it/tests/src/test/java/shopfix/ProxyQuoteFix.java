package shopfix;

import io.jlivepatch.Replaces;

/**
 * A patch of the class Spring generates for PricingService's cache (its CGLIB proxy), which
 * jlivepatch must refuse, naming PricingService as the class to patch. Its types are the JDK's
 * only, so nothing but the target's name can refuse it.
 */
public final class ProxyQuoteFix {

    private ProxyQuoteFix() {
    }

    @Replaces(target = "com.acme.shop.PricingService$$SpringCGLIB$$0", method = "quote", descriptor = "(II)J")
    public static long quote(Object self, int unitCents, int qty) {
        return 0;
    }
}
