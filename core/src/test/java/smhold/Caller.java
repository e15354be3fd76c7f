package smhold;

/** The application's caller of {@link Slow#quote}: its frame is the one without permissions. */
public class Caller {

    public static int run(int x) throws InterruptedException {
        return Slow.quote(x);
    }
}
