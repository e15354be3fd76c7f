package coexist.bb;

import net.bytebuddy.agent.builder.AgentBuilder;
import net.bytebuddy.asm.Advice;
import net.bytebuddy.description.type.TypeDescription;
import net.bytebuddy.dynamic.DynamicType;
import net.bytebuddy.utility.JavaModule;

import java.lang.instrument.Instrumentation;

import static net.bytebuddy.matcher.ElementMatchers.named;

/**
 * An application's own Byte Buddy agent, as APM agents are written: an {@link AgentBuilder} with
 * retransformation that inlines {@link CountingAdvice} into {@code coexist.app.Pricing.price}.
 * Byte Buddy comes from the application's class path, unshaded. Whatever Byte Buddy reports as
 * failed is printed to stderr with the prefix {@code [counting-agent]}, which ByteBuddyAgentIT looks for.
 */
public final class CountingAgent {

    private CountingAgent() {
    }

    public static void premain(String args, Instrumentation inst) {
        install(inst);
    }

    public static void agentmain(String args, Instrumentation inst) {
        install(inst);
    }

    private static void install(Instrumentation inst) {
        new AgentBuilder.Default()
                .disableClassFormatChanges()
                .with(AgentBuilder.RedefinitionStrategy.RETRANSFORMATION)
                .with(new Errors())
                .type(named("coexist.app.Pricing"))
                .transform((builder, type, loader, module, domain) ->
                        builder.visit(Advice.to(CountingAdvice.class).on(named("price"))))
                .installOn(inst);
    }

    /** Prints what Byte Buddy would otherwise swallow: a transformation that failed. */
    private static final class Errors extends AgentBuilder.Listener.Adapter {
        @Override
        public void onError(String typeName, ClassLoader loader, JavaModule module, boolean loaded, Throwable t) {
            System.err.println("[counting-agent] transforming " + typeName + " failed: " + t);
            t.printStackTrace();
        }

        @Override
        public void onTransformation(TypeDescription type, ClassLoader loader, JavaModule module, boolean loaded,
                                     DynamicType dynamicType) {
            System.err.println("[counting-agent] advised " + type.getName() + (loaded ? " (retransformed)" : ""));
        }
    }
}
