package io.jlivepatch.agent.cli;

import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;

import static org.junit.jupiter.api.Assertions.assertEquals;

class CleanWriterTest {

    private final StringWriter sink = new StringWriter();
    private final PrintWriter out = new PrintWriter(new CleanWriter(sink), true);

    @Test
    void controlCharactersAreEscapedAndLineEndsKept() {
        out.print("status\u001b[2J of 'a\u2028b'\n");
        out.print("x\ry\r\n");
        out.print("tab\there\u0085");
        out.flush();
        assertEquals("status\\e[2J of 'a\\u2028b'\nx\\ry\r\ntab\\there\\u0085", sink.toString());
    }

    @Test
    void cleanTextPassesUnchanged() {
        String clean = "'fix': enabled in pid 42\n  C:\\Temp\\fix.jar a\\nb \ud83d\ude00\n";
        out.print(clean);
        out.flush();
        assertEquals(clean, sink.toString());
    }

    @Test
    void aPairSplitAcrossWritesStaysAPair() {
        out.print("a\r");
        out.print("\nb\ud83d");
        out.print("\ude00c\r");
        out.flush();
        assertEquals("a\r\nb\ud83d\ude00c\\r", sink.toString());
    }
}
