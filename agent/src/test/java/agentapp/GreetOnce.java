package agentapp;

/** Prints what {@link Greeter#greet} and {@link Greeter#shout} answer, once, and exits: a start-up to time or record. */
public final class GreetOnce {

    private GreetOnce() {
    }

    public static void main(String[] args) {
        System.out.println("greet=" + new Greeter().greet(" a "));
        System.out.println("shout=" + Greeter.shout("b"));
    }
}
