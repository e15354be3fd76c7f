/** Internal: entry hooks and dispatch (the kernel's patch.c). Not an API. */
package io.jlivepatch.internal.patch;
