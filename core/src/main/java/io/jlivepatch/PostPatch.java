package io.jlivepatch;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a {@code public static void m(Class<?> target)} method of a patch JAR's {@code
 * Livepatch-Class} as the {@link Callbacks#postPatch} callback of a target class of the patch. Runs
 * once the patch's transition to patched has completed (for a class defined later: right after its
 * prePatch, before its first redirected call); a throw is logged and reported, it stops nothing.
 *
 * <p>jlivepatch reads it from the class file, like {@link Replaces}. The named class must be a class
 * the JAR replaces a method of, and it may have one {@code @PostPatch} in the whole JAR.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
public @interface PostPatch {

    /** Binary name of the target class, e.g. {@code com.acme.Cache}. */
    String value();
}
