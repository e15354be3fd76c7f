package jarapp;

/**
 * A class whose members the JVM resolves in another order than breadth first (JVMS 5.4.3.2, 5.4.3.3):
 * weight() to ResolvedBase's public method (a class's superclasses come before its interfaces, whose
 * private methods are never found through it), heft to Resolving's public field (a class's interfaces
 * come before its superclass), so a class of the patch's own loader may use both.
 */
public class Resolved extends ResolvedMid implements Resolving {
}
