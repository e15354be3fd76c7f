package agentapp;

/**
 * An application started without the agent: it waits until the agent has been attached and then
 * uses jlivepatch through reflection, since the API is not on its class path until then.
 */
public final class WaitingApp {

    public static void main(String[] args) throws Exception {
        System.out.println("ready");
        System.out.flush();
        for (int i = 0; i < 600; i++) {
            try {
                Class<?> lp = Class.forName("io.jlivepatch.Livepatch", true, ClassLoader.getSystemClassLoader());
                Object instance = lp.getMethod("get").invoke(null);
                System.out.println("installed=" + (instance != null));
                return;
            } catch (ClassNotFoundException | java.lang.reflect.InvocationTargetException notYet) {
                Thread.sleep(50);
            }
        }
        System.out.println("installed=false");
        System.exit(3);
    }
}
