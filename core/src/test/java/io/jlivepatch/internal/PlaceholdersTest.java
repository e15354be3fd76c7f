package io.jlivepatch.internal;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.text.MessageFormat;
import java.util.Date;
import java.util.Locale;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class PlaceholdersTest {

    private final Locale before = Locale.getDefault(Locale.Category.FORMAT);

    @BeforeEach
    void english() {
        Locale.setDefault(Locale.Category.FORMAT, Locale.US); // whatever the machine's locale, counts in 0-9
    }

    @AfterEach
    void restore() {
        Locale.setDefault(Locale.Category.FORMAT, before);
    }

    private static void same(String pattern, Object... params) {
        assertEquals(MessageFormat.format(pattern, params), Placeholders.format(pattern, params), pattern);
    }

    @Test
    void jlivepatchsOwnPatternsGiveWhatMessageFormatGives() {
        same("''{0}'': registered, {1} function(s), stack order {2}", "fix", 2, 0);
        same("''{0}'': registered, {1} function(s), stack order {2}", "fix", 999, 17L);
        same("enabling patch ''{0}''", "fix-traversal");
        same("''{0}'': starting {1} transition", "fix", "patching");
        same("{0} refused ({1}): {2}", "load", Thread.State.NEW, "patch JAR /tmp/x: no such file");
        same("leftover boot JARs of ended JVMs in {0} stay: {1}", Path.of("/tmp/jlp"), new IllegalStateException("x"));
        same("''{0}'': {1} in {2} keeps its own code: {3}", "p", "a.B.c()V", "app", null);
        same("cannot hook {0}.{1} in {2}: {3}", "a/B", "c()V", "app", "why");
        same("an unmatched } is text, around {0} too", "x");
        same("{1}{0}{1}", "a", "b");
        same("{0} and {3} missing, {00} padded", "x");
        same("no placeholder at all ''x''");
        same("{0}", new Object() {
            @Override
            public String toString() {
                return null;
            }
        });
    }

    @Test
    void whatItCannotFormatExactlyIsLeftToMessageFormat() {
        Object[] one = {"x"};
        assertNull(Placeholders.format("a 'quoted {0}' section", one));
        assertNull(Placeholders.format("{0,number}", new Object[] {5}));
        assertNull(Placeholders.format("{ 0 }", one));
        assertNull(Placeholders.format("{0", one));
        assertNull(Placeholders.format("{}", one));
        assertNull(Placeholders.format("{10000}", one));
        assertNull(Placeholders.format("{0}", new Object[] {1000}), "grouped by the locale");
        assertNull(Placeholders.format("{0}", new Object[] {-1}), "the locale's minus sign");
        assertNull(Placeholders.format("{0}", new Object[] {1.5}));
        assertNull(Placeholders.format("{0}", new Object[] {new Date(0)}));
    }

    @Test
    void countsAreLeftToMessageFormatWhereTheLocaleMayWriteOtherDigits() {
        Locale.setDefault(Locale.Category.FORMAT, Locale.forLanguageTag("ar-EG"));
        assertNull(Placeholders.format("{0}", new Object[] {5}));
        Locale.setDefault(Locale.Category.FORMAT, Locale.forLanguageTag("en-US-u-nu-arab"));
        assertNull(Placeholders.format("{0}", new Object[] {5}));
        Locale.setDefault(Locale.Category.FORMAT, Locale.UK);
        same("{0} function(s)", 5);
        Locale.setDefault(Locale.Category.FORMAT, Locale.ROOT);
        same("{0} function(s)", 5);
    }
}
