package agentapp;

/**
 * Prints what {@link Greeter#greet} and {@link Greeter#shout} answer, once, and exits: a start-up to
 * time or record. With the argument {@code threads}, first the names of jlivepatch's threads alive
 * when {@code main} starts.
 */
public final class GreetOnce {

    private GreetOnce() {
    }

    public static void main(String[] args) {
        if (java.util.List.of(args).contains("threads")) {
            java.util.List<String> names = new java.util.ArrayList<>();
            for (Thread t : Thread.getAllStackTraces().keySet()) {
                if (t.getName().startsWith("jlivepatch")) {
                    names.add(t.getName());
                }
            }
            java.util.Collections.sort(names);
            System.out.println("threads=" + names);
        }
        System.out.println("greet=" + new Greeter().greet(" a "));
        System.out.println("shout=" + Greeter.shout("b"));
    }
}
