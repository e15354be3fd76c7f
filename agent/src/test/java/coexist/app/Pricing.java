package coexist.app;

/**
 * The class that another agent and jlivepatch both change. JacocoIT reads its coverage by line
 * number: the code of price is on lines 11 to 15 (line 13 runs only for a quantity above 5),
 * that of label on line 19; keep them where they are.
 */
public class Pricing {

    public static int price(int quantity) {
        int total = quantity * 10;
        if (quantity > 5) {
            total -= 5;
        }
        return total;
    }

    public static String label(String name) {
        return "item " + name;
    }
}
