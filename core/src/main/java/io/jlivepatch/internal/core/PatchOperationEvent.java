package io.jlivepatch.internal.core;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/** One {@link AuditLog} record as a JFR event; its fields as {@code status --log} shows them (cleaned). */
@Name("io.jlivepatch.PatchOperation")
@Label("Patch Operation")
@Category("jlivepatch")
@Description("A live-patching operation (load, register, enable, disable, unregister, force) and its outcome")
@StackTrace(false)
final class PatchOperationEvent extends Event {

    @Label("Operation")
    String operation;

    @Label("Patch")
    @Description("The patch's name, or the JAR's path when the name is unknown")
    String patch;

    @Label("Outcome")
    @Description("ok, or refused REASON: message")
    String outcome;

    @Label("Requester")
    @Description("Who asked: pid N user U, api, jmx or startup")
    String requester;

    @Label("Source")
    @Description("The patch JAR's path, or empty")
    String source;

    @Label("SHA-256")
    @Description("The SHA-256 of the patch JAR's bytes, or empty")
    String sha256;

    @Label("Signer")
    @Description("Who signed the patch JAR, or empty")
    String signer;

    /**
     * The event of {@code e}, its time now (begun and ended at once: a record has no duration), or null when
     * it is not enabled; {@link #commit(Object)} writes it.
     */
    static Object at(AuditLog.Entry e) {
        PatchOperationEvent event = new PatchOperationEvent();
        if (!event.isEnabled()) {
            return null;
        }
        event.begin();
        event.end();
        event.operation = e.operation();
        event.patch = e.patch();
        event.outcome = e.outcome();
        event.requester = e.requester();
        event.source = e.source();
        event.sha256 = e.sha256();
        event.signer = e.signer();
        return event;
    }

    /** Writes {@link #at}'s event to the recording. */
    static void commit(Object event) {
        ((PatchOperationEvent) event).commit();
    }
}
