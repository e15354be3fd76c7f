package jarapp;

/**
 * A class of the application that no test loads, named only in the descriptors of {@link Packer}'s
 * methods: a check of a patch's call of one must not load it.
 */
public class Parcel {
}
