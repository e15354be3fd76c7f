package com.acme.include.app;

/** Only in the old build. */
public class Obsolete {
}
