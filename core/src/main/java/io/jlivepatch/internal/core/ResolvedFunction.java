package io.jlivepatch.internal.core;

import io.jlivepatch.Patch;
import io.jlivepatch.internal.patch.ActiveFunction;
import io.jlivepatch.internal.patch.MethodSpec;

import java.lang.invoke.MethodHandle;

/**
 * A replacement checked at registration: the hook it needs and the handle dispatch links to.
 *
 * @param replacement the author's description
 * @param spec        name, descriptor and static-ness of the target
 * @param handle      direct handle of the replacement, looked up once
 */
record ResolvedFunction(Patch.Replacement replacement, MethodSpec spec, MethodHandle handle) {

    ActiveFunction active(String patchName) {
        return new ActiveFunction(patchName, replacement.className(), spec, handle);
    }
}
