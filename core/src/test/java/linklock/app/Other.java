package linklock.app;

/** Named only in a signature of Target: loaded when something reflects on its methods. */
public class Other {
}
