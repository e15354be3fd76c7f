package io.jlivepatch.agent;

import io.jlivepatch.agent.cli.Main;

import java.io.PrintWriter;
import java.io.StringWriter;

/** Runs one jlivepatch command in this JVM and keeps what it printed. */
record Cli(int exitCode, String out, String err) {

    static Cli run(Object... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        String[] strings = new String[args.length];
        for (int i = 0; i < args.length; i++) {
            strings[i] = String.valueOf(args[i]);
        }
        int code = Main.run(new PrintWriter(out), new PrintWriter(err), strings);
        return new Cli(code, out.toString(), err.toString());
    }

    @Override
    public String toString() {
        return "exit " + exitCode + "\nout:\n" + out + "err:\n" + err;
    }
}
