package testapp;

/** An abstract class with a concrete method that calls an abstract one. */
public abstract class Shape {
    public abstract double area();

    public String describe() {
        return "shape of area " + area();
    }
}
