package jarapp;

/**
 * An interface that inherits Copyable's public clone(): the JVM resolves Duplicable.clone() to it, not
 * to java.lang.Object's protected one, which interface method resolution skips (JVMS 5.4.3.4).
 */
public interface Duplicable extends Copyable {
}
