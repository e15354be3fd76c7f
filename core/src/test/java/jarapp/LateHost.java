package jarapp;

/**
 * A target loaded by nothing but the load of a patch JAR whose hidden nestmate it hosts
 * (ScanAcrossPreparingTest): its class is defined between the JAR check's look at the loaded
 * classes and the registration. No other test may name it.
 */
public class LateHost {

    public int value() {
        return 1;
    }
}
