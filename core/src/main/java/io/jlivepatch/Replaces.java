package io.jlivepatch;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a {@code public static} method, not {@code native}, of a patch JAR's {@code Livepatch-Class} as the replacement
 * of a target method. jlivepatch reads it from the class file, so the annotation need not be
 * visible to the class loader that defines the patch class.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
public @interface Replaces {

    /** Binary name of the target class, e.g. {@code com.acme.Greeter}. */
    String target();

    /** Name of the target method. */
    String method();

    /**
     * JVM descriptor of the target method, e.g. {@code (Ljava/lang/String;)Ljava/lang/String;}.
     * Optional where the class declares one method of that name; then, for a class not loaded yet,
     * a replacement whose first parameter is the target class replaces an instance method.
     */
    String descriptor() default "";
}
