package jarapp;

/** A ListedBase that no test loads before a patch runs (OwnLoaderAccessTest). */
public class UnloadedListed extends ListedBase {
}
