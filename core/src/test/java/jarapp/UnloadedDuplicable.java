package jarapp;

/** {@link Duplicable}'s twin that no test loads before a patch runs (OwnLoaderAccessTest). */
public interface UnloadedDuplicable extends Copyable {
}
