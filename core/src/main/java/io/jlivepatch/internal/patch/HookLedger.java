package io.jlivepatch.internal.patch;

import io.jlivepatch.internal.bootstrap.StackRoom;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Per (class loader, class name): which methods carry a hook and which failed, as the transformer
 * and the linker last saw them. Class loaders are held weakly.
 *
 * <p>Transform results and link failures are kept apart: a later retransformation (by jlivepatch
 * or by any other agent) rewrites the hooks but does not relink their call sites, so a link
 * failure stays true for as long as its method stays hooked, or until a relink succeeds.
 */
public final class HookLedger {

    /** Both maps of one loader. */
    private static final class PerLoader {
        final Map<String, ClassHooks> transformed = new HashMap<>();
        /** Class name to method key to the patches whose replacement failed there, with why. */
        final Map<String, Map<String, Map<String, String>>> linkFailures = new HashMap<>();
    }

    /**
     * Guards the maps. Never waited for under Dispatch's link lock: the linker reports links and
     * link failures from inside it, so they go through {@link #pending} and are applied by
     * whoever holds this lock next. A thread holding it may in turn wait for the link lock (a map
     * here calls HashMap, whose hooks, when a patch replaces one of its methods, link on first use);
     * both orders waiting on each other was a deadlock.
     *
     * <p>Taken only with room on the stack for its release ({@link #roomToLock}): the transformer and
     * the linker run at whatever depth the application's thread is, and a stack overflow between
     * {@code lock()} and the release (in {@code lock()} itself, whose JDK frames may use the stack's
     * reserved zone and throw once they return with the lock held) left it held for good by a thread
     * that ended: every later class definition the transformer hooks, and every status, waited for
     * ever (TransformerStackEdgeTest hung, 2026-12-05).
     */
    private final ReentrantLock lock = new ReentrantLock();
    /**
     * Links, link failures ({@link LinkEvent}) and transform results made without room for the lock
     * ({@link Put}) not applied yet, in the order they were made (lock-free).
     */
    private final ConcurrentLinkedQueue<Object> pending = new ConcurrentLinkedQueue<>();

    /**
     * Failures to audit ({@link #nextFailure}), and hooks put into classes defined later ({@link #applied}),
     * handed over lock-free: they are found on the thread that defines or links a class, under Dispatch's
     * link lock or a class loader's, where nothing may wait or write a file. Filled only once a
     * {@link #failureReader} is set; at most {@link #failureBound} events, beyond which they are
     * counted in {@link #dropped}.
     */
    private final ConcurrentLinkedQueue<LinkEvent> failures = new ConcurrentLinkedQueue<>();
    /**
     * Held by {@link #nextFailure} for its poll and by {@link #after} for its look, nothing taken under it but
     * an event's monitor ({@link LinkEvent#then}): an event {@link #after} looks for is in the queue or
     * {@link #beingWritten}, never between the two.
     */
    private final Object taking = new Object();
    /**
     * Guarded by {@link #taking}: the event last taken by {@link #nextFailure} until its writer is done with it
     * ({@link #written}), or null.
     */
    private LinkEvent beingWritten;

    /**
     * The most events {@link #failures} holds. Its reader writes a log line and an audit record per
     * event, and while it is blocked (the application's log back-end does not return, the audit file's
     * disk stalls) an application defining patched classes in a loop (a class loader per request) grew
     * the queue without limit, each event holding its class loader. 4096: far above what the reader
     * falls behind by when it runs (a start-up with {@code patches=<dir>} hooks each target class once
     * per loader, a few hundred events; a webapp's deployment, its patched classes), while what a full
     * queue holds stays small (an event and, for a loader made per request, that loader and its one
     * class: a few MB). Beyond it, events are counted per kind and the reader puts the count on record
     * once it catches up ({@link #takeDropped}); the defining thread neither waits nor fails.
     */
    public static final int MAX_QUEUED_FAILURES = 4096;
    /** {@link #MAX_QUEUED_FAILURES}; tests lower it, before they make the events they count. */
    int failureBound = MAX_QUEUED_FAILURES;
    /**
     * Events in {@link #failures}: incremented before an add (and undone when over the bound or when
     * the add fails), decremented after a poll that took one, so it is never below the queue's size.
     */
    private final AtomicInteger queuedFailures = new AtomicInteger();
    /**
     * The events not queued because {@link #failures} was full, per kind ({@link #DROPPED_FAILURE} ...),
     * and in {@link #DROPPED_SINCE} the time ({@link System#currentTimeMillis}) of the first since the
     * reader last took them, 0 for none. A dropping thread counts first, then sets the time if there is
     * none; the reader takes the time first, then the counts ({@link #takeDropped}): each count is taken
     * once, and a count whose time the reader missed is its next record's, which then says an earlier
     * time than its first: still a time since which they were dropped.
     */
    private final AtomicLongArray dropped = new AtomicLongArray(6);
    /** {@link #takeDropped}'s slots: link failures, then classes hooked as defined, hooked again, unhooked. */
    public static final int DROPPED_FAILURE = 0;
    public static final int DROPPED_DEFINED = 1;
    public static final int DROPPED_HOOKED_AGAIN = 2;
    public static final int DROPPED_UNHOOKED = 3;
    /** {@link #takeDropped}'s slot of the first drop's time, 0 when the reader missed it. */
    public static final int DROPPED_SINCE = 4;
    /**
     * {@link #takeDropped}'s slot of how many of its drops came while the next event to take was
     * {@link #held() held back} behind an operation's line ({@link #droppedBehind}): the queue was full of
     * events the reader could not take yet, not of events it was too slow for. Counted before the kind, so a
     * take that has the kind's count has this one too.
     */
    public static final int DROPPED_HELD = 5;
    /**
     * The thread that reads {@link #failures}, unparked after each one is queued; set once. Its
     * volatile write and read order the reader's setup before the first event it is woken for; the
     * queue itself orders each event's fields before its poll.
     */
    private volatile Thread failureReader;
    /**
     * Events added to {@link #failures} so far (those dropped over the bound not counted), and taken from it
     * ({@link #nextFailure}): the queue is first in, first out, so the next event taken is the
     * {@code taken}-th added. Their difference is how {@link #holdFromNow} tells the events made before an
     * operation's change of hooks from those made after it.
     */
    private final AtomicLong added = new AtomicLong();
    private final AtomicLong taken = new AtomicLong();
    /**
     * While not negative: the events from this one on (in the order added) are held back from the reader,
     * made after the operation that holds the registry's lock changed the hooks ({@link #holdFromNow}) and
     * before its line: the hooks a class got from that change must not be on record before the change
     * itself. Written by that operation's thread under the registry's lock ({@link #holdFromNow},
     * {@link #releaseHold}) and by the JVM's exit ({@link #endHolds}); read by the reader.
     */
    private volatile long heldFrom = -1;
    /**
     * The operation of the hold ({@link #holdFromNow}), its audit line's words ({@code 'enable P by api'}),
     * null for none known. Written before {@link #heldFrom} (so a reader that sees the hold sees its
     * operation, or a later one's) and kept after it ends.
     */
    private volatile String heldBy;
    /** {@link #heldBy} at the last drop while held back ({@link #DROPPED_HELD}): whom a gap's record names. */
    private volatile String droppedBehind;
    /** Set once at the JVM's exit: what is queued then is written, held or not ({@link #endHolds}). */
    private volatile boolean holdsEnded;

    // Guarded by lock. The boot loader (null) has its own entry: WeakHashMap takes no null key.
    private final Map<ClassLoader, PerLoader> byLoader = new WeakHashMap<>();
    private final PerLoader boot = new PerLoader();

    /**
     * Per bucket of class names (a hash of the internal name), {@link System#nanoTime()} at the end
     * of the transformer's last definition (not a retransformation) of a class of a name in it, made
     * odd so that 0 stays "none yet": lets a change of hooks tell whether a class of the names it
     * works on may have been defined, from the previous table, too late for its scan of the loaded
     * classes, without scanning them all a second time to find out. Per name, not one time for every
     * class: a JVM defines classes all the time (at start-up, the log thread's and the application's),
     * and one time for all of them made nearly every later look at a start-up patch's classes scan
     * again. Two names of one bucket only make a look scan when it need not (never the other way).
     * Written by any thread defining a class, read by the thread changing hooks: each slot is
     * volatile, so a reader sees every time written before the definition it looks for was visible.
     */
    private static final int NAME_BUCKETS = 1024; // a power of two; 8 KB
    private final AtomicLongArray lastDefinitionOf = new AtomicLongArray(NAME_BUCKETS);
    /**
     * Per bucket as {@link #lastDefinitionOf}, which definition came last into the transformer: its
     * internal name's hashCode (high half) and its loader's identity hash (low half, 0 for the boot
     * loader), {@link #identity}. Lets {@link #watch} find a definition of a name it starts watching
     * that passed the transformer unrecorded (not watched then), without the cheap path recording
     * anything per definition: only the last definition of a bucket is known (a later one of another
     * name of the bucket, or a second of the same name, hides the earlier from the watch, which then
     * leaves it to the timing rule). Written at the transformer's entry, before it
     * reads {@link #watched}: pairs with watch's write of watched before its read of this slot (see
     * {@link #entering}).
     */
    private final AtomicLongArray lastIdentityOf = new AtomicLongArray(IDENTITY_BUCKETS);
    /**
     * More than {@link #NAME_BUCKETS} (32 KB): a definition's identity is lost when a definition of another
     * name of its bucket comes between it and the watch, and a first registration alone defines a few
     * hundred classes (jlivepatch's own, the patch's).
     */
    private static final int IDENTITY_BITS = 12;
    private static final int IDENTITY_BUCKETS = 1 << IDENTITY_BITS;

    /**
     * The binary names of the targets of registered patches, in the JVM's internal form ({@code a/b/C})
     * and sorted, for {@link #watches}: their definitions are recorded in {@link #inFlight}. Replaced
     * whole by {@link #watch} (the registry, under its lock); read by every class definition.
     */
    private volatile String[] watched = new String[0];
    /**
     * Made by the first {@link #watch}, before {@link #watched} names anything (the volatile write of
     * {@code watched} publishes it): not loaded in a JVM that never registers a patch (FootprintIT).
     */
    private volatile InFlight inFlight;

    /**
     * From now on the definitions of classes of {@code binaryNames} are recorded until a scan finds
     * them ({@link InFlight}); the names before are forgotten. Called by the registry, under its lock,
     * before its scan for a patch it registers, and after each change of its stack.
     */
    synchronized void watch(Set<String> binaryNames) { // tests: a ledger without a table
        watch(binaryNames, LinkTable.EMPTY);
    }

    /**
     * {@link #watch(Set)}, and for each name not watched before whose bucket shows a definition of that
     * name as the last to enter the transformer (it passed unrecorded, and may be in flight still: held
     * by a later transformer, say, across this registration), a record of it ({@link InFlight#addUnseen})
     * made from {@code current}, the table now. Such a definition read this table or an older one; the
     * names were watched by no registered patch until now, so no table since hooked them differently:
     * a record made from {@code current} asks for what the operations after this one change. Its
     * loader is known only by identity hash, so a class of that name found later in a loader of that
     * hash resolves it, as any record (InFlightFollowUp); one loaded long ago resolves at the next
     * change's look.
     */
    public synchronized void watch(Set<String> binaryNames, LinkTable current) {
        if (inFlight == null) {
            inFlight = new InFlight();
        }
        String[] names = new String[binaryNames.size()];
        int i = 0;
        for (String n : binaryNames) {
            names[i++] = n.replace('.', '/');
        }
        java.util.Arrays.sort(names); // String's natural order, as watches' binary search
        String[] before = watched;
        watched = names; // after inFlight: pairs with the transformer's read in watches, then inFlight()
        // After the write of watched, each read below pairs with entering's write before the transformer
        // reads watched (both volatile): either that definition sees the name watched and records itself,
        // or this read sees its identity. Both at once only makes two records of one definition.
        for (String name : names) {
            if (java.util.Arrays.binarySearch(before, name) >= 0) {
                continue; // watched already: its definitions since were recorded by the transformer
            }
            long last = lastIdentityOf.get(identityBucketOf(name));
            if ((int) (last >>> 32) == name.hashCode()) {
                inFlight.addUnseen((int) last, name, current);
            }
        }
    }

    /** A definition's {@link #lastIdentityOf} value: internal name's hash and the loader's identity hash. */
    private static long identity(ClassLoader loader, String internalName) {
        return (long) internalName.hashCode() << 32 | (System.identityHashCode(loader) & 0xFFFF_FFFFL);
    }

    /**
     * Whether definitions of a class of this internal name are recorded: asked by the transformer for
     * every class the JVM defines, before it marks its thread, so only String's methods (as
     * LinkTable.hooksClass).
     */
    boolean watches(String internalName) {
        return LinkTable.containsSorted(watched, internalName);
    }

    /** The records of definitions in flight, or {@code null} before the first {@link #watch}. */
    InFlight inFlight() {
        return inFlight;
    }

    /**
     * For status: each definition that read older hooks than {@code current} and is followed until
     * its class is seen loaded ({@link InFlight}), oldest first, as {@code <class> in <loader>
     * (<seconds> s)}. A record made from the current hooks is left out: whether its class is loaded
     * or not, it runs what the patches want once it is (its record only waits for the next change's
     * look). Lock-free (a snapshot of the records' concurrent queue): status answers while an
     * operation holds the registry's lock.
     */
    public List<String> definitionsInFlight(LinkTable current) {
        InFlight f = inFlight;
        if (f == null) {
            return List.of();
        }
        long now = System.nanoTime();
        List<String> out = new ArrayList<>();
        for (InFlight.Definition d : f.all()) {
            if (d.madeFrom != current) {
                out.add(d.name + " in " + d.loaderName() + " ("
                        + java.util.concurrent.TimeUnit.NANOSECONDS.toSeconds(now - d.since) + " s)");
            }
        }
        return out;
    }

    /**
     * Told of the loader of every class defined while it is set: what start-up patches waiting for
     * a class loader that can load their classes (a Spring Boot fat JAR's, an application server's,
     * created after premain) wait on. Null nearly always, so the class-load path reads one volatile
     * field; it runs inside the transformer on the application's threads, so it must be quick and
     * must not throw or load classes.
     */
    private volatile List<java.util.function.Consumer<ClassLoader>> loaderWatchers = List.of();

    /**
     * Has {@code watcher} told of each defining loader from now on, until {@link #unwatchLoaders}.
     * This object's monitor orders the (rare) writers of the list; readers take the volatile list.
     */
    public synchronized void watchLoaders(java.util.function.Consumer<ClassLoader> watcher) {
        List<java.util.function.Consumer<ClassLoader>> more = new ArrayList<>(loaderWatchers);
        more.add(watcher);
        loaderWatchers = List.copyOf(more); // replaced whole: the class-load path reads it without the lock
    }

    public synchronized void unwatchLoaders(java.util.function.Consumer<ClassLoader> watcher) {
        List<java.util.function.Consumer<ClassLoader>> fewer = new ArrayList<>(loaderWatchers);
        fewer.remove(watcher);
        loaderWatchers = List.copyOf(fewer);
    }

    /**
     * A class definition by {@code loader} enters the transformer, before it reads {@link #watched}:
     * notes which one in its name's bucket, for {@link #watch}. One volatile write and no allocation
     * (it runs for every class the JVM defines); before the read of watched so that, with watch's write
     * of it before its read of this slot, one of the two sees the other.
     */
    void entering(ClassLoader loader, String internalName) {
        lastIdentityOf.set(identityBucketOf(internalName), identity(loader, internalName));
    }

    /**
     * A class definition by {@code loader} has passed the transformer (after it read the table).
     * {@code internalName} as the transformer has it ({@code a/b/C}); it runs for every class the JVM
     * defines, so it only hashes the name and writes one slot.
     */
    void defined(ClassLoader loader, String internalName) {
        lastDefinitionOf.set(bucketOf(internalName), System.nanoTime() | 1);
        List<java.util.function.Consumer<ClassLoader>> w = loaderWatchers;
        if (!w.isEmpty() && loader != null) {
            for (java.util.function.Consumer<ClassLoader> watcher : w) {
                watcher.accept(loader);
            }
        }
    }

    /**
     * The high bits of a multiplicative hash, which depend on every bit of the name's hashCode; with
     * bucketOf's fold, jlivepatch's Dispatch$Calls (defined at the first activation) took the bucket of
     * InFlightDefinitionTest's target among 4096, and hid its definition from the first registration.
     */
    private static int identityBucketOf(String internalName) {
        return (internalName.hashCode() * 0x9E3779B9) >>> (32 - IDENTITY_BITS);
    }

    static int bucketOf(String internalName) { // package-private for HookLedgerQuietTest
        int h = internalName.hashCode();
        return (h ^ (h >>> 16)) & (NAME_BUCKETS - 1);
    }

    /**
     * Whether every definition of a class of {@code names} (binary names, {@code a.b.C}) that passed
     * the transformer before {@code scan} had at least as long to become visible before the scan as
     * the time from the scan to {@code now}, and none passed since: the time HookManager otherwise
     * waits (a whole retransformation) before it looks for late classes again.
     */
    boolean quietBetween(long scan, long now, Set<String> names) {
        for (String name : names) {
            long l = lastDefinitionOf.get(bucketOf(name.replace('.', '/')));
            // odd: one nanosecond later at most, which only makes the rule stricter
            if (l != 0 && !(l - scan < 0 && scan - l > now - scan)) {
                return false;
            }
        }
        return true;
    }

    /**
     * A link ({@code reason} null) or a failure of one method of a class of {@code loader}; its fields:
     * <ul>
     *   <li>{@code key}: the method's {@link MethodSpec#key()}
     *   <li>{@code patch}: the patch whose replacement did not fit, or {@code null} when the method could not
     *       be hooked at all (it failed for every patch of that function)
     *   <li>{@code runs}: for a failure: the patch whose version of the method runs instead (the one below
     *       it in the stack), or {@code null} for the method's own code
     *   <li>{@code keep}: for a link: the patches whose failures in this method stand (they failed in the
     *       same link, which then ran the version below them)
     *   <li>{@code auditedFor}: for a failure: the patches it is audited for, each as its
     *       {@link ActiveFunction#label}: the one whose replacement did not fit, or, for a
     *       method that could not be hooked ({@code patch} null), every patch whose function
     *       was on when it failed, as the table the transformer worked from routed it. Taken
     *       then, not when the failure is audited: a disable in between does not make it any
     *       less that patch's failure, and an unregister in between does not take away the
     *       name and provenance its audit entry needs.
     *   <li>{@code applied}: for hooks put into a class with no failure ({@link #applied}): how ({@link #DEFINED},
     *       {@link #HOOKED_AGAIN}, {@link #UNHOOKED}), {@code auditedFor} the patches it concerns;
     *       {@code null} for a link or a failure
     * </ul>
     */
    public static final class LinkEvent {
        private final ClassLoader loader;
        private final String className;
        private final String key;
        private final String patch;
        private final String reason;
        private final String runs;
        private final List<String> keep;
        private final List<Object> auditedFor;
        private final String applied;
        /**
         * What is to be written right after this event's lines ({@link #then}): null, one line (the reader's
         * to read), an ArrayList of them, or {@link #WRITTEN} once the reader has written the event. Guarded by this
         * event's monitor, taken for a look or a swap only, never while another lock is taken under it.
         */
        private Object then;
        /**
         * Guarded by this event's monitor: whether a record of this event has its place in the audit log
         * ({@link #placeAll}), or the JVM's exit counted it as not recorded ({@link #countedAtExit}); whichever
         * comes first decides, so that an event is never both counted as missing and written after the count.
         */
        private boolean placedOrCounted;
        private boolean counted;

        LinkEvent(ClassLoader loader, String className, String key, String patch, String reason, String runs,
                  List<String> keep, List<Object> auditedFor, String applied) {
            this.loader = loader;
            this.className = className;
            this.key = key;
            this.patch = patch;
            this.reason = reason;
            this.runs = runs;
            this.keep = keep;
            this.auditedFor = auditedFor;
            this.applied = applied;
        }

        public ClassLoader loader() {
            return loader;
        }

        public String className() {
            return className;
        }

        public String key() {
            return key;
        }

        public String patch() {
            return patch;
        }

        public String reason() {
            return reason;
        }

        public String runs() {
            return runs;
        }

        public List<String> keep() {
            return keep;
        }

        public List<Object> auditedFor() {
            return auditedFor;
        }

        public String applied() {
            return applied;
        }

        /**
         * Has {@code line} written right after this event's lines ({@link HookLedger#after}); false when they
         * are written already. Pairs with {@link #written}: under this event's monitor, either the line is
         * attached before the writer takes what is attached, or this sees the event written.
         */
        synchronized boolean then(Object line) {
            if (then == WRITTEN) {
                return false;
            }
            if (then == null) {
                then = line;
            } else if (then instanceof ArrayList<?> list) {
                cast(list).add(line);
            } else {
                ArrayList<Object> more = new ArrayList<>(2);
                more.add(then);
                more.add(line);
                then = more;
            }
            return true;
        }

        /**
         * The lines {@link #then} attached so far, in the order attached, left attached: the audit log makes their
         * records' fields before it marks the event placed ({@link #placeAll}), so that an Error there (no memory
         * for them) leaves the event not placed, for the exit to count. Empty once written or counted. Pairs with
         * {@link #then} under this event's monitor: a line attached after this look is found by placeAll's count,
         * which then marks nothing.
         */
        public synchronized List<Object> attached() {
            Object t = then;
            if (t == null || t == WRITTEN) {
                return List.of();
            }
            return t instanceof ArrayList<?> list ? List.copyOf(cast(list)) : List.of(t);
        }

        /**
         * The records of this event take their place in the audit log, all of them at once (AuditLog.recordEvent,
         * under the log's monitor), with the first {@code seen} lines {@link #attached} (placed right after them):
         * -1 when the JVM's exit has counted the event as not recorded already ({@link #countedAtExit}), and the
         * records are then left out: written after that count, they contradicted it, and came after the exit's
         * lines (a late class's callbacks' line, the cut-short one) that follow the count; the attached lines are
         * then the exit's to write ({@link #written}). Else how many lines are attached now: when {@code seen}, the
         * event is marked placed and its lines taken (none is attached from here on); when more (attached since),
         * nothing is marked, and the caller makes the new lines' fields and asks again. Allocates nothing: the
         * fields are the caller's to make before, where an Error leaves the event not placed.
         */
        public synchronized int placeAll(int seen) {
            if (counted) {
                return -1;
            }
            Object t = then;
            int now = t == null || t == WRITTEN ? 0 : t instanceof ArrayList<?> list ? list.size() : 1;
            if (now == seen) {
                placedOrCounted = true;
                then = WRITTEN;
            }
            return now;
        }

        /**
         * The JVM's exit counts this event, taken by a writer that did not let go in time, as not recorded:
         * false when a record of it has its place already (it is in the audit file's queue: the drain writes
         * it), and it is then not counted.
         */
        public synchronized boolean countedAtExit() {
            if (placedOrCounted && !counted) {
                return false;
            }
            placedOrCounted = true;
            counted = true;
            return true;
        }

        /**
         * The writer of this event is done with its lines (written, or counted as not recorded at the exit):
         * what {@link #then} attached, to write now, in the order attached; from here on none is attached.
         */
        synchronized List<Object> written() {
            Object t = then;
            then = WRITTEN;
            if (t == null || t == WRITTEN) {
                return List.of();
            }
            return t instanceof ArrayList<?> list ? cast(list) : List.of(t);
        }

        /**
         * As {@link #written}, for the thread that took this event, done with it without placing it (an Error
         * before the marking, no memory for a record's fields): none when the JVM's exit has counted the event as
         * not recorded ({@link #countedAtExit}), whose lines are then left for the exit's pass to write after its
         * count. One decision under this monitor, with the count's: a line is taken by the thread or the exit,
         * never both, and never by the thread once the exit has counted the event.
         */
        synchronized List<Object> writtenUnlessCounted() {
            return counted ? List.of() : written();
        }

        @SuppressWarnings("unchecked")
        private static ArrayList<Object> cast(ArrayList<?> list) {
            return (ArrayList<Object>) list;
        }
    }

    /** {@link LinkEvent#then}'s mark of an event whose lines are written. */
    private static final Object WRITTEN = new Object();

    /**
     * Has {@code line} written right after the line of the last event that says hooks of the patch of
     * {@code label} were put into or taken off class {@code className} of {@code loader} ({@link #applied}),
     * by whoever writes that event (the reader, or the JVM's exit's pass, which writes it after its count
     * when the event itself is only counted: {@link #written}). False when there is none to wait for: none
     * queued or being written (written already, dropped over the bound, or none made); the caller then
     * writes it now. For a class defined later whose callbacks' line must come after the line of its hooks
     * (LinkFailureAudit.afterHooks). Never waits but for {@link #taking}, held for a poll, or for another
     * such look: a look through the queue (at most {@link #failureBound} events).
     */
    public boolean after(ClassLoader loader, String className, Object label, Object line) {
        synchronized (taking) { // pairs with nextFailure: an event is queued or being written, never neither
            LinkEvent last = concerns(beingWritten, loader, className, label) ? beingWritten : null;
            for (LinkEvent e : failures) { // after the one being written: the last one queued is the last
                if (concerns(e, loader, className, label)) {
                    last = e;
                }
            }
            return last != null && last.then(line);
        }
    }

    private static boolean concerns(LinkEvent e, ClassLoader loader, String className, Object label) {
        if (e == null || e.applied == null || e.loader != loader || !e.className.equals(className)) {
            return false;
        }
        for (Object l : e.auditedFor) {
            if (l == label) { // by identity: one label per registration
                return true;
            }
        }
        return false;
    }

    /**
     * The writer of {@code e}, taken by {@link #nextFailure}, is done with its lines (written, or counted as
     * not recorded at the exit): the lines {@link #after} attached to it, to write now, in the order
     * attached; none is attached from here on.
     */
    public List<Object> written(LinkEvent e) {
        doneWith(e);
        return e.written();
    }

    /**
     * As {@link #written}, for the thread that took {@code e} from the queue ({@link #nextFailure}): none when
     * the JVM's exit counted it as not recorded meanwhile (its lines are the exit's to write, after its count:
     * {@link LinkEvent#writtenUnlessCounted}).
     */
    public List<Object> writtenByItsWriter(LinkEvent e) {
        doneWith(e);
        return e.writtenUnlessCounted();
    }

    /** {@code e} is no longer the event being written, if it was: {@link #after} looks for it no more. */
    private void doneWith(LinkEvent e) {
        synchronized (taking) { // pairs with after and nextFailure, as the take
            if (beingWritten == e) {
                beingWritten = null; // holds its loader no longer
            }
        }
    }

    /** {@link LinkEvent#applied}: hooks of these patches put into a class as it was defined (klp_module_coming). */
    public static final String DEFINED = "defined";
    /**
     * {@link LinkEvent#applied}: hooks of these patches put into a loaded class whose definition was in
     * flight during a change of hooks, retransformed after it (InFlightFollowUp).
     */
    public static final String HOOKED_AGAIN = "hooked again";
    /** {@link LinkEvent#applied}: as {@link #HOOKED_AGAIN}, these patches' hooks taken off (the change removed them). */
    public static final String UNHOOKED = "unhooked";

    /**
     * Loads LinkEvent with this class, long before the first link: the linker creates them under
     * Dispatch's link lock, and loading a class there takes the class loader's locks, which a thread
     * loading a class may hold while a hooked JDK method it runs (ArrayList.get in URLClassPath, say)
     * waits for the link lock: a deadlock RecursionTest met on JDK 25.
     */
    private static final LinkEvent LOADED_EARLY = new LinkEvent(null, "", "", null, null, null, List.of(), List.of(),
            null);

    /** A {@link #put} made without room on the stack for the lock: applied by the lock's next holder. */
    private record Put(ClassLoader loader, String className, ClassHooks hooks, LinkTable madeFrom) {
    }

    /** Loads Put with this class, as LOADED_EARLY: it is made at the stack's edge, where a class load may not fit. */
    private static final Put PUT_LOADED_EARLY = new Put(null, "", ClassHooks.NONE, LinkTable.EMPTY);

    /**
     * Whether this thread has room on its stack to take {@link #lock}, do a short piece of work and
     * release it even if the work overflows: the probe goes deeper than lock, unlock and the
     * release's callees together (StackRoom), so the finally that releases it, back at this depth,
     * finds the room the probe found.
     */
    private static boolean roomToLock() {
        return StackRoom.left();
    }

    /** For the readers: a stack overflow here, before the lock, rather than one that may keep it. */
    private static void requireRoomToLock() {
        if (!roomToLock()) {
            throw new StackOverflowError("no stack left to read jlivepatch's record of hooked classes");
        }
    }

    private PerLoader perLoader(ClassLoader loader, boolean create) {
        if (loader == null) {
            return boot;
        }
        PerLoader m = byLoader.get(loader);
        if (m == null && create) {
            m = new PerLoader();
            byLoader.put(loader, m);
        }
        return m;
    }

    /** The hooks of a class, its transform failures and the link failures of its hooked methods. */
    public ClassHooks get(ClassLoader loader, String className) {
        requireRoomToLock();
        lock.lock();
        try {
            applyLinkEvents();
            return get0(loader, className);
        } finally {
            lock.unlock();
        }
    }

    private ClassHooks get0(ClassLoader loader, String className) {
        PerLoader m = perLoader(loader, false);
        if (m == null) {
            return ClassHooks.NONE;
        }
        ClassHooks h = m.transformed.getOrDefault(className, ClassHooks.NONE);
        return h; // link failures are each one patch's: linkFailure
    }

    /**
     * Why {@code patch}'s replacement of hooked method {@code key} failed to link in this loader's
     * class, or {@code null}: another patch's failure there is not this one's.
     */
    public String linkFailure(ClassLoader loader, String className, String key, String patch) {
        requireRoomToLock();
        lock.lock();
        try {
            applyLinkEvents();
            PerLoader m = perLoader(loader, false);
            Map<String, Map<String, String>> links = m == null ? null : m.linkFailures.get(className);
            Map<String, String> byPatch = links == null ? null : links.get(key);
            ClassHooks h = m == null ? ClassHooks.NONE : m.transformed.getOrDefault(className, ClassHooks.NONE);
            return byPatch == null || !h.hooked().contains(key) ? null : byPatch.get(patch);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Records the hooks of a class as the transformer made them from table {@code madeFrom}, which
     * says whose failures those that failed are. Without room on the stack for the lock (a class
     * defined at the edge of its thread's stack) the record is queued for the lock's next holder,
     * which applies it before it reads anything, in the order it was made with links.
     */
    void put(ClassLoader loader, String className, ClassHooks hooks, LinkTable madeFrom) {
        if (!roomToLock()) {
            pending.add(new Put(loader, className, hooks, madeFrom));
            return;
        }
        lock.lock();
        try {
            applyLinkEvents();
            put0(loader, className, hooks, madeFrom);
        } finally {
            lock.unlock();
        }
    }

    private void put0(ClassLoader loader, String className, ClassHooks hooks, LinkTable madeFrom) {
        PerLoader m = perLoader(loader, !hooks.hooked().isEmpty() || !hooks.failures().isEmpty());
        if (m == null) {
            return;
        }
        ClassHooks before = m.transformed.getOrDefault(className, ClassHooks.NONE);
        for (Map.Entry<String, String> f : hooks.failures().entrySet()) { // a loop: a lambda is a class more
            if (!f.getValue().equals(before.failures().get(f.getKey()))) { // a class just defined, or a new reason
                failed(new LinkEvent(loader, className, f.getKey(), null, f.getValue(), null, List.of(),
                        madeFrom.patchesOn(className, f.getKey()), null));
            }
        }
        if (hooks.hooked().isEmpty() && hooks.failures().isEmpty()) {
            m.transformed.remove(className);
        } else {
            m.transformed.put(className, hooks);
        }
        Map<String, Map<String, String>> links = m.linkFailures.get(className);
        if (links != null) {
            links.keySet().retainAll(hooks.hooked());
            if (links.isEmpty()) {
                m.linkFailures.remove(className);
            }
        }
    }

    /**
     * A hooked method whose replacement turned out not to fit this loader's class at link time;
     * {@code patch} and {@code label}: the replacement's {@link ActiveFunction}'s. Called by the
     * linker under Dispatch's link lock: never waits for this ledger's lock.
     */
    void linkFailed(ClassLoader loader, String className, String key, String patch, Object label, String reason,
                    String runs) {
        LinkEvent e = new LinkEvent(loader, className, key, patch, reason, runs, List.of(),
                label == null ? List.of() : List.of(label), null);
        report(e);
        failed(e);
    }

    /**
     * A hooked method that linked: earlier link failures no longer hold, but for those of
     * {@code keep}, which failed in this same link. Never waits, as {@link #linkFailed}.
     */
    void linked(ClassLoader loader, String className, String key, List<String> keep) {
        report(new LinkEvent(loader, className, key, null, null, null, keep, List.of(), null));
    }

    /**
     * Hooks of {@code patches} (each an {@link ActiveFunction#label}) were put into (or, {@link #UNHOOKED},
     * taken off) {@code className} of {@code loader}, {@code how}: handed to the {@link #failureReader},
     * which logs it and puts it on record, as a failure is. Called by the transformer inside a class's
     * definition, where nothing may wait or write a file, and by the in-flight follow-up. Never waits.
     */
    void applied(ClassLoader loader, String className, String how, List<Object> patches) {
        if (!patches.isEmpty()) {
            failed(new LinkEvent(loader, className, null, null, null, null, List.of(), patches, how));
        }
    }

    /**
     * From now on, failures are queued for {@link #nextFailure} and {@code reader} is unparked after
     * each; the first call wins (one reader per JVM: the registry's).
     */
    public synchronized void failureReader(Thread reader) {
        if (failureReader == null) {
            failureReader = reader;
        }
    }

    /**
     * The oldest failure not read yet, or {@code null}; for the {@link #failureReader}, and at the JVM's
     * exit for whoever writes what it left (each event is taken once: the queue is concurrent).
     */
    public LinkEvent nextFailure() {
        if (held()) {
            return null; // made after the change of an operation whose line is not made yet: see heldFrom
        }
        LinkEvent e;
        synchronized (taking) { // pairs with after: taken from the queue and being written at once
            e = failures.poll();
            if (e != null) {
                beingWritten = e;
            }
        }
        if (e != null) {
            taken.incrementAndGet();
            queuedFailures.decrementAndGet(); // after the poll: the count is never below the queue's size
        }
        return e;
    }

    /** Whether the next event to take is held back ({@link #heldFrom}). */
    private boolean held() {
        long from = heldFrom;
        return from >= 0 && taken.get() >= from;
    }

    /**
     * The operation on this thread, which holds the registry's lock, is about to change the hooks: the
     * events queued from now on (a class defined with its hooks, a failure there) are held back from the
     * reader until {@link #releaseHold}, which comes after the operation's line. A hold already set (a
     * second change of the same operation: its transition's end) stays where it began.
     *
     * @param operation its audit line's words ({@code 'enable P by api'}), which a record of events dropped
     *                  meanwhile names; null when not known
     */
    public void holdFromNow(String operation) {
        if (!holdsEnded && heldFrom < 0) {
            Runnable between = afterHoldCheckForTests;
            if (between != null) {
                between.run();
            }
            heldBy = operation; // before heldFrom: see heldBy
            heldFrom = added.get();
            // The JVM's exit may have ended the holds since the look above (it takes no lock this thread
            // holds): a hold begun after it would keep its events from the exit's writing and its count of
            // what was not recorded. Pairs with endHolds' writes, holdsEnded then heldFrom (all volatile):
            // either this read sees holdsEnded, or endHolds' heldFrom = -1 comes after the write above.
            if (holdsEnded) {
                heldFrom = -1;
            }
        }
    }

    /** Run by {@link #holdFromNow} between its look at {@link #holdsEnded} and its hold; tests only. */
    volatile Runnable afterHoldCheckForTests;

    /**
     * The operation that {@link #holdFromNow held} the events made its line (and those it kept for after
     * it): the reader gets them now, unparked. A no-op without a hold. Never throws.
     */
    public void releaseHold() {
        if (heldFrom < 0) {
            return;
        }
        heldFrom = -1;
        Thread reader = failureReader;
        if (reader != null) {
            LockSupport.unpark(reader); // after the write: the reader's next look takes them
        }
    }

    /**
     * At the JVM's exit, before what is queued is written: no event is held any more, nor will be. The
     * operation that held them may never make its line (the exit cut it short, which the exit's own line
     * says after them).
     */
    public void endHolds() {
        holdsEnded = true;
        heldFrom = -1;
    }

    /** {@link #MAX_QUEUED_FAILURES}, or what a test set: the bound the reader's record of a drop names. */
    public int failureBound() {
        return failureBound;
    }

    /**
     * Whether events are queued (and not {@link #heldFrom held back}) or were dropped since {@link #takeDropped}:
     * the reader has work.
     */
    public boolean failuresWaiting() {
        return queuedFailures.get() > 0 && !held() || dropped.get(DROPPED_FAILURE) != 0
                || dropped.get(DROPPED_DEFINED) != 0 || dropped.get(DROPPED_HOOKED_AGAIN) != 0
                || dropped.get(DROPPED_UNHOOKED) != 0;
    }

    /**
     * The events dropped since the last call (the queue was full), per kind, the first one's time
     * (slot {@link #DROPPED_SINCE}, 0 when not known: see {@link #dropped}) and how many of them were
     * dropped while held back (slot {@link #DROPPED_HELD}, behind {@link #droppedBehind}); {@code null} for none.
     */
    public long[] takeDropped() {
        long since = dropped.getAndSet(DROPPED_SINCE, 0); // first: pairs with the dropper's count-then-time
        long[] taken = new long[6];
        long total = 0;
        for (int kind = DROPPED_FAILURE; kind <= DROPPED_UNHOOKED; kind++) {
            taken[kind] = dropped.getAndSet(kind, 0);
            total += taken[kind];
        }
        if (total == 0) {
            if (since != 0) {
                dropped.compareAndSet(DROPPED_SINCE, 0, since); // its count comes with the next take
            }
            return null;
        }
        taken[DROPPED_SINCE] = since;
        // After the kinds: a drop counted there was counted held before. One counted held whose kind is not
        // counted yet (its thread between the two) is put back for the take that gets its kind.
        long held = dropped.getAndSet(DROPPED_HELD, 0);
        if (held > total) {
            dropped.addAndGet(DROPPED_HELD, held - total);
            held = total;
        }
        taken[DROPPED_HELD] = held;
        return taken;
    }

    /**
     * The operation the last events dropped while held back were held behind ({@link #DROPPED_HELD}), its
     * audit line's words, or null for none known.
     */
    public String droppedBehind() {
        return droppedBehind;
    }

    /** Which of {@link #takeDropped}'s counts {@code e} goes to. */
    public static int kindOf(LinkEvent e) {
        String how = e.applied();
        return how == null ? DROPPED_FAILURE : DEFINED.equals(how) ? DROPPED_DEFINED
                : HOOKED_AGAIN.equals(how) ? DROPPED_HOOKED_AGAIN : DROPPED_UNHOOKED;
    }

    /**
     * Hands a failure to the reader: never waits (see {@link #failures}). Beyond {@link #failureBound}
     * it is counted, not queued: lock-free, no allocation, no class to load.
     */
    private void failed(LinkEvent e) {
        Thread reader = failureReader;
        if (reader != null) {
            if (queuedFailures.incrementAndGet() > failureBound) {
                queuedFailures.decrementAndGet();
                if (held()) { // full of events held back behind an operation's line, not of those the reader is slow for
                    droppedBehind = heldBy; // before the count: a take that has the count has the name
                    dropped.incrementAndGet(DROPPED_HELD); // before the kind's: see DROPPED_HELD
                }
                dropped.incrementAndGet(kindOf(e)); // the count before the time: see dropped
                if (dropped.get(DROPPED_SINCE) == 0) {
                    dropped.compareAndSet(DROPPED_SINCE, 0, System.currentTimeMillis());
                }
                return; // the reader, busy with a full queue, was unparked for the events before
            }
            try {
                failures.add(e);
            } catch (RuntimeException | Error notAdded) { // no memory for its node: not queued after all
                queuedFailures.decrementAndGet();
                throw notAdded;
            }
            added.incrementAndGet(); // after the add: a hold set before it holds this event (heldFrom)
            LockSupport.unpark(reader); // after the add: the reader polls again once unparked
        }
    }

    private void report(LinkEvent e) {
        pending.add(e);
        // else the holder, or the next one, applies it before it reads or writes anything
        if (roomToLock() && lock.tryLock()) {
            try {
                applyLinkEvents();
            } finally {
                lock.unlock();
            }
        }
    }

    /** Caller holds lock. Applies {@link #pending}: links, link failures and queued transform results. */
    private void applyLinkEvents() {
        Object next;
        while ((next = pending.poll()) != null) {
            if (next instanceof Put p) {
                put0(p.loader(), p.className(), p.hooks(), p.madeFrom());
                continue;
            }
            LinkEvent e = (LinkEvent) next;
            if (e.reason() != null) {
                Map<String, Map<String, String>> links = perLoader(e.loader(), true).linkFailures
                        .computeIfAbsent(e.className(), k -> new HashMap<>());
                Map<String, String> byPatch = links.get(e.key());
                if (byPatch == null) {
                    byPatch = new HashMap<>();
                    links.put(e.key(), byPatch);
                }
                byPatch.put(e.patch() == null ? "" : e.patch(), e.reason());
            } else {
                PerLoader m = perLoader(e.loader(), false);
                Map<String, Map<String, String>> links = m == null ? null : m.linkFailures.get(e.className());
                Map<String, String> byPatch = links == null ? null : links.get(e.key());
                if (byPatch != null) {
                    byPatch.keySet().retainAll(e.keep());
                    if (byPatch.isEmpty()) {
                        links.remove(e.key());
                    }
                }
            }
        }
    }
}
