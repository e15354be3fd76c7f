package io.jlivepatch;

/** Test callbacks that hand each of the four calls to {@link #record}, with the callback's name. */
abstract class RecordingCallbacks implements Callbacks {

    @Override
    public void prePatch(Class<?> target) {
        record("prePatch", target);
    }

    @Override
    public void postPatch(Class<?> target) {
        record("postPatch", target);
    }

    @Override
    public void preUnpatch(Class<?> target) {
        record("preUnpatch", target);
    }

    @Override
    public void postUnpatch(Class<?> target) {
        record("postUnpatch", target);
    }

    /** @param kind the callback: prePatch, postPatch, preUnpatch or postUnpatch */
    abstract void record(String kind, Class<?> target);
}
