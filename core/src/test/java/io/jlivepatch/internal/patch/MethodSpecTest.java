package io.jlivepatch.internal.patch;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The key a method spec keeps is its name and descriptor, one string for the spec's life. */
class MethodSpecTest {

    @Test
    void theKeyIsNameAndDescriptorAndKeptNotMadePerCall() {
        MethodSpec m = new MethodSpec("isValid", "(Ljava/lang/String;)Z", false);
        assertEquals("isValid(Ljava/lang/String;)Z", m.key());
        assertEquals(MethodSpec.key("isValid", "(Ljava/lang/String;)Z"), m.key());
        assertSame(m.key(), m.key(), "the same string each time: its hash is computed once");
    }

    @Test
    void aKeyThatIsNotNameAndDescriptorIsRefused() {
        for (String wrong : List.of("isValid(I)Z", "isValid", "(Ljava/lang/String;)Z", "isvalid(Ljava/lang/String;)Z",
                "isValid(Ljava/lang/String;)Zx", "xisValid(Ljava/lang/String;)Z")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> new MethodSpec("isValid", "(Ljava/lang/String;)Z", false, wrong), wrong);
            assertEquals("the key of isValid(Ljava/lang/String;)Z cannot be " + wrong, e.getMessage());
        }
    }

    @Test
    void equalityIsNameDescriptorAndStaticness() {
        MethodSpec a = new MethodSpec("f", "()V", true);
        assertEquals(a, new MethodSpec("f", "()V", true, "f()V"));
        assertEquals(a.hashCode(), new MethodSpec("f", "()V", true).hashCode());
        assertNotEquals(a, new MethodSpec("f", "()V", false));
        assertNotEquals(a, new MethodSpec("f", "(I)V", true));
    }
}
