package com.acme.nestedprivate;

public class Box {
    private final int size;

    public Box(int size) {
        this.size = size;
    }

    public String describe() {
        return new Label(this).text();
    }

    private static final class Label {
        private final Box box;

        private Label(Box box) {
            if (box.size < 0) {
                throw new IllegalArgumentException("negative box");
            }
            this.box = box;
        }

        private String text() {
            return "box of size " + box.size;
        }
    }
}
