package agentapp;

/** A class OperatorCommandsIT's inspect names as a nestmate of Greeter (a nestmate is in its host's package). */
public final class ShoutNestmate {

    private ShoutNestmate() {
    }
}
