package jarapp;

/** A target of the access tests: an application class that inherits the JDK's protected members (AbstractList.modCount). */
public class Tally extends java.util.ArrayList<String> {
}
