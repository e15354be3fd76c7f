package io.jlivepatch;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks the last parameter of a replacement, a {@link java.lang.invoke.MethodHandle}, as the
 * version of the method below it: the replacement of the previous enabled patch that replaces the
 * same method, or the method's original code. Invoking it with the receiver (for an instance
 * method) and the arguments runs that version, as the calling thread's patch state has it:
 *
 * <pre>{@code
 * @Replaces(target = "com.acme.Greeter", method = "greet")
 * public static String greet(Greeter self, String name, @Next MethodHandle next) throws Throwable {
 *     return (String) next.invokeExact(self, name.trim());
 * }
 * }</pre>
 *
 * The handle's type is the replacement's own without this parameter, so {@code invokeExact} takes
 * exactly the replacement's parameter types. It is bound when the call site is linked: a constant
 * the JIT inlines, never looked up per call. The parameter must be the last one, typed exactly
 * {@code MethodHandle}; anything else is refused at registration ({@code INVALID_PATCH}).
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.PARAMETER)
public @interface Next {
}
