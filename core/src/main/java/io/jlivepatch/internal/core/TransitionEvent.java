package io.jlivepatch.internal.core;

import io.jlivepatch.internal.Text;
import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;

/**
 * A transition as a JFR event, its duration from the commit that started it to its end. A reversed
 * transition is two events: the first ends {@value #REVERSED}, the second goes the other way.
 */
@Name("io.jlivepatch.Transition")
@Label("Patch Transition")
@Category("jlivepatch")
@Description("Threads moving from one patch state to another, from the start of the transition to its end")
@StackTrace(false)
final class TransitionEvent extends Event {

    static final String COMPLETE = "complete";
    static final String FORCED = "forced";
    static final String REVERSED = "reversed";

    @Label("Patch")
    String patch;

    @Label("Target")
    @Description("The state the transition moves every thread to: patched or unpatched")
    String target;

    @Label("Outcome")
    @Description("complete (every thread moved), forced, or reversed (it turned back before the end)")
    String outcome;

    /** A begun event, typed Object so that its callers never link this class in a JVM without JFR. */
    static Object begin(String patch, boolean targetPatched) {
        TransitionEvent event = new TransitionEvent();
        event.patch = Text.clean(patch);
        event.target = targetPatched ? "patched" : "unpatched";
        event.begin();
        return event;
    }

    static void end(Object begun, String outcome) {
        TransitionEvent event = (TransitionEvent) begun;
        event.outcome = outcome;
        event.end();
        event.commit();
    }
}
