package io.jlivepatch;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a {@code public static void m(Class<?> target)} method of a patch JAR's {@code
 * Livepatch-Class} as the {@link Callbacks#postUnpatch} callback of a target class of the patch. Runs
 * once the patch's transition to unpatched has completed, or when its enable was refused after this
 * class's prePatch; a throw is logged and reported, it stops nothing.
 *
 * <p>jlivepatch reads it from the class file, like {@link Replaces}. The named class must be a class
 * the JAR replaces a method of, and it may have one {@code @PostUnpatch} in the whole JAR.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
public @interface PostUnpatch {

    /** Binary name of the target class, e.g. {@code com.acme.Cache}. */
    String value();
}
