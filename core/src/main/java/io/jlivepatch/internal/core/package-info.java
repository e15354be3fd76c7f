/** Internal: the patch stack and its life cycle (the kernel's core.c). Not an API. */
package io.jlivepatch.internal.core;
