package coexist.bb;

import coexist.app.Calls;
import net.bytebuddy.asm.Advice;

/** Inlined at the entry of {@code Pricing.price}: counts every call that enters the method's code. */
public final class CountingAdvice {

    private CountingAdvice() {
    }

    @Advice.OnMethodEnter
    static void enter() {
        Calls.PRICE.incrementAndGet();
    }
}
