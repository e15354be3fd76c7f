/** Internal: control of a running jlivepatch through JMX (the kernel's sysfs). Not an API. */
package io.jlivepatch.internal.control;
