package fatapp;

import java.io.BufferedReader;
import java.io.InputStreamReader;

/** The application behind {@code launcher.Launcher}: answers each number read with its quote. */
public final class App {

    private App() {
    }

    public static void main(String[] args) throws Exception {
        System.out.println("ready");
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
        for (String line = in.readLine(); line != null; line = in.readLine()) {
            System.out.println("quote=" + new Pricing().quote(Integer.parseInt(line.trim())));
        }
    }
}
