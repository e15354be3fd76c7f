module lib {
    exports lib.text;
}
