package testapp.lateaudit.fix;

import io.jlivepatch.Replaces;

/**
 * The patch class of a patch JAR (LinkAuditForgetTest): each target loader gets its own copy of it,
 * which goes with that loader, so that nothing of the patch's keeps a dropped loader alive.
 */
public final class ForgottenFix {

    private ForgottenFix() {
    }

    @Replaces(target = "testapp.lateaudit.AuditedForgotten", method = "get", descriptor = "()Ljava/lang/String;")
    public static String get(Object receiver) {
        return "fixed";
    }
}
