/** Internal: per-thread transitions, the kernel's consistency model (transition.c). Not an API. */
package io.jlivepatch.internal.transition;
