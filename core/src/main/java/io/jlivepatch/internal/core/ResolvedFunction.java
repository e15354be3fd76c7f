package io.jlivepatch.internal.core;

import io.jlivepatch.Patch;
import io.jlivepatch.internal.patch.ActiveFunction;
import io.jlivepatch.internal.patch.MethodSpec;
import io.jlivepatch.internal.patch.SignatureCheck;
import io.jlivepatch.internal.patch.ReplacementSource;

/**
 * A replacement checked at registration: the hook it needs and the handle dispatch links to.
 *
 * @param replacement the author's description
 * @param spec        name, descriptor and static-ness of the target
 * @param source      the replacement per class loader of the target
 */
record ResolvedFunction(Patch.Replacement replacement, MethodSpec spec, ReplacementSource source) {

    /** {@code label}: what its failures are audited under ({@link LinkFailureAudit#label}). */
    ActiveFunction active(String patchName, Object label) {
        return new ActiveFunction(patchName, replacement.className(), spec, source,
                SignatureCheck.declared(replacement.replacement(), source.nextParameters()), null, label);
    }
}
