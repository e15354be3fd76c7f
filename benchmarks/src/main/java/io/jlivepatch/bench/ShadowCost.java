package io.jlivepatch.bench;

import io.jlivepatch.Shadow;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.Map;
import java.util.WeakHashMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * What does a shadow variable cost? Lookups over 1024 objects, in turn, so that no object stays
 * the only one the JIT sees; each with a value attached (hit) or none (miss):
 * <ul>
 *   <li>{@code baseline}: reading the object from the array, no lookup;</li>
 *   <li>{@code shadowGetHit}, {@code shadowGetMiss}, {@code shadowGetOrAttachHit}: {@link Shadow}
 *       (jlivepatch installed, so this is the boot loader's copy, as patches see it);</li>
 *   <li>{@code chmGetHit}, {@code chmGetMiss}: a plain {@code ConcurrentHashMap<Object, Object>}, the
 *       lower bound (it holds its keys strongly and keys by {@code equals}, which {@code Object}
 *       leaves to identity);</li>
 *   <li>{@code weakMapGetHit}, {@code weakMapGetMiss}: a {@code WeakHashMap} under
 *       {@code synchronized}, what one writes by hand for weak keys (keyed by {@code equals}).</li>
 * </ul>
 * One thread. {@code @Setup} checks that Shadow is the boot loader's copy and that every variant
 * finds what it should.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgs = {
        "-XX:+IgnoreUnrecognizedVMOptions", "-XX:+EnableDynamicAgentLoading", "-Djdk.attach.allowAttachSelf=true"})
@State(Scope.Thread)
public class ShadowCost {

    private static final int OBJECTS = 1024;
    private static final int MASK = OBJECTS - 1;
    private static final long ID = 0x6a6c_7000_0000_0001L;

    private final Object[] attached = new Object[OBJECTS];
    private final Object[] bare = new Object[OBJECTS];
    private final Map<Object, Object> chm = new ConcurrentHashMap<>();
    private final Map<Object, Object> weak = new WeakHashMap<>();
    private final Supplier<Object> ctor = AtomicLong::new;
    private int next;

    @Setup(Level.Trial)
    public void setUp() {
        BenchPatches.livepatch(); // installs jlivepatch: Shadow below is then the boot loader's copy
        if (Shadow.class.getClassLoader() != null) {
            throw new IllegalStateException("Shadow is not the boot loader's copy: " + Shadow.class.getClassLoader());
        }
        for (int i = 0; i < OBJECTS; i++) {
            attached[i] = new Object();
            bare[i] = new Object();
            Object value = new AtomicLong(i);
            Shadow.attach(attached[i], ID, () -> value);
            chm.put(attached[i], value);
            weak.put(attached[i], value);
        }
        for (int i = 0; i < OBJECTS; i++) {
            Object v = Shadow.get(attached[i], ID);
            if (v == null || chm.get(attached[i]) != v || weak.get(attached[i]) != v
                    || Shadow.getOrAttach(attached[i], ID, ctor) != v || Shadow.get(bare[i], ID) != null
                    || chm.get(bare[i]) != null || weak.get(bare[i]) != null) {
                throw new IllegalStateException("a variant does not find what it should, object " + i);
            }
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        Shadow.detachAll(ID);
    }

    private Object nextAttached() {
        return attached[next++ & MASK];
    }

    private Object nextBare() {
        return bare[next++ & MASK];
    }

    @Benchmark
    public Object baseline() {
        return nextAttached();
    }

    @Benchmark
    public Object shadowGetHit() {
        return Shadow.get(nextAttached(), ID);
    }

    @Benchmark
    public Object shadowGetMiss() {
        return Shadow.get(nextBare(), ID);
    }

    @Benchmark
    public Object shadowGetOrAttachHit() {
        return Shadow.getOrAttach(nextAttached(), ID, ctor);
    }

    @Benchmark
    public Object chmGetHit() {
        return chm.get(nextAttached());
    }

    @Benchmark
    public Object chmGetMiss() {
        return chm.get(nextBare());
    }

    @Benchmark
    public Object weakMapGetHit() {
        Object o = nextAttached();
        synchronized (weak) {
            return weak.get(o);
        }
    }

    @Benchmark
    public Object weakMapGetMiss() {
        Object o = nextBare();
        synchronized (weak) {
            return weak.get(o);
        }
    }
}
