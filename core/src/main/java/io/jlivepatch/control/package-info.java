/**
 * The supported control interface of jlivepatch, for programs that manage a JVM from outside: the
 * MBean interfaces ({@link io.jlivepatch.control.LivepatchMBean}, {@link io.jlivepatch.control.PatchMBean})
 * registered in the platform MBean server under {@link io.jlivepatch.control.ObjectNames}, and the
 * JSON that {@code statusJson} returns, described by {@code status-schema.json} next to these
 * classes. The {@code jlivepatch} command uses only this package, over a local channel that only
 * the JVM's OS user can open.
 */
package io.jlivepatch.control;
