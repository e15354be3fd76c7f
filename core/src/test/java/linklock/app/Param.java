package linklock.app;

/** A parameter type of Target.run. */
public class Param {
}
