package io.jlivepatch.internal.patch;

import org.junit.jupiter.api.Test;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassVisitor;
import org.objectweb.asm.Opcodes;

import java.io.IOException;
import java.io.InputStream;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;

class BootstrapClassPathTest {

    @Test
    void theListedClassesAreExactlyDispatchAndItsNestMembers() throws IOException {
        Set<String> nest = new TreeSet<>();
        nest.add(PrologueInjector.DISPATCH);
        try (InputStream in = getClass().getClassLoader().getResourceAsStream(PrologueInjector.DISPATCH + ".class")) {
            new ClassReader(in.readAllBytes()).accept(new ClassVisitor(Opcodes.ASM9) {
                @Override
                public void visitNestMember(String member) {
                    nest.add(member);
                }
            }, ClassReader.SKIP_CODE);
        }
        assertEquals(nest, new TreeSet<>(BootstrapClassPath.CLASSES),
                "BootstrapClassPath.CLASSES must list Dispatch's nested classes: update it");
    }
}
