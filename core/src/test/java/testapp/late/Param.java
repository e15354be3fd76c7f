package testapp.late;

/** A parameter type, first resolved through a target's loader while jlivepatch links the target's hook. */
public class Param {
}
